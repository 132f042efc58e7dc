"""The planner's rule table. Reading it top to bottom explains every plan.

How it is applied (planner/plan.py):
1. ``TASK_RULES``: the first rule whose ``when`` matches decides the approach (mode, families in
   order of preference, ControlNet, ...). Exactly one fires; the last one matches everything.
2. ``ADJUST_RULES``: every rule whose ``when`` matches fires, in order; a later rule's decision
   overrides an earlier one's for the same field.

``when`` keys: the facts of ``RuleFacts`` (planner/context.py), one per line below. All given
keys must match; a list means "any of". A key that is no fact, or a value the fact cannot take,
fails at import, naming the rule (tests/planner/test_rule_facts.py checks this list against them).
  intent               what the words ask for (planner/language/intent.py): remove, replace-sky,
                       replace-background, replace-object, add, attribute, relight, restyle,
                       fix-hand, fix-face, extend, move, rotate, view, global, generic
  region               where the edit is: mask (given), sam (points/box, or the object named in
                       words), canvas (--extend or size words), none
  canvas               the new canvas comes from: given (--extend) | words (size words) | None
  named                the region is an object named in words (--text, or read from the edit), SAM 3
  layers               none | edit (an edit asked for as layers: request layers, or words) |
                       only (the words ask to split the whole image into layers, nothing else) |
                       subject (a cut-out: "put the subject on its own layer", nothing else)
  mask_size            tiny (<1% of the image), small (<10%), medium (<35%), large, unknown (SAM,
                       no mask yet)
  bbox_small           the mask's bounding box covers at most 35% of the image
  big_image            the image's long side is more than twice the chosen family's native
                       resolution
  priority             quality | balanced | latency;  quality: priority quality or words like
                       "indistinguishable"
  hardware             hardware class: cpu, gpu-8gb, gpu-12gb, gpu-16gb, gpu-24gb, gpu-48gb,
                       gpu-80gb
  licence              any | open (only weights whose licence allows commercial use)
  scene                a whole-image caption was given
  touch                degree words: light (slightly) | normal | strong (much, very) | heavy
                       (completely)
  inpaint_allowed      the family allow-list permits a trained inpaint family
  ddpm_allowed         the family allow-list permits ddpm (RePaint)
  reference            a reference image was given (request guidance.image;
                       planner/catalog/reference.py)
  mode                 the mode decided so far: inpaint, outpaint, sdedit, instruct, repaint
  controlnet           whether a ControlNet is planned so far
  invert               whether the mask is planned inverted (the background of a SAM subject)
  executor             the executor decided so far: diffusers | classical (weight-free fill)
  strength_band        SDEdit strength decided so far: low (<0.45), cliff (0.45..0.65, where the
                       subject's identity can vanish), restyle (..0.8), high
"""

from __future__ import annotations

from retouch.planner.catalog.reference import REFERENCE_FAMILIES
from retouch.planner.contract.schema import Family
from retouch.planner.rule_types import Decide, Rule

__all__ = ["ADJUST_RULES", "TASK_RULES", "Decide", "Rule"]  # Decide, Rule: planner/rule_types.py


REGION = ["mask", "sam"]
GEN_FILL: list[Family] = ["sd-inpaint", "sdxl-inpaint", "flux-fill"]
OPEN_EDITORS: list[Family] = ["longcat-image-edit", "qwen-image-edit"]  # Apache-2.0 editors
REFERENCE_EDITORS: list[Family] = list(REFERENCE_FAMILIES)  # qwen-image-edit, flux2-klein
# Moves, rotations, camera views: JoyAI-Image-Edit (Apache-2.0) is trained for them (issue 30).
VIEW_EDITORS: list[Family] = ["joyai-image-edit", *OPEN_EDITORS, "flux-kontext", "flux2-klein"]
# The same with a reference image: JoyAI-Image-Edit Plus reads it as a second image.
VIEW_REFERENCE_EDITORS: list[Family] = [
    "joyai-image-edit-plus",
    *(f for f in REFERENCE_EDITORS if f != "joyai-image-edit-plus"),
]

TASK_RULES: list[Rule] = [
    Rule(
        id="outpaint-canvas",
        when={"region": "canvas"},
        then=Decide(
            mode="outpaint",
            families=["sdxl-inpaint", "flux-fill", "sd-inpaint"],
            dilate=8,
            feather=8,
        ),
        why="Extending the canvas is inpainting of the new area: an inpaint model fills the canvas "
        "mask, overlapping the old edge by 8 px with an 8 px feather so the join disappears.",
    ),
    Rule(
        id="move-rotate-view",
        when={"intent": ["move", "rotate", "view"]},
        then=Decide(mode="instruct", families=VIEW_EDITORS),
        why="Moving an object, turning it or changing the camera's view changes pixels well outside "
        "the object: an instruction editor redraws the whole image.",
    ),
    Rule(
        id="hand-face-openpose",
        when={"intent": ["fix-hand", "fix-face"], "region": REGION},
        then=Decide(mode="inpaint", families=["sd-inpaint"], controlnet="openpose"),
        why="Hands and faces need structure the prompt cannot give: SD-Inpaint with an OpenPose "
        "ControlNet keeps the pose while the prompt re-describes the subject.",
    ),
    Rule(
        id="background-from-sam",
        when={"intent": "replace-background", "region": "sam"},
        then=Decide(mode="inpaint", families=GEN_FILL, invert=True, sam_model="vit_b"),
        why="The click marks the subject: Segment Anything cuts it out and the inverse of its mask "
        "(the background) is regenerated, so the subject keeps every pixel.",
    ),
    Rule(
        id="replace-region",
        when={
            "intent": ["replace-sky", "replace-background", "replace-object", "add"],
            "region": REGION,
        },
        then=Decide(mode="inpaint", families=GEN_FILL),
        why="New content inside a known region is inpainting with a 9-channel inpaint model that "
        "sees the unmasked context.",
    ),
    Rule(
        id="remove-region",
        when={"intent": "remove", "region": REGION},
        then=Decide(mode="inpaint", families=GEN_FILL),
        why="Removing an object is inpainting its mask with a prompt that describes the background "
        "left behind, never the object.",
    ),
    Rule(
        id="attribute-region",
        when={"intent": "attribute", "region": REGION},
        then=Decide(mode="sdedit", families=["sd", "sdxl"], strength=0.7),
        why="An attribute change (colour, material, pattern) keeps the object's shape: SDEdit at "
        "t/T=0.7 inside the mask repaints it while its outline and folds survive, where a "
        "full-strength inpaint would invent a new object.",
    ),
    Rule(
        id="restyle-region",
        when={"intent": "restyle", "region": REGION},
        then=Decide(mode="sdedit", families=["sd", "sdxl"], strength=0.5),
        why="Restyling one region keeps its layout: SDEdit at t/T=0.5 on the masked region changes "
        "texture and style while the coarse structure survives.",
    ),
    Rule(
        id="light-whole-sdedit",
        when={
            "intent": ["relight", "restyle", "global", "generic", "attribute"],
            "region": "none",
            "touch": "light",
        },
        then=Decide(mode="sdedit", families=["sdxl", "sd"], strength=0.3),
        why="A slight whole-image change is SDEdit at t/T=0.3, which stays nearly identical to the "
        "source with small stylistic changes; an instruction editor would change more.",
    ),
    Rule(
        id="restyle-whole",
        when={"intent": "restyle", "region": "none"},
        then=Decide(mode="sdedit", families=["sdxl", "sd"], strength=0.7),
        why="A whole-image restyle is SDEdit at t/T=0.7: enough noise for the new style to replace "
        "the photo's texture while the coarse layout survives (0.5-0.6 mostly keeps the photo).",
    ),
    Rule(
        id="region-generic",
        when={"region": REGION},
        then=Decide(mode="inpaint", families=GEN_FILL),
        why="An edit confined to a region is inpainting: only the region is regenerated and every "
        "pixel outside it is kept.",
    ),
    Rule(
        id="whole-image-instruct",
        when={},
        then=Decide(mode="instruct", families=["instruct-pix2pix", "flux-kontext"]),
        why="With no region to confine it, the edit is an instruction edit (InstructPix2Pix or Flux "
        "Kontext): one pass over the image and the instruction, no mask needed.",
    ),
]

ADJUST_RULES: list[Rule] = [
    Rule(
        id="quality-flux-fill",
        when={"priority": "quality", "mode": ["inpaint", "outpaint"], "controlnet": False},
        then=Decide(families=["flux-fill", "sdxl-inpaint", "sd-inpaint"], sam_model="vit_h"),
        why="Highest fidelity was asked for: Flux.1 Fill is the strongest open fill model, with SDXL "
        "Inpaint as the fallback where it does not fit.",
    ),
    Rule(
        id="quality-instruct-editor",
        when={"priority": "quality", "mode": "instruct"},
        then=Decide(
            families=[
                *OPEN_EDITORS,
                "flux-kontext",
                "qwen-image-2.1",
                "flux2-dev",
                "flux2-klein",
                "instruct-pix2pix",
            ]
        ),
        why="Highest fidelity was asked for: LongCat-Image-Edit (GEdit-Bench-EN 7.64) and "
        "Qwen-Image-Edit (7.54, the 2509 weights) beat Flux Kontext dev (6.00), which stays the "
        "alternate; Qwen-Image 2.1 (no published score found) and FLUX.2 dev (7.41, a "
        "third-party table) follow it.",
    ),
    Rule(
        id="quality-attribute-editor",
        when={"priority": "quality", "intent": "attribute", "region": REGION},
        then=Decide(mode="instruct", families=[*OPEN_EDITORS, "flux-kontext", "flux2-klein"]),
        why="Highest fidelity for an attribute change: an instruction editor recolours the object "
        "and keeps its shape better than SDEdit, and the composite keeps every pixel outside the "
        "region.",
    ),
    Rule(
        id="open-editor-when-it-fits",
        when={"priority": "balanced", "mode": "instruct", "hardware": ["gpu-48gb", "gpu-80gb"]},
        then=Decide(families=[*OPEN_EDITORS, "flux-kontext", "instruct-pix2pix"]),
        why="This card holds LongCat-Image-Edit (6B) without offload, and it beats Flux Kontext "
        "dev and InstructPix2Pix on GEdit-Bench-EN (7.64 vs 6.00).",
    ),
    Rule(
        id="latency-fewer-steps",
        when={"priority": "latency", "mode": ["inpaint", "outpaint", "sdedit", "instruct"]},
        then=Decide(
            families=[
                "flux2-klein",
                "sd-inpaint",
                "instruct-pix2pix",
                "sd",
                "sdxl-inpaint",
                "sdxl",
                "flux-kontext",
                "flux-fill",
                "z-image",
            ],
            steps_factor=0.67,
        ),
        why="Latency first: FLUX.2 klein 4B (4 distilled steps, edits and masked fills) where it "
        "fits, else the smallest family that can run the mode, with two thirds of the default "
        "steps.",
    ),
    Rule(
        id="latency-open-fill-zimage",
        when={
            "priority": "latency",
            "mode": ["inpaint", "outpaint"],
            "licence": "open",
            "controlnet": False,
            "reference": False,
        },
        then=Decide(families=["z-image", "flux2-klein", "sd-inpaint", "sdxl-inpaint"]),
        why="Latency first with commercial-use weights only: Z-Image-Turbo (Apache-2.0, 8 "
        "distilled steps at guidance 0, one batch per step) fills the region, FLUX.2 klein 4B "
        "(Apache-2.0) is the alternate.",
    ),
    Rule(
        id="latency-open-controlnet-zimage",
        when={"priority": "latency", "mode": "inpaint", "licence": "open", "controlnet": True},
        then=Decide(families=["z-image", "sd-inpaint"]),
        why="Latency first with a pose/edge control image and commercial-use weights only: "
        "Z-Image-Turbo (Apache-2.0, 8 distilled steps, one batch per step) with its Union "
        "ControlNet fills the region following the control image; SD-Inpaint with the OpenPose "
        "ControlNet is the alternate.",
    ),
    Rule(
        id="move-rotate-view-joyai",
        when={"intent": ["move", "rotate", "view"], "mode": "instruct", "reference": False},
        then=Decide(families=VIEW_EDITORS),
        why="A move, rotation or camera-view change: JoyAI-Image-Edit (Apache-2.0) is trained for "
        "spatial edits, whatever the priority; the general editors are the alternates.",
    ),
    Rule(
        id="reference-editor",
        when={"reference": True, "region": ["none", "mask", "sam"]},
        then=Decide(mode="instruct", families=REFERENCE_EDITORS, controlnet=None),
        why="A reference image was given, and only editors that read several images can use it: "
        "Qwen-Image-Edit Plus (GEdit-Bench-EN 7.54, the 2509 weights) edits the photo as image 1 "
        "with the reference as image 2, FLUX.2 klein as the alternate; a given region confines "
        "the result.",
    ),
    Rule(
        id="move-rotate-view-reference-joyai-plus",
        when={"intent": ["move", "rotate", "view"], "reference": True, "mode": "instruct"},
        then=Decide(families=VIEW_REFERENCE_EDITORS),
        why="A move, rotation or camera-view change with a reference image: JoyAI-Image-Edit Plus "
        "(Apache-2.0) does JoyAI's spatial edits and reads the reference as a second image; the "
        "other reference editors are the alternates.",
    ),
    Rule(
        id="reference-latency-klein",
        when={"reference": True, "priority": "latency", "mode": "instruct"},
        then=Decide(families=["flux2-klein", "qwen-image-edit"]),
        why="Latency first with a reference image: FLUX.2 klein 4B reads it as extra tokens in 4 "
        "distilled steps; Qwen-Image-Edit is the alternate.",
    ),
    Rule(
        id="reference-canvas-klein",
        when={"reference": True, "mode": "outpaint"},
        then=Decide(families=["flux2-klein"]),
        why="A canvas extension with a reference image: FLUX.2 klein's inpaint pipeline is the "
        "one fill that takes a reference (image_reference) for the new area.",
    ),
    Rule(
        id="layers-qwen-layered",
        when={"layers": "only", "region": "none", "mode": "instruct"},
        then=Decide(families=["qwen-image-layered"]),
        why="Only layers of the whole image were asked for: Qwen-Image-Layered (Apache-2.0) splits "
        "it into RGBA layers (background, then the objects), whose composite is the result; no "
        "editor stands in (it would return one image, not layers).",
    ),
    Rule(
        id="repaint-without-inpaint-model",
        when={"mode": ["inpaint", "outpaint"], "inpaint_allowed": False, "ddpm_allowed": True},
        then=Decide(mode="repaint", families=["ddpm"], controlnet=None),
        why="No trained inpaint model is allowed, so RePaint resamples an unconditional DDPM (jump "
        "back and re-denoise) to fill the mask without seams.",
    ),
    Rule(
        id="cpu-classical-fill",
        when={
            "hardware": "cpu",
            "intent": ["remove", "extend"],
            "mode": ["inpaint", "outpaint"],
            "priority": ["balanced", "latency"],
            "reference": False,
        },
        then=Decide(executor="classical"),
        why="On a CPU a diffusion fill takes minutes; for removal and canvas extension the "
        "weight-free PatchMatch fill takes seconds.",
    ),
    Rule(
        id="tiny-mask-classical",
        when={
            "priority": "latency",
            "intent": "remove",
            "mask_size": "tiny",
            "mode": "inpaint",
            "reference": False,
        },
        then=Decide(executor="classical"),
        why="A tiny removal with latency first: the weight-free fill is instant and a diffusion model "
        "adds little on a region this small.",
    ),
    Rule(
        id="scaled-dilation",
        when={"mode": ["inpaint", "sdedit", "repaint"], "region": REGION},
        then=Decide(dilate="scaled"),
        why="Seams form where gradients cannot cross the mask edge: grow the mask 8-16 px (scaled to "
        "the image) and feather the stitch.",
    ),
    Rule(
        id="layers-subject-cutout",
        when={"layers": "subject", "region": REGION},
        then=Decide(dilate=0),
        why="The subject goes on its own layer (alpha = its mask) over the background filled as a "
        "removal fills it, undilated so they composite back to the source; result.png is the "
        "source unchanged, the fill is kept only as the background layer.",
    ),
    Rule(
        id="small-mask-cfg",
        when={"mode": ["inpaint", "sdedit", "outpaint"], "mask_size": "small"},
        then=Decide(cfg_factor=0.75),
        why="High guidance on a small mask gives a saturated patch: text guidance is lowered to 75% "
        "of the family default.",
    ),
    Rule(
        id="tiny-mask-cfg",
        when={"mode": ["inpaint", "sdedit", "outpaint"], "mask_size": "tiny"},
        then=Decide(cfg_factor=0.6),
        why="The mask covers under 1% of the image, where over-saturation is worst: text guidance is "
        "lowered to 60% of the family default.",
    ),
    Rule(
        id="crop-small-mask",
        when={"mode": ["inpaint", "sdedit", "repaint"], "region": "mask", "bbox_small": True},
        then=Decide(crop=True),
        why="The region is small next to the image: running the model on its padded box at native "
        "resolution gives more detail there and wastes no compute on pixels that are kept anyway.",
    ),
    Rule(
        id="crop-big-image",
        when={
            "mode": ["inpaint", "outpaint", "sdedit"],
            "region": ["mask", "canvas"],
            "big_image": True,
        },
        then=Decide(crop=True),
        why="The image is more than twice the model's native size: the model runs on the padded "
        "box(es) of the region at native resolution instead of the whole frame.",
    ),
    Rule(
        id="crop-after-sam",
        when={"mode": ["inpaint", "sdedit"], "region": "sam", "invert": False},
        then=Decide(crop="auto"),
        why="The SAM mask is not known yet: crop is decided when it is (on when its box covers at "
        "most 35% of the image).",
    ),
    Rule(
        id="light-touch",
        when={"mode": "sdedit", "touch": "light"},
        then=Decide(strength=0.3),
        why="A light change was asked for: SDEdit t/T=0.3 stays nearly identical to the source.",
    ),
    Rule(
        id="strong-touch",
        when={"mode": "sdedit", "touch": "strong"},
        then=Decide(strength=0.75),
        why="A strong change was asked for: SDEdit t/T=0.75 keeps only the coarse layout.",
    ),
    Rule(
        id="heavy-touch",
        when={"mode": "sdedit", "touch": "heavy"},
        then=Decide(strength=0.9),
        why="A complete change was asked for: SDEdit t/T=0.9 starts from near noise and keeps little "
        "of the source.",
    ),
    Rule(
        id="fidelity-cliff-sweep",
        when={"mode": "sdedit", "strength_band": "cliff"},
        then=Decide(sweep=True),
        why="Between t/T=0.5 and 0.6 the subject's identity can vanish: sweep the strength around "
        "the plan's value and keep the best that passes the structure check.",
    ),
    Rule(
        id="restyle-sweep",
        when={"mode": "sdedit", "strength_band": "restyle"},
        then=Decide(sweep=True),
        why="Just past the fidelity cliff a restyle either takes or loses the subject: sweep the "
        "strength 0.1 either side and keep the strongest that passes the structure check.",
    ),
    Rule(
        id="canvas-from-words",
        when={"canvas": "words"},
        then=Decide(),
        why="No canvas extension was given, so the size words give the new canvas: centred unless a side "
        "is named, each side rounded to the family's multiple.",
    ),
    Rule(
        id="color-match-ring",
        when={"mode": ["inpaint", "outpaint", "repaint"], "executor": "diffusers"},
        then=Decide(color_match=True),
        why="The VAE round trip leaves a colour cast: the regenerated region is matched to the "
        "colour of the ring around it before the final composite.",
    ),
    Rule(
        id="mask-from-words",
        when={"region": "sam", "named": True},
        then=Decide(sam_model="sam3"),
        why="The object is named in words (the mask words, or read from the edit when no region was "
        "given): SAM 3 finds every instance of it and the spatial words ('on the left', 'the "
        "biggest', plurals = all) pick which, so the edit stays confined to the object.",
    ),
    Rule(
        id="no-scene-caption",
        when={"mode": ["inpaint", "outpaint", "sdedit", "repaint"], "scene": False},
        then=Decide(warn_prompt=True),
        why="The prompt should describe the whole image, not only the new content; no scene caption "
        "was given, so the prompt check is flagged: give a scene caption of the whole image.",
    ),
]
