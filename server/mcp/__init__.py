"""The MCP server: MCPServer set-up, one module per tool group, schemas, resources, skills, worker.

Imports planner, executors (lazily, inside tools) and server.history; never server.cli.
"""
