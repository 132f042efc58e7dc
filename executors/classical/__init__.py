"""The weight-free executor: PatchMatch fill for removals (Telea and Navier-Stokes as named methods,
with the ring's texture quilted back) and canvas extension from the background only.

Imports planner, OpenCV and PyPatchMatch; of the other executors rooms only the face finders
(executors.faces, executors.qa.faces) that keep people out of an extension. Never torch.
"""
