"""The text plan_edit replies with: the plan's decisions and their reasons, in at most ~4,000
characters. The whole plan is the structured result and plan.json (a resource link); the QA
checklist is named by its check ids, its thresholds and fixes are in plan.json.

    plan_text(out) -> str   (PlanEditOutput -> a few short lines)
"""

from __future__ import annotations

from retouch.server.mcp.schemas import PlanEditOutput

MAX_TEXT = 4000
"""plan_edit's text is at most this many characters (tests/server/mcp/test_lean.py measures it)."""


def _runner(out: PlanEditOutput) -> str:
    plan = out.plan
    if plan.executor == "classical":
        return f"the weight-free classical fill ({plan.model.family} where weights exist)"
    return f"{plan.model.family} ({plan.model.id})"


def plan_text(out: PlanEditOutput) -> str:
    """plan_edit's reply: what will run and why, whether it runs here, the estimate, what next."""
    plan, est = out.plan, out.estimate
    # 1. whether it runs here, first: an agent must say a substitution before anything else
    lines = ["Cannot run here: " + "; ".join(plan.missing) + "."] if plan.runnable is False else []
    lines += [f"Runs instead here: {d.sentence()} Fix: {d.fix}." for d in plan.degraded]
    lines.append(f"Plan {out.plan_id}: {plan.mode} ({plan.intent}) with {_runner(out)}.")
    # 2. the decisions, each with its reason
    mask = plan.mask
    lines.append(
        f"Mask: {mask.source}, dilate {mask.dilate_px} px, feather {mask.feather_px} px"
        + (", inverted" if mask.invert else "")
        + (f" ({mask.note})" if mask.note else "")
        + "."
    )
    settings = [f"steps {plan.steps}", f"seed {plan.seed}"]
    if plan.strength is not None:
        settings.insert(0, f"strength {plan.strength}")
    g = plan.guidance
    guidance = f"guidance {g.text}" + (f" / image {g.image}" if g.image is not None else "")
    lines.append(f"Settings: {guidance}, {', '.join(settings)}; {g.meaning}")
    if plan.crop.reason:
        lines.append(f"Crop: {'on' if plan.crop.enabled else 'off'}: {plan.crop.reason}.")
    if plan.canvas is not None:
        lines.append(f"Canvas: {plan.canvas.width}x{plan.canvas.height}: {plan.canvas.reason}.")
    lines.append(f'Prompt: "{plan.prompt.positive}"; negative: "{plan.prompt.negative}".')
    lines.append("Rules: " + " ".join(f"[{r.id}] {r.why}" for r in plan.rules))
    if plan.warnings:
        lines.append("Warnings: " + " ".join(plan.warnings))
    # 3. the estimate, the checklist by reference, the files, what next
    lines.append(
        f"Estimate: {est.seconds:.2f} s warm (+{est.cold_load_s:.0f} s cold load), "
        f"{est.vram_gb:.1f} GiB on {est.hardware}{', offloaded' if est.offload else ''}."
    )
    lines.append(
        f"QA after the run: {', '.join(q.id for q in plan.qa)} (thresholds and fixes: "
        f"{out.plan_file.uri}; skill doc: {out.skill_doc.uri})."
    )
    lines.append(f"Next: {out.next_step}.")
    text = "\n".join(lines)
    if len(text) > MAX_TEXT:  # long rule reasons go first; plan.json keeps them all
        rules = "Rules: " + ", ".join(r.id for r in plan.rules) + " (reasons in plan.json)"
        text = "\n".join(rules if line.startswith("Rules: ") else line for line in lines)
    return text[: MAX_TEXT - 1] + "…" if len(text) > MAX_TEXT else text
