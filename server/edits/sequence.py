"""The edit sequence, once: run the plan (run_plan resolves the mask and chooses the executor),
check what ran, re-plan with the QA fixes while the retry budget lasts, keep the best attempt,
write the run folder, record the version.

    job = EditJob(plan, image, mask=mask, settings=RunSettings(executor="classical"), max_retries=2)
    outcome = carry_out(job, Path("out/result.png"), store=store)      # or runner=fake_run_plan

The CLI calls ``carry_out`` in its process; the MCP server calls it on its GPU worker thread (or
with ``attempt_fn`` sending each attempt to the pool); a pool replica runs ``attempt``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from retouch.planner.contract.schema import EditPlan, EditRequest
from retouch.server.edits.job import EditJob, EditOutcome, ProgressFn, Runner

AttemptFn = Callable[[EditPlan, EditJob, ProgressFn | None, threading.Event | None], Any]
"""(plan, job, progress, cancel) -> (RunOutput, QAReport): one run and its QA."""


def plan_for(request: EditRequest) -> EditPlan:
    """The plan for ``request`` (the planner's facts read from its image file)."""
    from retouch.planner import analyze, make_plan

    return make_plan(request, analyze(request))


def attempt(
    plan: EditPlan,
    job: EditJob,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    *,
    runner: Runner | None = None,
) -> tuple[Any, Any]:
    """(RunOutput, QAReport): ``plan`` run on the job's inputs by ``runner`` (default
    executors.run.run_plan), and the checklist of what actually ran (a classical fallback used
    no prompt) measured on it. A pool replica runs exactly this."""
    from retouch.executors.qa.check import check

    if runner is None:
        from retouch.executors.run import run_plan as runner
    s = job.settings
    out = runner(
        plan,
        image=job.image,
        mask=job.mask,
        control=job.control,
        reference=job.reference,
        model=s.model,
        executor=s.executor,
        device=s.device,
        progress=progress,
        cancel=cancel,
        sam_checkpoint=s.sam,
        allow_download=s.allow_download,
    )
    from retouch.executors.images.layers import kept_as_layers

    ran = plan.model_copy(update={"executor": out.provenance.executor})
    report = check(job.image, out.image, out.edit_mask, ran, out.provenance.degraded)
    return kept_as_layers(job.image, plan, out, report)  # a cut-out: the fill becomes a layer


def run_attempts(
    job: EditJob,
    *,
    runner: Runner | None = None,
    attempt_fn: AttemptFn | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> list[Any]:
    """Every attempt (executors.qa.retry.Attempt, ``.output`` a RunOutput): the job's plan, then
    while QA fails and ``job.max_retries`` remain, the plan with the failed checks' fixes."""
    from retouch.executors.qa.retry import edit_with_retries

    def run_once(plan: EditPlan) -> tuple[Any, Any]:
        if attempt_fn is not None:
            return attempt_fn(plan, job, progress, cancel)
        return attempt(plan, job, progress, cancel, runner=runner)

    attempts = edit_with_retries(job.plan, run_once, lambda _p, pair: pair[1], job.max_retries)
    for a in attempts:
        a.output = a.output[0]
    return attempts


def comparison_for(source: Any, plan: EditPlan, output: Any) -> Any:
    """The comparison image of one result: an extension's source sits at its offset. A cut-out's
    result is the source by design, so its third panel is what was made: the filled background
    the subject layer sits on."""
    from retouch.executors.images.layers import is_cutout
    from retouch.server.edits.images import comparison_image

    e = plan.request.extend
    offset = (e.left, e.top) if plan.mode == "outpaint" and e is not None else (0, 0)
    shown = output.image
    if is_cutout(plan) and getattr(output, "layers", None):
        back = next((lay for lay in output.layers if lay.name == "background"), None)
        shown = back.image.convert(output.image.mode) if back is not None else shown
    return comparison_image(source, output.edit_mask, shown, offset)


def finish(
    job: EditJob,
    attempts: list[Any],
    result_path: Path,
    *,
    store: Any = None,
    copies: tuple[Path, ...] = (),
    preview: bool = False,
) -> EditOutcome:
    """Keep the best attempt, write the run folder around ``result_path``, and with a session
    and ``store`` (server.history.store.Store) record the result as a version: the session's
    current one when QA passed or the job says ``keep_failed``."""
    from retouch.executors.qa.retry import best_attempt
    from retouch.server.edits.files import write_run

    best = best_attempt(attempts)
    comparison = comparison_for(job.image, best.plan, best.output)
    files, report = write_run(
        result_path,
        job.image,
        best.plan,
        best.output,
        best.report,
        comparison,
        attempts=attempts,
        copies=copies,
        preview=preview,
    )
    version, current = None, False
    if job.session is not None and store is not None:
        from retouch.server.history.hooks import record_edit

        current = report.passed or job.keep_failed
        version = record_edit(
            store,
            job.session,
            job.parent,
            best.plan.request,
            best.plan,
            best.output,
            comparison,
            report,
            source=job.image,
            make_current=current,
        )
    return EditOutcome(
        source=job.image,
        plan=best.plan,
        output=best.output,
        report=report,
        attempts=attempts,
        kept=best.index,
        comparison=comparison,
        files=files,
        version=version,
        current=current,
    )


def carry_out(
    job: EditJob,
    result_path: Path,
    *,
    store: Any = None,
    runner: Runner | None = None,
    attempt_fn: AttemptFn | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    copies: tuple[Path, ...] = (),
    preview: bool = False,
) -> EditOutcome:
    """The whole sequence for one job: ``run_attempts`` then ``finish``. Raises the RetouchError
    of a bad input or a failed run (nothing is written then); a QA failure is not raised, the
    outcome's report says it."""
    attempts = run_attempts(
        job, runner=runner, attempt_fn=attempt_fn, progress=progress, cancel=cancel
    )
    return finish(job, attempts, result_path, store=store, copies=copies, preview=preview)
