"""The edit history: the SQLite store of versions, its files, gc, and the hooks CLI and tools call.

Imports planner only; never executors, server.cli or server.mcp.
"""
