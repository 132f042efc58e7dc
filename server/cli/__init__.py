"""The `retouch` command: app.py builds it, one module per subcommand.

Imports planner, executors, server.history and server.mcp (serve); nothing imports it.
"""
