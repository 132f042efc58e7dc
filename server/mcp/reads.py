"""Inputs read once: a tool checks a file's path against the roots and reads its bytes there and
then (planner.atomic.read_confined: no symlink followed), decodes those bytes later on its worker
and records their sha256 in its provenance, so a file or folder swapped for a symlink after the
check is never read (run_edit)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from retouch.planner.contract.atomic import read_confined
from retouch.server.mcp.config import ServerConfig, Stopwatch
from retouch.server.mcp.history import Source
from retouch.server.mcp.schemas import InputFile


@dataclass(frozen=True)
class File:
    """An input file's real path and its bytes, read once when the call was checked: the run
    decodes these bytes (a file swapped afterwards is never read) and provenance has their hash."""

    path: Path
    data: bytes


def read_once(
    cfg: ServerConfig, sw: Stopwatch, role: str, path: Path, version: str | None = None
) -> File:
    """Read a checked input once (planner.atomic.read_confined: no symlink followed, its folder
    still in a root) and record it with the sha256 of the bytes read."""
    data = read_confined(path, cfg.roots.contains, cfg.max_file_bytes, role)
    digest = hashlib.sha256(data).hexdigest()
    sw.inputs.append(InputFile(role=role, path=str(path), sha256=digest, version=version))
    return File(path, data)


def reread(cfg: ServerConfig, sw: Stopwatch, src: Source) -> File:
    """The reference file (plan.reference_source recorded it) read once, as ``read_once``; its
    provenance entry gets the hash of the bytes read."""
    f = read_once(cfg, sw, "reference", src.path)
    mine = sw.inputs.pop()
    sw.inputs[:] = [mine if i.role == "reference" and i.path == mine.path else i for i in sw.inputs]
    return f
