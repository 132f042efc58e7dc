"""retouch's error tree. Every user-facing failure is one of these.

    RetouchError                 base; carries a one-line message that names the problem and the fix
    ├── InputError               bad input from the user: files, sizes, coordinates, options  (exit 2)
    ├── PlanError                a request no rule can plan, or a plan that contradicts itself (exit 3)
    ├── ModelMissingError        weights or an optional dependency are not on this machine   (exit 4)
    ├── ExecutorError            a model or fill failed while running a valid plan           (exit 5)
    ├── StoreError               the edit-history store refused or lost a reference         (exit 6)
    └── QAFailed                 the result failed its QA checklist                          (exit 1)

A message names the problem and the fix in plain words, never a CLI flag; ``hints`` name the
settings that fix it (planner/contract/hints.py), and each front renders them in its own words: the CLI
as flags after ``error: <message>`` on stderr with the exit code (server/cli/hints.py), the MCP
server as tool arguments in the tool error's text (server/mcp/hints.py). Nothing else should
reach a user.
"""

from __future__ import annotations

from collections.abc import Iterable

from retouch.planner.contract.hints import Hint


class RetouchError(Exception):
    """Base class: ``str(err)`` is the one-line message; ``hints`` the settings that fix it."""

    exit_code: int = 1

    def __init__(self, message: str, hints: Iterable[Hint] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hints: tuple[Hint, ...] = tuple(hints)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # keep the hints across pickling (the pool sends errors back from Ray replicas)
        return (type(self), (self.message, self.hints))

    def __str__(self) -> str:
        return self.message


class InputError(RetouchError, ValueError):
    """The request, an image, a mask or an option is wrong; the message says how to fix it."""

    exit_code = 2


class PlanError(RetouchError):
    """The planner cannot produce a consistent plan for this request."""

    exit_code = 3


class ModelMissingError(RetouchError):
    """A model or optional dependency is not installed locally; the message says how to get it."""

    exit_code = 4


class ExecutorError(RetouchError):
    """Running a valid plan failed (out of memory, a pipeline error, a bad model directory...)."""

    exit_code = 5


class StoreError(RetouchError):
    """The edit-history store could not resolve or record a version."""

    exit_code = 6


class QAFailed(RetouchError):
    """A result failed one or more QA checks."""

    exit_code = 1
