"""QA: measures, the checklist run, the fixes a failed check proposes, CLIP adherence, retry.

Imports planner and executors.images; torch only inside the CLIP check.
"""
