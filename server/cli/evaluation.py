"""The CLI's words for the evaluation room (executors/evaluation): a skipped scorer's setting as
the flag that gives it, and an example task set written with a README of the commands to run it.
"""

from __future__ import annotations

from pathlib import Path

from retouch.executors.evaluation.base import ENV, Setting, Skip

FLAGS: dict[Setting, str] = {"pose_model": "--pose-model DIR", "face_model": "--face-model FILE"}


def skipped_text(skipped: dict[str, Skip]) -> dict[str, str]:
    """metric -> why it is skipped, with the flag (or environment variable) that would give it."""
    return {
        metric: skip.why
        + (f"; pass {FLAGS[skip.setting]} or set {ENV[skip.setting]}" if skip.setting else "")
        for metric, skip in skipped.items()
    }


def write_example(name: str, out: Path) -> list[Path]:
    """Write the example task set ``name`` and its README.md to ``out``; [tasks, arms] paths.
    InputError for a name that is not an example."""
    from retouch.executors.evaluation.examples import EXAMPLES, MASK_GROW
    from retouch.planner.contract.atomic import atomic_write
    from retouch.planner.contract.errors import InputError

    if name not in EXAMPLES:
        raise InputError(f"--example {name} is not one of {', '.join(EXAMPLES)}")
    tasks, arms = EXAMPLES[name](out)
    atomic_write(out / "README.md", _readme(tasks, arms, MASK_GROW).encode())
    return [tasks, arms]


def _readme(tasks: Path, arms: Path, grow: float) -> str:
    return f"""# The lesson's exercise: SD 1.5 Inpaint + ControlNet-OpenPose vs FLUX.1 Fill

20 face regenerations of scikit-image's astronaut photo (10 crops, each also mirrored, 512x512),
a seed each. `mask-NN.png` is the detected face box grown by {grow:.0%} per side;
`pose-NN.png` is a head-and-shoulders OpenPose skeleton drawn from the face box's geometry (not
detected). Run it with the weights on this machine:

    hf download stable-diffusion-v1-5/stable-diffusion-inpainting
    hf download lllyasviel/control_v11p_sd15_openpose
    hf download black-forest-labs/FLUX.1-Fill-dev          # gated: accept its licence first
    hf download lllyasviel/Annotators body_pose_model.pth --local-dir pose-weights
    retouch compare {tasks} --arms {arms} \\
        --pose-model pose-weights [--face-model face_recognition_sface_2021dec.onnx] --out results
"""
