"""Carry a plan out: run.py is the one entry (run_plan), select.py picks the executor.

Rooms: diffusion/, segment/, images/, classical/, qa/, toy/ (teaching code). Test models live in
tests/support/, never here.
Imports planner; never server.
"""
