"""Faces: detection, 5- and 68-point landmarks, 128-D embeddings and face-part regions, on dlib's
models from the package index (``pip install 'retouch[faces]'``: dlib-bin + face-recognition-models).

Imports planner only (errors); dlib and cv2 only inside the functions that use them. Public API::

    from retouch.executors.faces import Face, detect_faces, faces_available
    faces = detect_faces(rgb)            # rgb: uint8 (H, W, 3); list[Face], largest first
    faces[0].box, faces[0].score         # XYXY px (exclusive end), detector score
"""

from retouch.executors.faces.detect import Face, detect_faces
from retouch.executors.faces.models import FACE_MODELS, FACES_INSTALL, faces_available

__all__ = ["FACES_INSTALL", "FACE_MODELS", "Face", "detect_faces", "faces_available"]
