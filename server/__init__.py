"""The interfaces: cli/ (the `retouch` command), mcp/ (the MCP server), history/ (the version store).

requests.py turns user input into an EditRequest for both. Imports planner and executors; nothing imports server.
"""
