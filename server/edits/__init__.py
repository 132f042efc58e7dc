"""The one edit sequence every front calls: plan -> mask -> executor -> run -> QA of what ran ->
retries -> the run folder (one writer, one comparison image) -> the version in the history.

``job`` holds the typed inputs and outcome, ``sequence`` the steps, ``files`` the run folder's
writer, ``images`` the bytes and small pictures the fronts show, ``masks`` the one segmentation.
May import retouch.planner, retouch.executors and retouch.server.history; never the fronts
(retouch.server.cli, .mcp, .pool) and never the MCP SDK. torch, diffusers and cv2 only inside
functions, through executors.
"""
