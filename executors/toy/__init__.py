"""The lesson's toy: a DDPM on 2-D points and the shape-agnostic sampler with RePaint resampling.

Imports planner and torch; nothing else in executors.
"""
