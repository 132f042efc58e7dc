"""Masks from prompts: SAM 3 (words), SAM 1 / SAM 2.1 (clicks, boxes), GrabCut, the face models
(face words: faces.py), the edit's mask.

Imports planner, executors.images and executors.faces; never server or executors.diffusion.
"""
