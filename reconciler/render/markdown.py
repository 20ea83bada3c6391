"""The plan as a pull-request comment, Atlantis-like: a header (stack and target, the summary line, the
changes that interrupt a live stream, notes), then one collapsible block per resource holding a ```diff
fence (GitHub and GitLab colour its `+` and `-` lines). markdown_fit.py keeps it within the comment
limit, summarizing per resource past it.

Escaping, by context: text inside the <details>/<summary> HTML is HTML-escaped (so `</details>` in a
name cannot close the block); notes and one-line summaries are markdown, backslash-escaped; a code span
or fence is made longer than any run of backticks inside it, so no value can close it (CommonMark closes
either only with a run of the same length, or at least as long for a fence). Values are single-line
already: common.scalar escapes newlines.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict

from reconciler.engine.plan import Action, FieldChange, Plan, ResourceChange

from . import common
from .context import RenderContext
from .markdown_fit import Comment, Entry, fit

_BACKTICKS = re.compile(r"`+")
# ASCII punctuation with a meaning in markdown or HTML; CommonMark lets any of it be backslash-escaped.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#!])")
# At the start of a line these open a list or a heading underline: `- - x` would be a nested list.
_BLOCK_START = re.compile(r"\A(\d*)([-+=.)])")


def render_markdown(
    plan: Plan, *, color: bool = False, verbose: bool = False, context: RenderContext | None = None
) -> str:
    """`color` is ignored (markdown has none); no-op resources get a block only when `verbose`.
    At most `context.markdown_limit` characters long."""
    del color
    context = context or RenderContext()
    resources = common.ordered(plan, include_noops=verbose)
    summary = plan.summary
    interrupting = [c for c in resources if c.interrupts_stream]
    comment = Comment(
        title=_title(plan.stack, context.target, context.environment),
        summary=f"**Plan:** {common.counts_sentence(summary)}"
        if summary.has_changes
        else common.no_changes_line(plan),
        interrupts_heading=f"**{common.INTERRUPTS.capitalize()}** ({len(interrupting)}):",
        interrupts=[_one_line(c) for c in interrupting],
        notes=[f"- {escape_markdown(common.clean(n))}" for n in plan.notes],
        by_kind=_counts_by_kind(resources),
        entries=[Entry(_details(c), _one_line(c), (_risk(c), str(c.address))) for c in resources],
    )
    return fit(comment, context.markdown_limit)


def _title(stack: str, target: str, environment: str = "") -> str:
    """`### smartlive plan · stack `shop-a` · environment `staging` · target `embedded emulator``: which
    project and workspace a comment is about, as Atlantis names them, when a pull request plans several."""
    title = "### smartlive plan"
    if stack:
        title += f" · stack {code_span(common.clean(stack))}"
    if environment:
        title += f" · environment {code_span(common.clean(environment))}"
    if target:
        title += f" · target {code_span(common.clean(target))}"
    return title


def _risk(change: ResourceChange) -> int:
    """What a reviewer must not miss comes first: streams taken down, then what goes away, objects to
    import, updates, doubts (? may change), creates and starts, the rest."""
    first = change.actions[0]
    if change.interrupts_stream:
        return 0
    if change.is_delete:
        return 1
    if change.is_unmanaged:
        return 2
    if first in (Action.UPDATE, Action.REFRESH_OUTPUT):
        return 3
    if change.unverifiable:
        return 4
    if first in (Action.CREATE, Action.START):
        return 5
    return 6


def _counts_by_kind(resources: list[ResourceChange]) -> list[str]:
    by_kind: defaultdict[str, list[ResourceChange]] = defaultdict(list)
    for change in resources:
        by_kind[change.kind].append(change)
    return [
        f"- {code_span(common.clean(kind))}: {common.counts_sentence(Plan(tuple(changes)).summary)}"
        for kind, changes in sorted(by_kind.items())
    ]


def _one_line(change: ResourceChange) -> str:
    """`- `~ InteractionRuleGroup/faq` will be updated in place: 3 fields differ`."""
    name = f"{change.glyph.strip()} {common.clean(str(change.address))}".strip()
    what = common.describe(change, with_address=False, with_interrupt=False)
    return f"- {code_span(name)} {escape_markdown(what)}"


def code_span(text: str) -> str:
    """`text` as an inline code span no backtick run inside it can close."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * (longest + 1)
    # CommonMark strips one space on each side when both are there: padding keeps an edge backtick apart.
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def escape_markdown(text: str) -> str:
    """`text` as literal inline markdown, for a one-line list item."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return _BLOCK_START.sub(r"\1\\\2", text)


def escape_html(text: str) -> str:
    # A backtick is harmless in HTML but starts a code span if a renderer reads the line as markdown.
    return html.escape(text, quote=True).replace("`", "&#96;")


def _details(change: ResourceChange) -> str:
    title = f"<code>{escape_html(f'{change.glyph.strip()} {common.clean(str(change.address))}')}</code> "
    # The header lists what interrupts a live stream, once: the title does not say it again.
    title += escape_html(common.describe(change, with_address=False, with_interrupt=False))
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
    if change.actions == (Action.STOP,):
        # A stop changes the run state only: the configuration the job ran with is not repeated.
        rows += _field_rows(common.stop_change(change))
    elif shown is not None:
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
