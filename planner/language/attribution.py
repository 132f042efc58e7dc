"""The words read from an edit, each with the rule or prompt template that used it (plan.understood).

This is what the skill doc's "Understood" table shows: nothing the planner read is silently
dropped; a word nothing used says so and why.
"""

from __future__ import annotations

from retouch.planner.contract.schema import CanvasPlan, ParsedWords, RuleHit
from retouch.planner.language.intent import Edit

DEGREE_RULES = ("light-whole-sdedit", "light-touch", "strong-touch", "heavy-touch")


def understood(
    edit: Edit, hits: list[RuleHit], built_by: str, mode: str, canvas: CanvasPlan | None
) -> list[ParsedWords]:
    """ParsedWords for the plan's edit, in reading order: action, object, attribute, ..."""
    fired = [h.id for h in hits]
    prompt = "instruction (the edit as written)" if mode == "instruct" else f"prompt:{built_by}"
    out = [ParsedWords(role="action", words=edit.verb or edit.form, value=edit.kind,
                       used_by=fired[0])]  # fmt: skip
    if edit.object:
        value = edit.head or edit.object
        if edit.owner:
            value += f" (of {edit.owner})"
        used = prompt
        if edit.kind in ("remove", "replace-object") and mode != "instruct":
            used = f"negative prompt ({built_by}): it must disappear"
        out.append(ParsedWords(role="object", words=edit.object, value=value, used_by=used))
    if edit.old:
        out.append(ParsedWords(role="old", words=edit.old, value=edit.old,
                               used_by="negative prompt: the old attribute goes"))  # fmt: skip
    if edit.target:
        value = edit.attribute or edit.target
        if edit.target_class:
            value += f" ({edit.target_class})"
        out.append(ParsedWords(role="attribute", words=edit.target, value=value, used_by=prompt))
    for effect in edit.effects:
        out.append(ParsedWords(role="effect", words=effect, value=effect,
                               used_by="negative prompt: removed with the object"))  # fmt: skip
    if edit.behind:
        out.append(ParsedWords(role="behind", words=edit.behind, value=edit.behind,
                               used_by=f"{prompt}: what the removal shows"))  # fmt: skip
    for phrase in edit.spatial:
        names_side = any(w in phrase for w in ("left", "right", "top", "bottom", "upper", "lower"))
        if canvas is not None and canvas.source == "words" and names_side:
            used = canvas.rule
        elif mode == "instruct":
            used = "instruction (the edit as written)"
        else:
            used = "not used: the mask says where (a mask file, clicks or a box)"
        out.append(
            ParsedWords(role="spatial", words=phrase, value=phrase.split()[-1], used_by=used)
        )
    if edit.degree:
        rule = next((r for r in reversed(fired) if r in DEGREE_RULES), None)
        out.append(
            ParsedWords(
                role="degree",
                words=edit.degree.words,
                value=f"{edit.degree.level}: SDEdit t/T {edit.degree.strength}",
                used_by=rule or f"not used: {mode} has no strength; the words stay in the prompt",
            )
        )
    if edit.size:
        if canvas is not None and canvas.source == "words":
            e = canvas.extend
            value = (
                f"extend {e.left},{e.top},{e.right},{e.bottom} -> {canvas.width}x{canvas.height}"
            )
            used = canvas.rule
        else:
            value = edit.size.kind
            used = (
                "not used: the canvas extension given wins"
                if canvas
                else "not used: a mask says where"
            )
        out.append(ParsedWords(role="size", words=edit.size.words, value=value, used_by=used))
    elif canvas is not None and canvas.source == "words":
        e = canvas.extend
        out.append(
            ParsedWords(
                role="size",
                words=canvas.words,
                value=f"extend {e.left},{e.top},{e.right},{e.bottom} -> {canvas.width}x"
                f"{canvas.height} (no size given: x1.5)",
                used_by=canvas.rule,
            )
        )
    return out
