"""Teaching code: the lesson's toy (`retouch toy`), a DDPM on 2-D points and the shape-agnostic
sampler with RePaint resampling. No edit runs through it; the image executors live in diffusion/.

Imports planner and torch; nothing else in executors.
"""
