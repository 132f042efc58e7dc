"""Evaluation: scoring runs of the same tasks under several arms (``retouch compare``).

The scorer interface (``base.py``, one class per scorer), the scorers (``pose.py``,
``identity.py``), their registry and the loaded set (``scorers.py``), scores and statistics
(``scores.py``), report.md (``report.py``) and example task sets (``examples.py``).
Imports planner and executors.qa (the face, pose and identity measures); never server; torch,
cv2 and the scorers' models only inside the scorers that load them.
"""
