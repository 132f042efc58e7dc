"""No MCP reply speaks the command line (issue 25, item 3): every tool's failure paths, called
through a real in-memory client, answer in the tools' own arguments.

Each text an agent reads (content blocks, the structured result's strings: degraded fixes,
missing, warnings, next_step, notes) is held to three rules: no ``--``; no name only the CLI has
(``retouch plan``, ``MASK.png``, ``X,Y``...); and every argument named in backticks exists in the
input schema of the tool it is named for (the tool answering, or "plan_edit's `mask`"), walked
from ``tools/list``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mcp import Client
from PIL import Image
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig

from tests.server.mcp.tool_schemas import NAMED, schema_paths

pytestmark = pytest.mark.anyio

# names only the CLI has: its commands, flag placeholders, the old regex rewrites' leftovers
CLI_ONLY = (
    "--",
    "retouch plan",
    "retouch edit",
    "retouch mask",
    "retouch check",
    "MASK.png",
    "POSE.png",
    "X,Y",
    "X0,Y0",
    "(:0)",
    "(:1)",
    "checkpoint argument",
    "max_retries",
    "allow_download",
    "sam_type",
)
COMMAND = re.compile(r"`hf download [^`]*`")  # a shell command for the server's machine


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def work(tmp_path: Path, astronaut: Image.Image, offline: None) -> Path:
    """A 96x96 photo, a mask, an all-black mask, a mask of the wrong size; no weights, no SAM."""
    astronaut.resize((96, 96)).save(tmp_path / "photo.png")
    mask = np.zeros((96, 96), dtype=np.uint8)
    mask[6:40, 56:90] = 255
    Image.fromarray(mask, "L").save(tmp_path / "mask.png")
    Image.fromarray(np.zeros((96, 96), np.uint8), "L").save(tmp_path / "black.png")
    Image.fromarray(np.full((50, 40), 255, np.uint8), "L").save(tmp_path / "small.png")
    return tmp_path


@pytest.fixture
def cfg(work: Path, monkeypatch: pytest.MonkeyPatch) -> ServerConfig:
    monkeypatch.setenv("HF_HUB_CACHE", str(work / "hf-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("RETOUCH_ALLOW_DOWNLOAD", raising=False)
    return ServerConfig.create(out=work / "out", base=work, data_dir=work / "data")


REMOVE = {"image": "photo.png", "mask": "mask.png", "edit": "remove the object"}
SUNSET = {"image": "photo.png", "edit": "make it look like a sunset"}
PT = {"x": 10, "y": 10}

# (tool, arguments): each one a failure an agent can cause
FAILURES: list[tuple[str, dict[str, Any]]] = [
    ("plan_edit", {"image": "nope.png", "edit": "remove it"}),
    ("plan_edit", {"image": "/etc/hostname", "edit": "remove it"}),
    ("plan_edit", {**REMOVE, "mask": "black.png"}),
    ("plan_edit", {**REMOVE, "mask": "small.png"}),
    ("plan_edit", {**REMOVE, "sam": {"points": [PT]}}),
    ("plan_edit", {"image": "photo.png", "edit": "remove it", "sam": {"box": [50, 50, 10, 10]}}),
    (
        "plan_edit",
        {"image": "photo.png", "edit": "remove it", "sam": {"points": [{"x": 500, "y": 5}]}},
    ),
    ("plan_edit", {"image": "photo.png", "edit": "make it square"}),
    ("plan_edit", {"image": "@current", "edit": "remove it"}),
    ("plan_edit", {**REMOVE, "extend": {"left": -3}}),
    ("plan_edit", {**SUNSET, "guidance": {"image": "nope.png"}}),
    ("plan_edit", {**SUNSET, "image_base64": "not base64!", "image": None}),
    ("plan_edit", {**SUNSET, "preferences": {"families": ["ddpm"]}}),
    ("plan_edit", {**REMOVE, "preferences": {"families": ["flux-fill"], "hardware": "gpu-8gb"}}),
    ("plan_edit", {**REMOVE, "mask": None, "mask_base64": "AAAA"}),
    ("plan_edit", {"image": "photo.png", "edit": " "}),
    ("make_mask", {"image": "photo.png", "text": "the astronaut"}),
    ("make_mask", {"image": "photo.png", "sam": {"text": "the astronaut"}}),
    ("make_mask", {"image": "photo.png", "sam": {"box": [1, 1, 20, 20]}, "instance": 1}),
    ("make_mask", {"image": "photo.png", "sam": {"points": [{**PT, "label": 0}]}}),
    ("make_mask", {"image": "photo.png"}),
    ("make_mask", {"image": "photo.png", "sam": {"points": [{"x": 500, "y": 5}]}}),
    ("make_mask", {"image": "nope.png", "sam": {"points": [PT]}}),
    ("run_edit", {"plan": "nope"}),
    ("run_edit", {"plan": "nope.json"}),
    ("run_edit", {"request": SUNSET}),
    ("run_edit", {"request": {**REMOVE, "edit": "make it sunset"}}),
    ("run_edit", {"request": {**REMOVE, "edit": "make it sunset"}, "executor": "classical"}),
    ("run_edit", {"request": {**REMOVE, "edit": "make it sunset"}, "executor": "diffusers"}),
    ("run_edit", {"request": {"image": "photo.png", "edit": "remove the object"}}),
    ("run_edit", {"request": {**REMOVE, "edit": "fix the hands"}}),
    ("run_edit", {"request": REMOVE, "control": "mask.png"}),
    ("run_edit", {"request": REMOVE, "overrides": [{"field": "nope", "op": "set", "value": 1}]}),
    ("run_edit", {"request": REMOVE, "overrides": [{"field": "steps", "op": "set", "value": "x"}]}),
    ("run_edit", {"request": REMOVE, "mask": "small.png"}),
    ("run_edit", {"request": {**SUNSET, "guidance": {"image": "photo.png"}}}),
    (
        "run_edit",
        {"request": {**SUNSET, "guidance": {"image": "photo.png"}}, "executor": "classical"},
    ),
    ("run_edit", {"request": {**REMOVE, "extend": {"left": 32}}}),
    (
        "run_edit",
        {"request": {"image": "photo.png", "edit": "remove it", "sam": {"text": "the dog"}}},
    ),
    ("run_edit", {"plan": "photo.png"}),
    ("check_edit", {"source": "photo.png", "result": "photo.png", "plan": "photo.png"}),
    ("check_edit", {"source": "photo.png", "result": "nope.png"}),
    ("check_edit", {"source": "photo.png", "result": "photo.png", "mask": "small.png"}),
    ("check_edit", {"source": "photo.png", "result": "photo.png", "plan": "nope"}),
    ("render_skill_doc", {"plan": "nope"}),
    ("list_models", {"dirs": ["/etc"]}),
    ("run_batch", {"folder": "nowhere", "edit": "remove the object"}),
    ("run_batch", {"folder": ".", "edit": "remove the object", "mask_dir": "nowhere"}),
    ("run_batch", {"folder": ".", "edit": "remove the object", "text": "the astronaut"}),
    ("history", {"session": "never-used"}),
    ("revert", {"session": "never-used", "version": "@current~1"}),
]
# answers that succeed but carry advice: readiness notes, fallbacks
ADVICE: list[tuple[str, dict[str, Any]]] = [
    ("plan_edit", SUNSET),
    ("plan_edit", {**REMOVE, "edit": "make it sunset"}),
    ("plan_edit", {"image": "photo.png", "edit": "remove it", "sam": {"points": [PT]}}),
    ("plan_edit", {"image": "photo.png", "edit": "remove the astronaut's helmet"}),
    ("plan_edit", {"image": "photo.png", "edit": "fix the hands", "mask": "mask.png"}),
    ("make_mask", {"image": "photo.png", "sam": {"points": [{"x": 48, "y": 48}]}}),
    ("list_models", {}),
    ("plan_edit", {"image": "photo.png", "edit": "extend it by 100000 px on the left"}),
    ("plan_edit", {"image": "photo.png", "edit": "make it 16:9"}),
]


def strings(value: Any) -> list[str]:
    """Every string value in a structured result (keys are schema names, not prose)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def texts_of(result: Any) -> list[str]:
    said = [b.text for b in result.content if getattr(b, "type", "") == "text"]
    said = [t for t in said if not t.startswith("{")]  # the structured result again, as JSON
    return said + strings(result.structured_content or {})


def offences(tool: str, text: str, paths: dict[str, set[str]], work: Path) -> list[str]:
    """What in ``text`` speaks the CLI or names an argument that does not exist."""
    prose = COMMAND.sub("(a shell command)", text.replace(str(work), "WORK"))
    bad = [f"CLI words {w!r}" for w in CLI_ONLY if w in prose]
    for owner, name in NAMED.findall(prose):
        if owner and owner not in paths:
            continue  # "the plan's `x`": not a tool
        if name in paths:
            continue  # a tool's name in backticks
        if name not in paths[owner or tool]:
            bad.append(f"`{name}` is not an argument of {owner or tool}")
    return bad


async def _replies(cfg: ServerConfig, calls: list[tuple[str, dict[str, Any]]]) -> tuple:
    async with Client(build_server(cfg)) as client:
        listed = (await client.list_tools()).tools
        paths = {t.name: schema_paths(t.input_schema) for t in listed}
        replies = [(tool, args, await client.call_tool(tool, args)) for tool, args in calls]
    return paths, replies


async def test_every_tool_failure_speaks_the_tools_arguments(cfg: ServerConfig, work: Path) -> None:
    paths, replies = await _replies(cfg, FAILURES)
    assert {tool for tool, _ in FAILURES} == set(paths)  # every tool is tried
    problems = []
    for tool, args, result in replies:
        if tool not in ("history", "revert", "list_models", "run_batch"):  # errors as data
            assert result.is_error, (tool, args, texts_of(result))
        for text in texts_of(result):
            problems += [f"{tool} {args}: {p}: {text}" for p in offences(tool, text, paths, work)]
    assert not problems, "\n".join(problems)


async def test_advice_in_successful_replies_speaks_the_tools_arguments(
    cfg: ServerConfig, work: Path
) -> None:
    paths, replies = await _replies(cfg, ADVICE)
    problems = []
    for tool, args, result in replies:
        assert not result.is_error, (tool, args, texts_of(result))
        for text in texts_of(result):
            problems += [f"{tool} {args}: {p}: {text}" for p in offences(tool, text, paths, work)]
    assert not problems, "\n".join(problems)


async def test_the_hints_reach_the_reply_as_arguments(cfg: ServerConfig) -> None:
    """Not only the absence of flags: the fix arrives, in the answering tool's arguments."""
    _, replies = await _replies(
        cfg,
        [
            ("make_mask", {"image": "photo.png", "text": "the astronaut"}),
            ("plan_edit", {**REMOVE, "mask": "black.png"}),
            ("run_edit", {"request": {**REMOVE, "edit": "make it sunset"}}),
            ("make_mask", {"image": "photo.png", "sam": {"points": [{**PT, "label": 0}]}}),
            ("plan_edit", {"image": "photo.png", "edit": "remove it", "sam": {"points": [PT]}}),
        ],
    )
    sam3, black, weights, background = [r.content[0].text for _, _, r in replies[:4]]
    (grabcut,) = replies[-1][2].structured_content["plan"]["degraded"]
    assert grabcut["what"] == "mask-source" and grabcut["hints"] == []  # rendered into fix
    assert grabcut["fix"].endswith("(RETOUCH_SAM_CHECKPOINT=PATH where the server runs; `mask`)")
    assert "RETOUCH_SAM_CHECKPOINT=FOLDER where the server runs" in sam3
    assert "`sam.points`" in sam3 and "`sam.box`" in sam3 and "plan_edit's `mask`" in sam3
    assert black.endswith("(leave out `mask`)")
    assert '`overrides` [{"field": "model.id"' in weights
    assert "RETOUCH_ALLOW_DOWNLOAD=1 where the server runs" in weights
    assert "`sam.points` with label 1" in background
