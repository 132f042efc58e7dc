"""Masks from prompts: SAM 3 (words), SAM 1 / SAM 2.1 (clicks, boxes), GrabCut, the edit's mask.

Imports planner and executors.images; never server or executors.diffusion.
"""
