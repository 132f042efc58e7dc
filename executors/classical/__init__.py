"""The weight-free executor: Telea fill with the ring's texture quilted back, and canvas extension.

Imports planner and OpenCV; never torch, never another executors room.
"""
