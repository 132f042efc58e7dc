"""Request + facts -> EditPlan, by the rule table in planner/rules.py. Pure Python, no I/O."""

from __future__ import annotations

from typing import Any

from retouch.planner import checklist
from retouch.planner.canvas import given_canvas, with_canvas, words_canvas, work_size
from retouch.planner.catalog import reference
from retouch.planner.catalog.registry import (
    CONTROLNETS,
    HARDWARE,
    LICENCES,
    REGISTRY,
    FamilySpec,
)
from retouch.planner.citation import cite
from retouch.planner.context import (
    BBOX_SMALL,
    RuleFacts,
    apply,
    matches,
    region_given,
    rule_context,
)
from retouch.planner.contract.changes import strength_sweep
from retouch.planner.contract.errors import PlanError
from retouch.planner.contract.hints import hint
from retouch.planner.contract.request import SAM_SOURCES
from retouch.planner.contract.schema import (
    ControlNetPlan,
    CropPlan,
    EditPlan,
    EditRequest,
    EditStep,
    Family,
    Guidance,
    ImageFacts,
    MaskPlan,
    ModelChoice,
    RuleHit,
    WorkSize,
)
from retouch.planner.language import faces as face_words
from retouch.planner.language import intent as intent_mod
from retouch.planner.language import picks, prompts
from retouch.planner.language.attribution import understood
from retouch.planner.latency import estimate
from retouch.planner.rules import ADJUST_RULES, TASK_RULES


def _choose_family(
    prefs: list[Family], mode: str, ctx: RuleFacts, hits: list[RuleHit], controlnet: str | None
) -> tuple[FamilySpec, bool, list[str]]:
    """First preferred family that is allowed, runs ``mode`` (with the planned ControlNet) and
    fits the hardware."""
    hw = HARDWARE[ctx.hardware]
    usable: list[tuple[FamilySpec, bool]] = []
    skipped: list[str] = []
    for fam in prefs:
        spec = REGISTRY[fam]
        if mode not in spec.modes:
            continue
        if fam not in ctx.allowed:
            skipped.append(f"{fam} is not in the allowed families")
            continue
        if ctx.reference and not reference.takes_reference(fam, mode):
            skipped.append(f"{fam} takes no reference image for {mode} edits")
            continue
        if ctx.licence == "open" and not LICENCES[fam].commercial_use:
            skipped.append(f"{fam} is under the {LICENCES[fam].name} (licence open asked for)")
            continue
        if controlnet is not None and (controlnet, fam) not in CONTROLNETS:
            skipped.append(f"{fam} has no {controlnet} ControlNet")
            continue
        if ctx.hardware == "cpu" or spec.vram_gb <= hw.vram_gb:
            usable.append((spec, False))
        elif spec.offload_vram_gb <= hw.vram_gb:
            usable.append((spec, True))
        else:
            skipped.append(
                f"{fam} needs ~{spec.offload_vram_gb:g} GiB even with CPU offload, "
                f"more than {ctx.hardware} has"
            )
    if not usable:
        fix = "allow more families or pick larger hardware"
        if ctx.reference:
            fix = reference.NO_FAMILY_FIX
        if ctx.layers == "only":
            fix = (
                "a split into layers needs Qwen-Image-Layered: allow it, plan for a GPU it fits, "
                "or give a mask or clicks to put one subject on its own layer (no model needed)"
            )
        raise PlanError(
            f"no allowed model family can run {'an' if mode[0] in 'aeiou' else 'a'} {mode} edit"
            f"{' with a reference image' if ctx.reference else ''} on {ctx.hardware} "
            f"({'; '.join(skipped) or 'none listed'}); {fix}"
        )
    chosen, offload = usable[0]
    if skipped and chosen.family != prefs[0]:
        hits.append(RuleHit(id="fit-hardware", why=f"{'; '.join(skipped)}: using {chosen.family}."))
    if offload:
        hits.append(
            RuleHit(
                id="cpu-offload",
                why=f"{chosen.family} needs ~{chosen.vram_gb:g} GiB; "
                f"with model CPU offload it fits {ctx.hardware}.",
            )
        )
    alternates = [s.family for s, _ in usable[1:]]
    return chosen, offload, alternates


def _dilation(decisions: dict[str, Any], facts: ImageFacts) -> tuple[int, int]:
    dilate = decisions.get("dilate", 0)
    if dilate == "scaled":
        dilate = int(min(16, max(8, round(max(facts.width, facts.height) / 64))))
    feather = decisions.get("feather", max(4, dilate // 2) if dilate else 0)
    return int(dilate), int(feather)


def _crop(enabled: bool | str, facts: ImageFacts, spec: FamilySpec) -> CropPlan:
    if enabled is False:
        return CropPlan(enabled=False, reason="the region is large next to the image: full frame")
    if enabled == "auto" or facts.mask_bbox is None:
        return CropPlan(
            enabled="auto" if enabled == "auto" else True,
            multiple_of=spec.multiple_of,
            resize_to=spec.native_resolution,
            reason=f"decided on the mask once known: on when its box covers <= "
            f"{BBOX_SMALL:.0%} of the image",
        )
    x0, y0, x1, y1 = facts.mask_bbox
    pad = int(min(128, max(32, round(0.25 * max(x1 - x0, y1 - y0)))))
    W, H = facts.out_width, facts.out_height

    m = spec.multiple_of

    def span(a: int, b: int, limit: int) -> tuple[int, int]:
        a, b = a - pad, b + pad
        b = a + -(-(b - a) // m) * m  # round the side up to the model's multiple
        if b - a >= limit:
            return 0, limit
        shift = max(0, -a) - max(0, b - limit)  # shift inward instead of clipping
        return a + shift, b + shift

    bx0, bx1 = span(x0, x1, W)
    by0, by1 = span(y0, y1, H)
    return CropPlan(
        enabled=True,
        padding_px=pad,
        multiple_of=spec.multiple_of,
        resize_to=spec.native_resolution,
        box=(bx0, by0, bx1, by1),
        reason=f"model runs on the padded box {bx1 - bx0}x{by1 - by0} (one box per mask "
        f"region at run time) at {spec.native_resolution} px, then is stitched back",
    )


def decide(
    request: EditRequest, facts: ImageFacts
) -> tuple[intent_mod.Intent, RuleFacts, dict[str, Any], list[RuleHit]]:
    """Run the rule table. Returns (intent, context, decisions, rules that fired)."""
    # 1. read the words and the inputs into the context the rules match on
    it = intent_mod.parse(request.edit, region_given(request))
    canvas = "given" if request.extend is not None and request.extend.any else None
    if canvas is None and (words := words_canvas(request, facts, it, 8)) is not None:
        request, facts = with_canvas(request, facts, words)
        canvas = "words"
    ctx = rule_context(request, facts, it, canvas)
    decisions: dict[str, Any] = {}
    # 2. the first matching task rule decides the approach
    task = next(r for r in TASK_RULES if matches(r.when, ctx))
    apply(decisions, task.then, ctx)
    hits = [RuleHit(id=task.id, why=task.why)]
    # 3. every matching adjustment rule applies, in order
    for rule in ADJUST_RULES:
        if matches(rule.when, ctx):
            apply(decisions, rule.then, ctx)
            hits.append(RuleHit(id=rule.id, why=rule.why))
    return it, ctx, decisions, hits


def make_plan(request: EditRequest, facts: ImageFacts) -> EditPlan:
    """Apply the rule table to a request and its facts. Deterministic; no I/O."""
    it, ctx, decisions, hits = decide(request, facts)
    mode = decisions["mode"]
    # 4. the model family that is allowed and fits the hardware
    spec, offload, alternates = _choose_family(
        decisions["families"], mode, ctx, hits, decisions.get("controlnet")
    )
    # 4b. the canvas: --extend as given, or from the size words at the family's multiple
    canvas = None
    if ctx.canvas == "words":
        canvas = words_canvas(request, facts, it, spec.multiple_of)
        if canvas is None:  # decide() found one from the same words
            raise PlanError(
                f"the size words of {request.edit!r} gave no canvas; give the canvas extension",
                [hint("extend")],
            )
        request, facts = with_canvas(request, facts, canvas)
    elif ctx.canvas == "given" and request.extend is not None:
        canvas = given_canvas(request.extend, facts)
    # 5. numbers: mask preparation, guidance, strength, steps, crop
    has_region = ctx.region != "none"
    dilate, feather = _dilation(decisions, facts) if has_region else (0, 0)
    cfg = spec.text_guidance * decisions.get("cfg_factor", 1.0)
    guidance = Guidance(
        kind=spec.guidance_kind,
        text=round(cfg, 2),
        image=spec.image_guidance,
        meaning=spec.guidance_meaning,
    )
    strength = decisions.get("strength") if mode == "sdedit" else None
    sweep = None
    if strength is not None and decisions.get("sweep"):
        sweep = strength_sweep(strength)
    steps = request.preferences.steps or max(
        spec.min_steps, round(spec.steps * decisions.get("steps_factor", 1))
    )
    crop = (
        _crop(decisions.get("crop", False), facts, spec)
        if has_region
        else CropPlan(enabled=False, reason="whole-image edit: there is no region to crop to")
    )
    # 6. mask plan, ControlNet, prompt, checklist, latency
    source = {"mask": "given", "canvas": "canvas", "none": "none"}.get(ctx.region)
    if ctx.region == "sam":
        source = "sam-box" if request.sam and request.sam.box is not None else "sam-points"
    named, face = ctx.text_target, ctx.face_target
    source = "text" if named is not None else "face" if face is not None else source
    sam_model = decisions.get("sam_model", "vit_b") if source in SAM_SOURCES else None
    mask = MaskPlan(
        source=source,
        invert=bool(decisions.get("invert", False)),
        dilate_px=dilate,
        feather_px=feather,
        sam_model=sam_model,
        text=named.text if named else face.words if face else None,
        pick=named.pick if named else face.pick if face else None,
        part=face.part if face else None,
        note=face_words.mask_note(face)
        if face
        else _mask_note(source, sam_model, decisions, named),
    )
    controlnet = None
    if "controlnet" in decisions:
        row = spec.pipeline_row(mode, "openpose")
        controlnet = ControlNetPlan(
            type="openpose",
            id=CONTROLNETS[("openpose", spec.family)],
            conditioning_scale=row.conditioning_scale if row else 1.0,
            image="an OpenPose skeleton image the size of the source, "
            "supplied by the caller (the control image)",
        )
    executor = decisions.get("executor", "diffusers")
    prompt = prompts.rewrite(
        it.first,
        request.edit,
        request.scene,
        mode,
        distilled=spec.guidance_kind == "distilled",
        token_limit=spec.prompt_tokens,
        behind_words=facts.ring_words,
    )
    if request.guidance is not None:  # the source is image 1, the reference image 2
        prompt = reference.prompt_with_reference(prompt, mode)
    work = work_size(mode, executor, crop, facts, spec)
    warn_prompt = bool(decisions.get("warn_prompt"))
    qa = checklist.checklist(mode, strength, warn_prompt, has_region, ctx.intent, source)
    qa += checklist.identity_items(mode, has_region, source, face_words.changes_face(request.edit))
    warnings = []
    if warn_prompt:
        warnings.append(
            "No scene caption: the prompt describes only the new content; give a scene caption "
            "(the whole image after the edit, one sentence)."
        )
    if controlnet is not None:
        warnings.append("ControlNet needs a pose image: give the control image when you run it.")
    if len(it.edits) > 1:
        rest = "; then ".join(f'"{e.text}"' for e in it.edits[1:])
        warnings.append(
            f"The text holds {len(it.edits)} edits; this plan carries out the first "
            f'("{it.first.text}"). Plan the rest one by one on its result: {rest}.'
        )
    if prompt.dropped:
        warnings.append(
            f"The prompt was over {prompt.token_limit} tokens; left out: {' '.join(prompt.dropped)}."
        )
    latency = estimate(
        spec,
        request.preferences.hardware,
        executor=executor,
        steps_run=max(1, int(steps * (strength or 1.0))),
        work_pixels=_work_pixels(crop, facts, spec, mode, executor, work),
        mask_stage=sam_model or ("prepare" if has_region else None),
        controlnet=controlnet is not None,
        offload=offload,
    )
    quality_rule, cited = cite(spec.family, spec.default_id, hits, decisions)  # scores.py
    return EditPlan(
        request=request,
        facts=facts,
        intent=ctx.intent,
        sequence=[
            EditStep(text=e.text, intent=e.kind, object=e.object, target=e.target, planned=i == 0)
            for i, e in enumerate(it.edits)
        ],
        understood=understood(it.first, hits, prompt.built_by, mode, canvas),
        canvas=canvas,
        work_size=work,
        mode=mode,
        executor=executor,
        model=ModelChoice(
            family=spec.family,
            id=spec.default_id,
            pipeline=spec.pipeline_for(mode),
            alternates=alternates,
            native_resolution=spec.native_resolution,
            vram_gb=spec.offload_vram_gb if offload else spec.vram_gb,
            offload=offload,
            licence=LICENCES[spec.family].name,
            commercial_use=LICENCES[spec.family].commercial_use,
            quality_rule=quality_rule,
            cited_scores=cited,
        ),
        mask=mask,
        controlnet=controlnet,
        guidance=guidance,
        strength=strength,
        strength_sweep=sweep,
        steps=steps,
        seed=request.preferences.seed or 0,
        crop=crop,
        color_match=bool(decisions.get("color_match", False)),
        prompt=prompt,
        qa=qa,
        rules=hits,
        latency=latency,
        warnings=warnings,
        layers=request.layers or it.layers is not None,
    )


def _mask_note(
    source: str,
    sam_model: str | None,
    decisions: dict[str, Any],
    named: picks.TextTarget | None = None,
) -> str:
    inverse = (
        " and inverted (the region to regenerate is everything but the subject)"
        if decisions.get("invert")
        else ""
    )
    return {
        "given": "the mask file given, white = edit",
        "sam-points": f"Segment Anything ({sam_model}) from the clicked points{inverse}",
        "sam-box": f"Segment Anything ({sam_model}) from the box{inverse}",
        "text": f"SAM 3 finds every {named.text if named else 'object'!r} and the words pick "
        f"{named.pick if named and named.pick else 'the most confident'}{inverse}",
        "canvas": "the new canvas area around the source",
        "none": "no mask: the model edits the whole image from the instruction",
    }[source]


def _work_pixels(
    crop: CropPlan,
    facts: ImageFacts,
    spec: FamilySpec,
    mode: str,
    executor: str,
    work: WorkSize | None = None,
) -> float:
    if executor == "classical":
        if crop.box is not None:
            x0, y0, x1, y1 = crop.box
            return float((x1 - x0) * (y1 - y0))
        return float(facts.out_width * facts.out_height)
    if crop.enabled is True:
        return float(spec.native_resolution**2 * max(1, facts.mask_regions or 1))
    if work is not None:
        return float(work.width * work.height)
    if mode == "instruct":
        return float(spec.native_resolution**2)
    return float(facts.out_width * facts.out_height)
