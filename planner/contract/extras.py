"""Which install extra brings back a missing library, and the one-line error that says so.

``pip install retouch`` is the light install: the planner, ``retouch plan``/``doc``, the MCP
server, the weight-free fill (OpenCV + PyPatchMatch), QA and the history. The model executors'
libraries come with extras (pyproject.toml ``[project.optional-dependencies]``); a front that meets
an ``ImportError`` for one of them turns it into a ``ModelMissingError`` naming the extra
(``missing_extra``), never an internal error.
"""

from __future__ import annotations

from retouch.planner.contract.errors import ModelMissingError

EXTRAS: dict[str, str] = {  # top-level import name -> the extra that installs it
    "torch": "gpu",
    "torchvision": "gpu",
    "diffusers": "gpu",
    "transformers": "gpu",
    "accelerate": "gpu",
    "safetensors": "gpu",
    "peft": "gpu",
    "segment_anything": "gpu",
    "matplotlib": "gpu",  # the toy's sweep plot; the toy needs torch anyway
    "dlib": "faces",
    "face_recognition_models": "faces",
    "ray": "ray",
    "controlnet_aux": "compare",
}
"""Import name -> extra. tests/test_light_install.py checks each extra in pyproject.toml names a
distribution for every module mapped to it."""

WHAT = {
    "gpu": "the model executors (diffusion, Segment Anything, CLIP, the toy)",
    "faces": "the face models",
    "ray": "the Ray Serve pool",
    "compare": "retouch compare's pose scorer",
}


def install_line(extra: str) -> str:
    """The command that installs ``extra``, quoted for a POSIX shell."""
    return f"pip install 'retouch[{extra}]'"


def missing_extra(exc: ImportError) -> ModelMissingError | None:
    """The error to show for ``exc`` when an extra provides the missing module, else None."""
    name = (exc.name or "").split(".")[0]
    extra = EXTRAS.get(name)
    if extra is None:
        return None
    return ModelMissingError(
        f"{name} is not installed; {WHAT[extra]} need the {extra} extra: {install_line(extra)}"
    )
