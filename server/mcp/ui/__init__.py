"""The MCP App (io.modelcontextprotocol/ui): the mask editor page and its app-only tools.
Imports server.mcp (schemas, toolkit, outputs, history); nothing in server.mcp imports it but app.py.
"""
