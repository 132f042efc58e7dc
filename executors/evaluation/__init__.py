"""Evaluation: scoring runs of the same tasks under several arms (``retouch compare``).

The scorer interface (``base.py``, one class per scorer), the scorers (``pose.py``,
``identity.py``, ``identity_dlib.py``), their registry and the loaded set (``scorers.py``), scores and statistics
(``scores.py``), report.md (``report.py``) and example task sets (``examples.py``).
Imports planner, executors.qa (the face, pose and identity measures) and executors.faces (dlib's
face models); never server; torch,
cv2 and the scorers' models only inside the scorers that load them.
"""
