"""How a model reference is read: a folder on disk or a Hugging Face id. One rule for every
caller (the loaders, the MCP server's confinement of model folders). Imports nothing heavy."""

from __future__ import annotations


def looks_like_path(name: str) -> bool:
    """True when ``name`` is written as a path rather than a Hub id (``owner/repo``): absolute,
    relative (``./``, ``../``), home (``~``), a trailing slash, or more than one ``/``."""
    return name.startswith(("/", "./", "../", "~")) or name.endswith("/") or name.count("/") > 1
