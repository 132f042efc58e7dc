"""Advice in the tools' own words: CLI flags in messages become the MCP arguments that do the same.

Executors and the planner word their errors and fixes for the command line (``--mask MASK.png``);
an agent calling ``run_edit`` has ``mask``, ``control``, ``executor`` and ``overrides`` instead, and
no ``--allow-download`` at all. ``tool_words`` rewrites a message, flag by flag (most specific
first), so that no advice an agent reads names a flag it cannot pass.
"""

from __future__ import annotations

import re

from retouch.planner.schema import Degradation, EditPlan

MODEL_OVERRIDE = (
    'the run_edit override {"field": "model.id", "op": "set", "value": "<model folder under the '
    "server's roots>\"}"
)

# (pattern, replacement), applied in order; patterns match a flag and the placeholder after it.
_FLAGS: list[tuple[str, str]] = [
    (r"rerun with --allow-download", "set RETOUCH_ALLOW_DOWNLOAD=1 where the server runs"),
    (r"--allow-download", "RETOUCH_ALLOW_DOWNLOAD=1 where the server runs"),
    (r"(pass )?--model (DIR|ID_OR_DIR|PATH)\b", "set " + MODEL_OVERRIDE),
    (r"--model\b", MODEL_OVERRIDE),
    (r"--executor (auto|diffusers|classical)\b", r'executor "\1"'),
    (r"--executor\b", "executor"),
    (r"--control [A-Z_]+\.png", "control (an image path under the roots)"),
    (r"--control\b", "control"),
    (r"--mask [A-Z_]+\.png", "mask (a mask path under the roots, white = edit)"),
    (r"--mask\b", "mask"),
    (r"--point X,Y(\[:1\|0\]|:1|:0)?", "sam.points"),
    (r"--point\b", "sam.points"),
    (r"--box X0,Y0,X1,Y1", "sam.box"),
    (r"--box\b", "sam.box"),
    (r"--extend [A-Z0-9,]+", "extend"),
    (r"--extend\b", "extend"),
    (r"--sam-type\b", "sam_type"),
    (r"(pass )?--sam (PATH|CKPT|CHECKPOINT)\b", "make_mask's checkpoint argument"),
    (r"--sam\b", "make_mask's checkpoint argument"),
    (r"--hardware\b", "preferences.hardware"),
    (r"--priority\b", "preferences.priority"),
    (r"--steps( N)?\b", "the override steps"),
    (r"--seed( S)?\b", "the override seed"),
    (r"--max-retries( N)?\b", "run_edit again with the failed checks' fixes as overrides"),
    (r"--scene\b", "scene"),
    (r"--reference( IMG)?\b", "guidance.image"),
    (r"--session\b", "session"),
    (r"--root( DIR)?\b", "a root of the server (retouch serve's root option)"),
    (r"--data-dir\b", "the server's data directory (RETOUCH_DATA_DIR)"),
    (r"--device\b", "the server's device"),
]
_COMPILED = [(re.compile(p), r) for p, r in _FLAGS]
_ANY_FLAG = re.compile(r"(?<![\w-])--([a-z][a-z-]*)")


def tool_words(text: str) -> str:
    """``text`` with every CLI flag replaced by the MCP argument (or setting) that does the same."""
    for pattern, repl in _COMPILED:
        text = pattern.sub(repl, text)
    return _ANY_FLAG.sub(lambda m: m.group(1).replace("-", "_"), text)


def tool_degraded(entries: list[Degradation]) -> list[Degradation]:
    """Degradation entries whose fixes speak the tools' language."""
    return [
        d.model_copy(update={"fix": tool_words(d.fix), "why": tool_words(d.why)}) for d in entries
    ]


def tool_plan(plan: EditPlan) -> EditPlan:
    """A plan whose readiness notes (missing, degraded) speak the tools' language."""
    return plan.model_copy(
        update={
            "missing": [tool_words(m) for m in plan.missing],
            "degraded": tool_degraded(plan.degraded),
        }
    )
