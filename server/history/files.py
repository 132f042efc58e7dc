"""The history store's content-addressed files, named by the sha256 of their bytes.

``objects/ab/<sha256>.png``, or ``.tif`` for an image PNG cannot hold (CMYK, LAB, 32-bit, float):
each image is kept as the user gave it (mode, bit depth, alpha, ICC profile) by the one fidelity
encoder, executors/images/encode.py. A file appears only by an atomic rename of a fully written,
fsynced temp file (``.tmp-<pid>-<random>-<name>`` beside it), so a file at its final name is whole.
"""

from __future__ import annotations

import os
import secrets
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING

from retouch.planner.contract.errors import InputError, StoreError

if TYPE_CHECKING:  # numpy and Pillow load when an image is stored or read, not at a front's start
    import numpy as np
    from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SIGNATURES = {PNG_SIGNATURE: ".png", b"II*\x00": ".tif", b"MM\x00*": ".tif"}
"""Leading bytes -> the object's suffix: the store keeps PNG and (little/big-endian) TIFF files."""
SUFFIXES = (".png", ".tif")


def suffix_of(data: bytes) -> str:
    """``.png`` or ``.tif`` for encoded bytes; InputError for anything else."""
    for signature, suffix in SIGNATURES.items():
        if data.startswith(signature):
            return suffix
    raise InputError(
        "the store keeps PNG and TIFF files only; encode the image with encode_object()"
    )


def encode_object(image: Image.Image) -> bytes:
    """The bytes the store keeps for ``image``, as the user gave it: PNG when PNG holds its mode
    and bit depth exactly, else TIFF (CMYK, LAB, 32-bit and float), both lossless, with alpha, ICC
    profile, dpi and EXIF (executors/images/encode.py). Deterministic: the same image gives the
    same bytes, hence the same sha256. A mode no format holds exactly (YCbCr, HSV...) is kept as
    RGB, its ICC profile (not an RGB one) dropped."""
    from retouch.executors.images.encode import HOLDS, encode_image, kind, suffix_for

    k = kind(image)
    if k not in HOLDS["PNG"] and k not in HOLDS["TIFF"]:
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
        image.info.pop("icc_profile", None)
    return encode_image(image, "PNG" if suffix_for(image) == ".png" else "TIFF")


def encode_png(image: Image.Image) -> bytes:
    """PNG bytes of a mask or preview image PNG holds (L, RGB, RGBA...): ``encode_object`` that
    refuses a TIFF. Images go through ``encode_object``."""
    data = encode_object(image)
    if not data.startswith(PNG_SIGNATURE):
        raise InputError(f"a {image.mode} image is kept as TIFF, not PNG; use encode_object()")
    return data


def mask_png(mask: np.ndarray | Image.Image, size: tuple[int, int]) -> bytes:
    """A mask (bool (H, W) True = edit, or a mask image) as an L PNG, 255 = edit, checked to be
    ``size`` (W, H)."""
    import numpy as np
    from PIL import Image
    from retouch.planner.contract.imageio import array_to_mask, mask_to_array

    arr = mask_to_array(mask) if isinstance(mask, Image.Image) else np.asarray(mask)
    if arr.ndim != 2 or (arr.shape[1], arr.shape[0]) != size:
        raise InputError(f"mask is {arr.shape[::-1]} (W, H), image is {size}; they must match")
    return encode_png(array_to_mask(arr.astype(bool)))


def open_object(data: bytes) -> Image.Image:
    """Decode stored bytes (PNG or TIFF) into a loaded PIL image: mode, ``info['icc_profile']``
    and 16-bit colour as stored (planner.imageio.decode_image)."""
    from retouch.planner.contract.imageio import decode_image

    return decode_image(data)


def png_view(data: bytes) -> bytes:
    """PNG bytes to show stored ``data``: the bytes themselves when they are a PNG, else (an image
    kept as TIFF: CMYK...) the image converted to RGB(A), without its profile (not an RGB one)."""
    if data.startswith(PNG_SIGNATURE):
        return data
    image = open_object(data)
    image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    image.info.pop("icc_profile", None)
    return encode_png(image)


def private_dirs(*folders: Path) -> None:
    """Create each missing folder (and missing parents) for this user only: 0700, whatever the
    umask; folders that exist are left as they are."""
    for folder in folders:
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for p in missing:
            os.chmod(p, 0o700)


class ObjectFiles:
    """PNG and TIFF files under ``root``, each at ``root/<sha[:2]>/<sha>.png`` (or ``.tif``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha: str) -> Path:
        """Where the object lives: its ``.png`` or ``.tif`` file, whichever exists (``.png``
        when neither does)."""
        base = self.root / sha[:2] / sha
        found = (base.with_suffix(s) for s in SUFFIXES if base.with_suffix(s).exists())
        return next(found, base.with_suffix(SUFFIXES[0]))

    def put(self, data: bytes) -> str:
        """Write PNG or TIFF bytes unless already present; returns their sha256."""
        sha = sha256(data).hexdigest()
        self.ensure(sha, data)
        return sha

    def ensure(self, sha: str, data: bytes) -> None:
        """Write ``data`` (whose sha256 is ``sha``) at its name unless a file is there."""
        path = self.root / sha[:2] / f"{sha}{suffix_of(data)}"
        if not path.exists():
            self.write_atomic(path, data)

    def write_atomic(self, path: Path, data: bytes) -> None:
        """Temp file beside ``path``, fsync, rename over ``path``, fsync the folder."""
        try:
            private_dirs(path.parent)
            tmp = path.with_name(f".tmp-{os.getpid()}-{secrets.token_hex(4)}-{path.name}")
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
                os.fchmod(fd, 0o600)  # this user only, whatever the umask
                with open(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except OSError:
                tmp.unlink(missing_ok=True)
                raise
            if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
                fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise StoreError(
                f"cannot write {path} ({exc.strerror or exc}); check free space and "
                f"permissions of {self.root}"
            ) from exc

    def read(self, sha: str) -> bytes:
        """The bytes of an object, checked against its sha256; StoreError if missing or damaged."""
        path = self.path(sha)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise StoreError(
                f"object {sha[:12]} is missing from {self.root}; the store was "
                "modified by hand; restore the file from a backup"
            ) from None
        if sha256(data).hexdigest() != sha:
            raise StoreError(
                f"object {path} is damaged (its sha256 does not match); restore it from a backup"
            )
        return data
