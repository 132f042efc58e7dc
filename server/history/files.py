"""The history store's content-addressed files: PNGs named by the sha256 of their bytes.

``objects/ab/<sha256>.png``; a file appears only by an atomic rename of a fully written, fsynced
temp file (``.tmp-<pid>-<random>-<name>`` beside it), so a file at its final name is whole.
"""

from __future__ import annotations

import io
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
_PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"}


def encode_png(image: Image.Image) -> bytes:
    """PNG bytes of ``image``, keeping alpha and the ICC profile. Deterministic: the same pixels
    and profile give the same bytes, hence the same sha256. Modes PNG cannot hold (CMYK, YCbCr,
    F...) are converted to RGB(A), and their ICC profile (not an RGB one) is dropped."""
    from retouch.planner.contract.imageio import deep_pixels

    if deep_pixels(image) is not None:  # 16-bit colour: the one encoder writes it whole
        from retouch.executors.images.encode import encode_image

        return encode_image(image, "PNG")
    icc = image.info.get("icc_profile")
    if image.mode not in _PNG_MODES:
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
        icc = None
    buf = io.BytesIO()
    image.save(buf, format="PNG", icc_profile=icc or None, compress_level=6)
    return buf.getvalue()


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


def open_png(data: bytes) -> Image.Image:
    """Decode stored PNG bytes into a loaded PIL image (``info['icc_profile']`` and 16-bit colour
    kept, planner.imageio.decode_image)."""
    from retouch.planner.contract.imageio import decode_image

    return decode_image(data)


def private_dirs(*folders: Path) -> None:
    """Create each missing folder (and missing parents) for this user only: 0700, whatever the
    umask; folders that exist are left as they are."""
    for folder in folders:
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for p in missing:
            os.chmod(p, 0o700)


class ObjectFiles:
    """PNG files under ``root``, each at ``root/<sha[:2]>/<sha>.png``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / f"{sha}.png"

    def put(self, data: bytes) -> str:
        """Write PNG bytes unless already present; returns their sha256."""
        if not data.startswith(PNG_SIGNATURE):
            raise InputError("the store keeps PNG files only; encode the image with encode_png()")
        sha = sha256(data).hexdigest()
        path = self.path(sha)
        if not path.exists():
            self.write_atomic(path, data)
        return sha

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
