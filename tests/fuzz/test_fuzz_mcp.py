"""Fuzzing the MCP tools through one real client session (issue 15).

Properties, for every generated call: the reply is a result or a tool error, never an internal
error or a traceback; no file appears outside the output folder (the history store aside); a failed
call leaves the output folder as it was; and the server still answers afterwards.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import given
from hypothesis import strategies as st
from mcp import Client
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig

from tests.fuzz.strategies import file_names, mutated, odd_images, snapshot, workspace

BASES: dict[str, dict[str, Any]] = {
    "plan_edit": {
        "image": "photo.png",
        "edit": "remove the sign",
        "sam": {"points": [{"x": 5, "y": 5, "label": 1}], "box": [1, 1, 20, 20]},
        "extend": {"left": 0, "top": 0, "right": 16, "bottom": 0},
        "preferences": {"seed": 1, "steps": 10, "priority": "latency"},
    },
    "make_mask": {"image": "photo.png", "sam": {"box": [4, 4, 40, 30]}, "dilate_px": 2},
    "run_edit": {
        "request": {"image": "photo.png", "mask": "mask.png", "edit": "remove the object"},
        "executor": "classical",
        "overrides": [{"field": "mask.dilate_px", "op": "set", "value": 2}],
        "session": "chat",
    },
    "check_edit": {"source": "photo.png", "result": "photo.png", "mask": "mask.png"},
    "render_skill_doc": {"plan": "plans/base.json"},
    "list_models": {"dirs": ["."]},
    "history": {"session": "chat"},
    "revert": {"session": "chat", "version": "@current~1"},
}
CASES = {"calls": 0, "errors": 0}


@dataclass
class Session:
    portal: BlockingPortal
    client: Client
    work: Path
    out: Path
    data: Path

    def call(self, name: str, args: dict[str, Any]) -> tuple[bool, str]:
        """Call a tool and check the properties; returns (is_error, text)."""
        outside = self.outside()
        before = snapshot(self.out)
        result = self.portal.call(self.client.call_tool, name, args)
        text = " ".join(getattr(c, "text", "") for c in result.content)
        CASES["calls"] += 1
        CASES["errors"] += bool(result.is_error)
        assert "internal error" not in text and "Traceback" not in text, (name, args, text)
        new = self.outside() - outside
        asked = str(Path(args["output"])) if isinstance(args.get("output"), str) else None
        if not result.is_error and asked in new:  # the copy the call was asked to write
            (self.work / asked).unlink()
            new.discard(asked)
        assert not new and self.outside() <= outside, (name, args, new)
        if result.is_error:
            assert snapshot(self.out) == before, (name, args, text)
        return bool(result.is_error), text

    def outside(self) -> set[str]:
        """Files under the work folder outside the output folder and the history store."""
        return {p for p in snapshot(self.work, skip=self.out) if not p.startswith("data/")}

    def still_answers(self) -> None:
        tools = self.portal.call(self.client.list_tools)
        assert len(tools.tools) >= 8
        err, text = self.call("plan_edit", {"image": "photo.png", "edit": "remove the object"})
        assert not err, text


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    work = workspace(tmp_path_factory.mktemp("fuzz-mcp"))
    cfg = ServerConfig.create(out=work / "out", base=work, data_dir=work / "data")
    with start_blocking_portal() as portal:
        with portal.wrap_async_context_manager(Client(build_server(cfg))) as client:
            s = Session(portal, client, work, work / "out", work / "data")
            _, text = s.call("plan_edit", {"image": "photo.png", "edit": "remove the object"})
            plan = next((work / "out" / "plans").glob("*/plan.json"))
            (work / "plans").mkdir()
            (work / "plans" / "base.json").write_bytes(plan.read_bytes())
            s.call("run_edit", BASES["run_edit"])  # a version, so history/revert have one
            yield s
            s.still_answers()
    print(f"\nfuzz-mcp: {CASES['calls']} calls, {CASES['errors']} tool errors")


@given(st.sampled_from(sorted(BASES)).flatmap(lambda n: st.tuples(st.just(n), mutated(BASES[n]))))
def test_tool_arguments_mutated_per_schema(session: Session, call: tuple[str, dict]) -> None:
    session.call(*call)


@given(st.data())
def test_plan_json_mutated_field_by_field(session: Session, data: st.DataObject) -> None:
    base = json.loads((session.work / "plans" / "base.json").read_text())
    plan = data.draw(mutated(base))
    path = session.work / "plans" / "mutated.json"
    path.write_text(json.dumps(plan, allow_nan=True))
    session.call("run_edit", {"plan": "plans/mutated.json", "executor": "classical"})
    session.call("render_skill_doc", {"plan": "plans/mutated.json"})


@given(odd_images, st.sampled_from(["plan_edit", "make_mask"]))
def test_odd_images_as_uploads(session: Session, raw: bytes, tool: str) -> None:
    args: dict[str, Any] = {"image_base64": base64.b64encode(raw).decode()}
    args |= {"edit": "remove the object"} if tool == "plan_edit" else {"sam": {"box": [0, 0, 2, 1]}}
    session.call(tool, args)


@given(file_names, st.sampled_from(["image", "mask", "output"]))
def test_hostile_file_names_in_every_path_argument(session: Session, name: str, arg: str) -> None:
    if arg == "output":
        args = {**BASES["run_edit"], "output": name}
        args.pop("session")
        session.call("run_edit", args)
        session.call("make_mask", {**BASES["make_mask"], "output": name})
    else:
        session.call("plan_edit", {**BASES["plan_edit"], "sam": None, "extend": None, arg: name})
