"""The one entry for masks from prompts: face words -> the face models; other words -> SAM 3;
clicks/box -> SAM 1, SAM 2.1 or GrabCut.

    segment(image, prompt, checkpoint=..., pick=..., instance=...) -> MaskResult

Which model (nothing is downloaded):
- words that name a face or a face part (planner/language/faces.py: "her face", "his glasses", "the
  mouth of the man on the left"): the face models (faces.py, the faces extra), never SAM 3; the
  faces found are the instances. Without the faces extra, SAM 3 when it is there, else a
  ModelMissingError naming both.
- other words (``prompt.text``): SAM 3 or SAM 3 LiteText (sam3.py) from ``checkpoint``,
  $RETOUCH_SAM_CHECKPOINT or the Hugging Face cache (checkpoints.pick_sam3: with both in the cache,
  LiteText where memory is short, checkpoints.prefer); never GrabCut: without either it is a
  ModelMissingError naming the models and the alternatives. The result's ``sam_type`` ("sam3" or
  "sam3-litetext") and its note say which ran and why. Every instance found is returned; the
  mask is the ones ``instance`` (an id or "all") or ``pick`` (planner/language/picks.py) chooses.
- clicks and a box: ``checkpoint`` or $RETOUCH_SAM_CHECKPOINT, told apart by its files: a SAM 1
  .pth (sam.py) or a SAM 2.1 transformers folder (sam2.py); neither -> GrabCut (grabcut.py), which
  says so in its note.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image
from retouch.executors.segment import checkpoints, instances
from retouch.executors.segment.prompts import MaskResult, check_prompt, to_rgb
from retouch.planner.catalog.registry import SAM_CHECKPOINT_HINT, SAM_CHECKPOINT_HINTS
from retouch.planner.contract.errors import ExecutorError, InputError, ModelMissingError
from retouch.planner.contract.hints import hint
from retouch.planner.contract.schema import SamPrompt
from retouch.planner.language import faces as face_words


def segment(
    image: Image.Image,
    prompt: SamPrompt,
    *,
    checkpoint: str | None = None,
    sam_type: str = "vit_b",
    device: str | None = None,
    pick: str | None = None,
    instance: int | str | None = None,
) -> MaskResult:
    """Mask of what ``prompt`` names or marks on ``image``.

    ``checkpoint``: SAM 1 .pth, SAM 2.1 / SAM 3 / SAM 3 LiteText folder or Hugging Face id in the
    local cache; None reads $RETOUCH_SAM_CHECKPOINT (words: else the cache, checkpoints.pick_sam3).
    ``sam_type``: SAM 1 only (vit_b/l/h, auto). ``pick``/``instance``: words only. Raises
    InputError (bad prompt, wrong kind of checkpoint, instance out of range), ModelMissingError (no
    SAM 3 for words, a checkpoint path that does not exist), ExecutorError (the words found
    nothing).
    """
    # 1. check inputs before loading anything
    rgb = to_rgb(image)
    check_prompt(prompt, (rgb.shape[1], rgb.shape[0]))
    if prompt.text is None and (pick is not None or instance is not None):
        raise InputError(
            "a pick or an instance chooses among what words find; give the words too",
            [hint("text")],
        )
    if pick is not None:
        instances.parse_pick(pick)
    # 2. face words -> the face models; other words -> SAM 3
    if prompt.text is not None:
        face = face_words.read(prompt.text)
        if face is not None:
            return _from_face_words(rgb, face, checkpoint, device, pick, instance)
        return _from_words(rgb, prompt.text, checkpoint, device, pick, instance)
    # 3. clicks / box -> the checkpoint's kind, else GrabCut
    name = checkpoint or os.environ.get(checkpoints.CHECKPOINT_ENV) or None
    path = checkpoints.resolve(name) if name else None
    if name and path is None:
        raise ModelMissingError(
            f"SAM checkpoint not found: {name}; {SAM_CHECKPOINT_HINT}", SAM_CHECKPOINT_HINTS
        )
    kind = checkpoints.check_kind(path, ("sam1", "sam2", "sam3"), "clicks") if path else None
    if kind == "sam3" and checkpoint:
        raise InputError(
            f"{path} is a {checkpoints.VARIANT_NAMES[checkpoints.variant_of(path) or 'sam3']} "
            "folder: it segments from words; for clicks and boxes "
            "give a SAM 2.1 folder or a SAM 1 .pth",
            [hint("text"), hint("sam_checkpoint")],
        )
    if kind == "sam1":
        from retouch.executors.segment.sam import get_segmenter

        return get_segmenter(path, sam_type, device)(rgb, prompt)
    if kind == "sam2":
        from retouch.executors.segment.sam2 import get_sam2

        return get_sam2(path, device)(rgb, prompt)
    from retouch.executors.segment.grabcut import GrabCutSegmenter

    return GrabCutSegmenter()(rgb, prompt)


def _from_words(
    rgb: np.ndarray,
    text: str,
    checkpoint: str | None,
    device: str | None,
    pick: str | None,
    instance: int | str | None,
) -> MaskResult:
    """SAM 3's (or LiteText's) instances of ``text``; the mask is those ``instance`` or ``pick``
    chooses. On ``device`` "cpu" the preference between the two is the CPU's, else this machine's
    hardware class's."""
    from retouch.executors.segment.sam3 import SCORE_THRESHOLD, get_sam3

    choice = checkpoints.pick_sam3(checkpoint, "cpu" if device == "cpu" else None)
    found = get_sam3(choice.path, device)(rgb, text)
    if not found:
        raise ExecutorError(
            f"{choice.name} found no {text!r} on this image (no instance scored above "
            f"{SCORE_THRESHOLD}); name it in other words, or mark it with clicks or a box",
            [hint("points"), hint("box")],
        )
    size = (rgb.shape[1], rgb.shape[0])
    if instance is not None:
        ids, how = instances.select(found, instance), f"instance {instance}"
    else:
        ids = instances.choose(found, pick, size)
        how = f"'{pick}'" if pick else "the most confident"
    chosen = [i for i in found if i.id in ids]
    score = min(i.score for i in chosen)
    return MaskResult(
        mask=instances.union(found, ids),
        score=score,
        method="sam",
        sam_type=choice.variant,
        candidates=[i.mask for i in found],
        scores=[i.score for i in found],
        note=f"{choice.name} found {len(found)} instance(s) of {text!r}; the mask is "
        f"#{', #'.join(str(i) for i in ids)} ({how}, score {score:.2f}); "
        f"{choice.name} because {choice.reason}",
        instances=found,
        chosen=ids,
    )


def _from_face_words(
    rgb: np.ndarray,
    face: face_words.FaceTarget,
    checkpoint: str | None,
    device: str | None,
    pick: str | None,
    instance: int | str | None,
) -> MaskResult:
    """The face part the words name, on the face(s) the pick or instance chooses. A pick of
    "all" made only by a plural part word ("his eyes") means one face, not every face."""
    from retouch.executors.faces import FACES_INSTALL, faces_available
    from retouch.executors.segment.faces import face_mask

    if not faces_available():
        try:
            return _from_words(rgb, face.words, checkpoint, device, pick, instance)
        except ModelMissingError as exc:
            raise ModelMissingError(
                f"{face.words!r} names a face part: masks for faces need the face models "
                f"({FACES_INSTALL}); else SAM 3: {exc.message}",
                exc.hints,
            ) from None
    chosen = face.pick if pick in (None, "all") else pick
    return face_mask(rgb, face.part, chosen, instance)
