"""The contract every layer imports: the request and plan models (``request``, ``schema``,
``understood``), the error tree (``errors``) and fixes as data (``hints``), ranges and name checks
(``bounds``), readiness (``readiness``), changes to a plan (``changes``), the missing-extra errors
(``extras``) and the safe image/mask and file I/O (``imageio``, ``atomic``).

May import: this room only (and pydantic, numpy/Pillow lazily); no other planner room.
"""
