"""Pixel plumbing shared by every executor: mask operations, crop-and-stitch, compositing, image modes.

Imports planner only (numpy, Pillow, OpenCV); never torch, never another executors room.
"""
