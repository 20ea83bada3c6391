"""The plan as a pull-request comment, Atlantis-like: a summary line, then one collapsible block per
resource holding a ```diff fence (GitHub and GitLab colour its `+` and `-` lines).

Escaping, by context: text inside the <details>/<summary> HTML is HTML-escaped (so `</details>` in a
name cannot close the block); notes are markdown, backslash-escaped; the fence is made longer than any
run of backticks inside it, so no value can close it (CommonMark closes a fence only with one at least
as long). Values are single-line already: common.scalar escapes newlines.
"""

from __future__ import annotations

import html
import re

from reconciler.engine.plan import FieldChange, Plan, ResourceChange

from . import common

_BACKTICKS = re.compile(r"`+")
# ASCII punctuation with a meaning in markdown or HTML; CommonMark lets any of it be backslash-escaped.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#!])")
# At the start of a line these open a list or a heading underline: `- - x` would be a nested list.
_BLOCK_START = re.compile(r"\A(\d*)([-+=.)])")


def render_markdown(plan: Plan, *, color: bool = False, verbose: bool = False) -> str:
    """`color` is ignored (markdown has none); no-op resources get a block only when `verbose`."""
    del color
    resources = common.ordered(plan, include_noops=verbose)
    summary = plan.summary
    parts = [
        f"**Plan:** {common.counts_sentence(summary)}"
        if summary.has_changes
        else common.no_changes_line(plan)
    ]
    interrupting = sum(1 for c in resources if c.interrupts_stream)
    if interrupting:
        verb = "change interrupts" if interrupting == 1 else "changes interrupt"
        parts.append(f"**Warning:** {interrupting} {verb} a live stream.")
    if plan.notes:
        parts.append("**Notes:**\n" + "\n".join(f"- {escape_markdown(common.clean(n))}" for n in plan.notes))
    parts += [_details(change) for change in resources]
    return "\n\n".join(parts) + "\n"


def escape_markdown(text: str) -> str:
    """`text` as literal inline markdown, for a one-line list item."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return _BLOCK_START.sub(r"\1\\\2", text)


def escape_html(text: str) -> str:
    # A backtick is harmless in HTML but starts a code span if a renderer reads the line as markdown.
    return html.escape(text, quote=True).replace("`", "&#96;")


def _details(change: ResourceChange) -> str:
    title = f"<code>{escape_html(f'{change.glyph.strip()} {common.clean(str(change.address))}')}</code> "
    title += escape_html(common.describe(change, with_address=False, with_interrupt=False))
    if change.interrupts_stream:
        title += f" — <b>{common.INTERRUPTS}</b>"
    rows = _rows(change)
    if rows:
        longest = max((len(run) for row in rows for run in _BACKTICKS.findall(row)), default=0)
        fence = "`" * max(3, longest + 1)
        body = f"{fence}diff\n" + "\n".join(rows) + f"\n{fence}"
    else:
        body = "_Nothing to show._"
    return f"<details><summary>{title}</summary>\n\n{body}\n\n</details>"


def _rows(change: ResourceChange) -> list[str]:
    """Diff lines: the glyph in column 0 where a diff highlighter looks for it."""
    ident = common.identity(change)
    rows = [f"  # {ident}"] if ident else []
    shown = common.shown_attributes(change)
    if shown is not None:
        mark, attributes = shown
        for line in common.block(attributes):
            rows.append(f"{mark if line.marked else ' '} {'    ' * line.depth}{line.text}")
    else:
        for fc in change.changes:
            rows += _field_rows(fc)
    rows += [f"~ {common.live_command_line(c)}" for c in change.live_commands]
    if change.deferred:
        rows.append(f"  # {common.deferred_note(change)}")
    rows += [f"? {common.clean(f)}: {common.MAY_CHANGE}" for f in change.unverifiable]
    if change.unverifiable:
        rows.append(f"  # {common.unverifiable_note(change)}")
    return rows


def _field_rows(fc: FieldChange) -> list[str]:
    """An added field is a `+` line, a removed one a `-` line, and an in-place change both: in a diff,
    the old line removed and the new one added reads best."""
    path = common.clean(fc.path)
    rows = []
    if fc.before is not None or fc.after is None:
        rows.append(f"- {path}: {common.inline(fc.before)}")
    if fc.after is not None or fc.before is None:
        rows.append(f"+ {path}: {common.inline(fc.after)}")
    if fc.forces_restart:
        rows[-1] += f"  {common.FORCES_RESTART}"
    return rows
