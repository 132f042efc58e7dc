"""Carry a plan out: run.py is the one entry (run_plan), select.py picks the executor.

Rooms: diffusion/, segment/, images/, classical/, qa/, toy/; testing.py builds tiny models.
Imports planner; never server.
"""
