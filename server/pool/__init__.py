"""The Ray Serve executor pool (the optional ``ray`` extra): job descriptions, the deployments,
the front's client and the pool commands' operations. May import planner, executors and
server.edits (a replica runs the edit service's steps); never server.mcp or the MCP SDK (tests/
test_layout.py checks). ray is imported only here, inside functions, so everything else works
without the extra."""
