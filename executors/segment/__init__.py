"""Masks from prompts: Segment Anything (clicks, boxes), the GrabCut fallback, and the edit's mask.

Imports planner and executors.images; never server or executors.diffusion.
"""
