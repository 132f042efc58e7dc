"""Pixel plumbing shared by every executor: mask operations, crop-and-stitch, compositing, image
modes, and the one encoder every written result goes through (encode.py).

Imports planner only (numpy, Pillow, OpenCV; tifffile for 16-bit colour TIFF); never torch, never
another executors room.
"""
