"""QA: measures, the checklist run, the fixes a failed check proposes, CLIP adherence, retry, copied
subjects (faces in a fill, executors.faces or the cascade), and
the compare scorers (face boxes, pose adherence, identity).

Imports planner and executors.images (executors.faces lazily, for copied subjects); torch only
inside the CLIP check and the pose detector.
"""
