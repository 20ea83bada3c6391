"""The human plan, laid out as Terraform's: a legend, one block per resource, notes, a summary line.

```
  # InteractionRuleGroup/welcome will be updated in place: rules differ
  ~ InteractionRuleGroup/welcome (id g-1)
      ~ interaction_rules[greet].trigger.reply_texts[1]: "Hi" -> "Hello"
```
"""

from __future__ import annotations

from reconciler.engine.plan import UNMANAGED_GLYPH, FieldChange, Plan, ResourceChange

from . import common
from .color import BOLD, GREEN, MAGENTA, RED, YELLOW, paint
from .context import RenderContext

_GLYPH_COLORS = {"+": GREEN, "~": YELLOW, "-": RED, "-/+": MAGENTA, UNMANAGED_GLYPH: YELLOW}
# Legend entries in Terraform's order, shown only for the glyphs the plan uses.
_LEGEND = (
    ("+", "create or start"),
    ("~", "update in place or refresh outputs"),
    ("-", "delete or stop"),
    ("-/+", "stop, then start again (restart)"),
    ("?", "may differ: could not be compared (apply leaves it as it is)"),
    (UNMANAGED_GLYPH, "exists, not managed: import it first (apply refuses it until then)"),
)
# Body columns as Terraform's: the glyph at 6, the text at 8, four more per nesting level.
_BODY_INDENT = 6
_NEST = 4


def render_text(
    plan: Plan, *, color: bool = False, verbose: bool = False, context: RenderContext | None = None
) -> str:
    """The plan for a terminal, in full; no-op resources appear only when `verbose`. Of `context`, only
    the environment is shown (first, so that a plan for production is not read as one for staging): a
    terminal has no length limit, and the command line says where it ran."""
    resources = common.ordered(plan, include_noops=verbose)
    lines: list[str] = []
    if context is not None and context.environment:
        lines += [f"{paint('Environment:', BOLD, enabled=color)} {common.clean(context.environment)}", ""]
    summary = plan.summary
    if summary.has_changes or summary.unverifiable:
        glyphs = {c.glyph for c in resources}
        legend = [f"{_glyph(g, color, width=3)} {what}" for g, what in _LEGEND if g in glyphs]
        if legend:
            lines += ["Resource actions are indicated with the following symbols:", *legend, ""]
        heading = (
            "will perform the following actions" if summary.has_changes else "could not compare everything"
        )
        if plan.unmanaged:  # apply refuses until then: the heading must not promise otherwise
            heading = (
                "will perform the following actions once the objects marked ! are imported"
                if plan.actionable or summary.move
                else "has nothing to apply until these are imported"
            )
        lines += [f"smartlive {heading}:", ""]
    elif resources:
        lines += ["Managed resources (none will change):", ""]
    for change in resources:
        lines += _resource(change, color)
        lines.append("")
    for note in plan.notes:
        lines.append(f"{paint('Note:', BOLD, enabled=color)} {common.clean(note)}")
    if plan.notes:
        lines.append("")
    if summary.has_changes:
        lines.append(f"{paint('Plan:', BOLD, enabled=color)} {common.counts_sentence(summary)}")
    else:
        lines.append(paint(common.no_changes_line(plan), BOLD, GREEN, enabled=color))
    return "\n".join(lines) + "\n"


def _glyph(glyph: str, color: bool, *, width: int = 0) -> str:
    """The glyph right-aligned in `width` columns (padding outside the colour codes, which take none)."""
    pad = " " * (width - len(glyph))
    code = _GLYPH_COLORS.get(glyph)
    return pad + (paint(glyph, code, enabled=color) if code else glyph)


def _resource(change: ResourceChange, color: bool) -> list[str]:
    ident = common.identity(change)
    header = f"{_glyph(change.glyph, color, width=3)} {common.clean(str(change.address))}"
    header += f" ({ident})" if ident else ""
    lines = [paint(f"  # {common.describe(change)}", BOLD, enabled=color), header]
    shown = common.shown_attributes(change)
    if shown is not None:
        mark, attributes = shown
        lines += [
            _body_line(line.depth, mark if line.marked else None, line.text, color)
            for line in common.block(attributes)
        ]
    else:
        lines += [_field_change(fc, color) for fc in change.changes]
    lines += [_body_line(0, "~", common.live_command_line(c), color) for c in change.live_commands]
    if change.deferred:
        lines.append(_body_line(0, None, "# " + common.deferred_note(change), color))
    lines += [
        _body_line(0, "?", f"{common.clean(f)}: {common.MAY_CHANGE}", color) for f in change.unverifiable
    ]
    if change.unverifiable:
        lines.append(_body_line(0, None, "# " + common.unverifiable_note(change), color))
    return lines


def _body_line(depth: int, mark: str | None, text: str, color: bool) -> str:
    indent = _BODY_INDENT + _NEST * depth
    if mark is None:
        return " " * (indent + 2) + text
    return " " * indent + _glyph(mark, color) + " " + text


def _field_change(fc: FieldChange, color: bool) -> str:
    path = common.clean(fc.path)
    # The planner reports an added field with before None and a removed one with after None.
    if fc.before is None and fc.after is not None:
        line = _body_line(0, "+", f"{path}: {common.inline(fc.after)}", color)
    elif fc.after is None and fc.before is not None:
        line = _body_line(0, "-", f"{path}: {common.inline(fc.before)}", color)
    else:
        line = _body_line(0, "~", f"{path}: {common.inline(fc.before)} -> {common.inline(fc.after)}", color)
    if fc.forces_restart:
        line += "  " + paint(common.FORCES_RESTART, RED, enabled=color)
    return line
