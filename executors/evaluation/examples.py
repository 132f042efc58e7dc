"""The lesson's hard exercise as a ready task set and arms file (``retouch compare --example faces``).

"Compare SD 1.5 Inpaint + ControlNet-OpenPose vs FLUX.1 Fill on 20 face-regeneration tasks; score
pose adherence and identity preservation separately." The only face photo that ships offline is
scikit-image's astronaut, so the 20 tasks are 10 square crops of it (side 320-512 px, the face at
different places and scales) resized to 512x512, each also mirrored, with a seed of its own and one
of five wordings of the edit and two scene captions. Per task the folder gets:

- ``task-NN.png``, the photo;
- ``mask-NN.png``, the face box the frontal-face cascade finds (``executors.qa.faces``) grown by
  ``MASK_GROW`` of its side on every side;
- ``pose-NN.png``, an OpenPose skeleton (``executors.qa.pose.draw_skeleton``) of a frontal head
  and shoulders *drawn from the face box's geometry* (``head_joints``), not detected: no detector
  weights are needed to write the example.

``tasks.jsonl`` lists them (EditRequest lines + ``name`` and ``control``) and ``arms.json`` holds
the two arms: the plan as made (SD 1.5 Inpaint with the OpenPose ControlNet) and FLUX.1 Fill (the
same plan with the model, guidance, steps and work size of flux-fill and no ControlNet).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from retouch.executors.qa.faces import FaceBox, best_face
from retouch.executors.qa.pose import JOINTS, draw_skeleton
from retouch.planner.catalog.registry import REGISTRY
from retouch.planner.contract.errors import InputError

SIDE = 512
MASK_GROW = 0.15
MIN_FACE = 64  # px: every crop shows the face at 85 px or more
CROPS = ((512, 0, 0), (448, 32, 0), (384, 64, 0), (320, 96, 16), (384, 0, 0),
         (448, 0, 32), (320, 120, 0), (384, 100, 20), (448, 64, 16), (352, 80, 8))  # fmt: skip
"""Square crops of the 512 px astronaut photo: (side, left, top), px."""
EDITS = ("regenerate the face", "fix the face", "redraw her face", "restore the face",
         "fix her face")  # fmt: skip
SCENES = (
    "a portrait photo of a smiling astronaut in an orange spacesuit in front of an American flag",
    "a studio portrait of a woman in a NASA spacesuit, a flag and a model space shuttle behind her",
)
BASE_SEED = 2024

# A frontal head and shoulders in face-box units (x, y from the box's top-left, 1 = its side).
HEAD = {"nose": (0.5, 0.6), "right eye": (0.33, 0.42), "left eye": (0.67, 0.42),
        "right ear": (0.05, 0.48), "left ear": (0.95, 0.48), "neck": (0.5, 1.5),
        "right shoulder": (-0.7, 1.9), "left shoulder": (1.7, 1.9)}  # fmt: skip


def head_joints(box: FaceBox, size: tuple[int, int]) -> np.ndarray:
    """OpenPose joints (18, 2) px of a frontal head and shoulders under ``box``; NaN for the rest
    and for any joint outside ``size`` (W, H). The subject's right is the image's left."""
    out = np.full((len(JOINTS), 2), np.nan)
    for name, (u, v) in HEAD.items():
        x, y = box.x + u * box.side, box.y + v * box.side
        if 0 <= x < size[0] and 0 <= y < size[1]:
            out[JOINTS.index(name)] = (x, y)
    return out


def arms() -> list[dict[str, Any]]:
    """The two arms: the plan as made (SD 1.5 Inpaint + OpenPose ControlNet) and FLUX.1 Fill."""
    flux = REGISTRY["flux-fill"]

    def put(field: str, value: Any) -> dict[str, Any]:
        return {"field": field, "op": "set", "value": value}

    return [
        {"name": "sd15-inpaint-openpose", "executor": "diffusers", "model": None, "overrides": []},
        {
            "name": "flux1-fill",
            "executor": "diffusers",
            "model": None,
            "overrides": [
                put("model.family", flux.family),
                put("model.id", flux.default_id),
                put("model.pipeline", flux.pipeline),
                put("model.native_resolution", flux.native_resolution),
                put("model.vram_gb", flux.vram_gb),
                put("guidance.kind", flux.guidance_kind),
                put("guidance.text", flux.text_guidance),
                put("guidance.meaning", flux.guidance_meaning),
                put("prompt.negative", ""),
                put("steps", flux.steps),
                put("crop.multiple_of", flux.multiple_of),
                put("crop.resize_to", flux.native_resolution),
                put("controlnet", None),
            ],
        },
    ]


def write_faces(out: Path) -> list[Path]:
    """Write the 20 face tasks, their masks and skeletons, tasks.jsonl and arms.json to ``out``;
    returns the paths of tasks.jsonl and arms.json."""
    import skimage.data
    from PIL import Image
    from retouch.planner.contract.atomic import atomic_write

    out.mkdir(parents=True, exist_ok=True)
    photo = Image.fromarray(skimage.data.astronaut()).convert("RGB")
    lines = []
    for i in range(2 * len(CROPS)):
        # 1. the photo: a crop, resized, mirrored in the second half
        side, left, top = CROPS[i % len(CROPS)]
        img = photo.crop((left, top, left + side, top + side))
        img = img.resize((SIDE, SIDE), Image.Resampling.LANCZOS)
        if i >= len(CROPS):
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        # 2. the face box, the mask and the skeleton
        box = best_face(np.asarray(img), min_side=MIN_FACE)
        if box is None:  # every crop above shows the face: a cascade change would land here
            raise InputError(f"example task {i + 1}: no face found in the crop {side}@{left},{top}")
        mask = np.zeros((SIDE, SIDE), dtype=np.uint8)
        x0, y0, x1, y1 = box.grown(MASK_GROW, img.size).xyxy()
        mask[y0:y1, x0:x1] = 255
        n = f"{i + 1:02d}"
        img.save(out / f"task-{n}.png")
        Image.fromarray(mask, "L").save(out / f"mask-{n}.png")
        Image.fromarray(draw_skeleton(img.size, head_joints(box, img.size))).save(
            out / f"pose-{n}.png"
        )
        lines.append(
            {
                "name": f"face-{n}",
                "image": f"task-{n}.png",
                "mask": f"mask-{n}.png",
                "control": f"pose-{n}.png",
                "edit": EDITS[i % len(EDITS)],
                "scene": SCENES[i % len(SCENES)],
                "preferences": {"seed": BASE_SEED + i},
            }
        )
    tasks = out / "tasks.jsonl"
    atomic_write(tasks, "".join(json.dumps(x) + "\n" for x in lines).encode())
    arms_file = out / "arms.json"
    atomic_write(arms_file, (json.dumps(arms(), indent=2) + "\n").encode())
    return [tasks, arms_file]


EXAMPLES = {"faces": write_faces}
"""Example task sets by name: each writes its files to a folder and returns [tasks, arms]."""
