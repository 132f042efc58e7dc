"""Where the face models are, what each one's licence allows, and loading each once per process.

The four ``.dat`` files come from the ``face-recognition-models`` package (its ``models/`` folder,
found without importing the package: its ``__init__`` needs ``pkg_resources``, which setuptools
81+ no longer ships) or from the folder ``$RETOUCH_FACE_MODELS`` names. dlib itself comes from
``dlib-bin`` (prebuilt wheels). Nothing is downloaded.

Licences (dlib-models README, davisking/dlib-models): the models Davis King trained on data he
annotated are public domain; the 68-point predictor was trained on iBUG 300-W, whose terms exclude
commercial use, so retouch uses the 5-point model wherever five points suffice (alignment for
embeddings, eye centres) and the 68-point one only for face-part outlines (mouth, nose, brows,
jaw).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from retouch.planner.contract.errors import ModelMissingError

FACES_INSTALL = "pip install 'retouch[faces]'"
MODELS_ENV = "RETOUCH_FACE_MODELS"
CACHE_ENV = "RETOUCH_CACHE_DIR"
"""Where the HOG detector's binary copy is kept (default: the platform's user cache folder)."""

ModelName = Literal["hog", "cnn", "landmarks5", "landmarks68", "embedding"]


class FaceModel(BaseModel):
    """One face model: its file (None: built into dlib), what it does, and its licence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str | None = Field(description="file name in the models folder; None when built in")
    does: str = Field(description="what the model computes")
    licence: str = Field(description="the licence of the model and of the data it was trained on")
    commercial: bool = Field(description="whether its terms allow commercial use")


FACE_MODELS: dict[str, FaceModel] = {
    "hog": FaceModel(
        file=None,
        does="frontal face boxes (HOG + linear SVM, built into dlib)",
        licence="Boost Software License 1.0 (dlib)",
        commercial=True,
    ),
    "cnn": FaceModel(
        file="mmod_human_face_detector.dat",
        does="face boxes at any pose (MMOD CNN; ~6 s per 512 px image on CPU)",
        licence="public domain (dlib-models; dlib's own face detection dataset)",
        commercial=True,
    ),
    "landmarks5": FaceModel(
        file="shape_predictor_5_face_landmarks.dat",
        does="5 points: the corners of both eyes and the base of the nose",
        licence="public domain (dlib-models; dlib's 5-point landmark dataset)",
        commercial=True,
    ),
    "landmarks68": FaceModel(
        file="shape_predictor_68_face_landmarks.dat",
        does="68 points: jaw, brows, nose, eyes, lips (iBUG 300-W layout)",
        licence="trained on iBUG 300-W, whose terms exclude commercial use: not for commercial products",
        commercial=False,
    ),
    "embedding": FaceModel(
        file="dlib_face_recognition_resnet_model_v1.dat",
        does="128-D identity embedding of a face aligned by its 5 points (99.38% on LFW at 0.6)",
        licence="public domain (dlib-models; ~3M faces from FaceScrub, VGG-Face and the web)",
        commercial=True,
    ),
}

_LOADED: dict[str, Any] = {}
_LOCK = threading.Lock()


def models_dir() -> Path | None:
    """The folder holding the ``.dat`` files: ``$RETOUCH_FACE_MODELS``, else the installed
    face-recognition-models package's ``models/``; None when neither exists."""
    env = os.environ.get(MODELS_ENV)
    if env:
        path = Path(env).expanduser()
        return path if path.is_dir() else None
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "models"
    return path if path.is_dir() else None


def faces_available() -> bool:
    """True when dlib imports and every model file is present (no model is loaded). Looked up once
    per value of ``$RETOUCH_FACE_MODELS`` (the envelope asks on every plan: ~1 ms a look-up)."""
    return _available(os.environ.get(MODELS_ENV))


@functools.lru_cache(maxsize=8)
def _available(env: str | None) -> bool:
    if importlib.util.find_spec("dlib") is None:
        return False
    folder = models_dir()
    return folder is not None and all(
        (folder / m.file).is_file() for m in FACE_MODELS.values() if m.file
    )


def _import_dlib() -> Any:
    try:
        import dlib
    except ImportError:
        raise ModelMissingError(
            f"face features need dlib, which is not installed; {FACES_INSTALL}"
        ) from None
    return dlib


def model_path(name: ModelName) -> Path:
    """The file of a face model; ModelMissingError naming the install when it is absent."""
    file = FACE_MODELS[name].file
    if file is None:
        raise ValueError(f"face model {name!r} is built into dlib and has no file")
    folder = models_dir()
    if folder is None or not (folder / file).is_file():
        where = (
            f"${MODELS_ENV}={os.environ[MODELS_ENV]}"
            if os.environ.get(MODELS_ENV)
            else ("the face-recognition-models package")
        )
        raise ModelMissingError(
            f"face model {file} is not in {where}; {FACES_INSTALL} "
            f"(or set ${MODELS_ENV} to a folder holding dlib's .dat files)"
        )
    return folder / file


def load(name: ModelName) -> Any:
    """The dlib object for a face model, loaded once per process (thread-safe)."""
    with _LOCK:
        if name not in _LOADED:
            dlib = _import_dlib()
            if name == "hog":
                _LOADED[name] = _hog(dlib)
            elif name == "cnn":
                _LOADED[name] = dlib.cnn_face_detection_model_v1(str(model_path(name)))
            elif name == "embedding":
                _LOADED[name] = dlib.face_recognition_model_v1(str(model_path(name)))
            else:
                _LOADED[name] = dlib.shape_predictor(str(model_path(name)))
        return _LOADED[name]


def hog_cache_path(dlib: Any) -> Path:
    """The binary copy of dlib's frontal face detector: ``$RETOUCH_CACHE_DIR`` (else the user
    cache folder) ``/dlib/frontal_face_detector-<dlib version>.svm``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        root = Path(env).expanduser()
    else:
        import platformdirs

        root = Path(platformdirs.user_cache_dir("retouch", appauthor=False))
    return root / "dlib" / f"frontal_face_detector-{getattr(dlib, '__version__', 'x')}.svm"


def _hog(dlib: Any) -> Any:
    """dlib's frontal face (HOG) detector. dlib builds it from a text copy compiled into the
    library (~0.3 s CPU, the largest part of a `retouch plan`); its binary copy, saved once under
    ``hog_cache_path``, loads in ~1 ms and is the same detector (same boxes and scores). A
    missing, unwritable or damaged copy falls back to building it."""
    path = hog_cache_path(dlib)
    if path.is_file():
        try:
            return dlib.fhog_object_detector(str(path))
        except RuntimeError:  # a damaged copy: built again and saved over it
            pass
    detector = dlib.get_frontal_face_detector()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        detector.save(str(tmp))
        os.replace(tmp, path)  # whole or not at all
    except (OSError, RuntimeError):
        with contextlib.suppress(OSError):
            tmp.unlink()
    return detector


def gpu() -> bool:
    """Whether this dlib was built with CUDA (the CNN detector is then the default)."""
    return bool(getattr(_import_dlib(), "DLIB_USE_CUDA", False))
