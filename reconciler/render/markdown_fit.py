"""Fitting the pull-request comment into a character limit (GitHub refuses one past 65,536).

markdown.py writes the pieces; this module chooses which of them the comment can hold, in three steps,
the first that fits winning:

1. everything: the header, then one collapsible block per resource;
2. every resource named: one line each, and the blocks of the riskiest resources that still fit (in
   address order, among the one-liners);
3. counts by kind, then as many one-liners as fit, riskiest first.

From step 2 on, a note under the header says what was left out and how to see all of it. The lists of
the header (interrupted streams, notes) are cut last, with "and N more". What cannot be cut (the title,
the summary line, the counts, the note) is small; should it still not fit (an endpoint of thousands of
characters), the text is cut at a line, so the limit holds whatever the plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .context import MIN_MARKDOWN_LIMIT

#: How to see what a shortened comment leaves out.
SEE_ALL = (
    "See all of it with `smartlive plan --format text` (same arguments), or in the plan file a pipeline "
    "saved with `plan --out`."
)
_CUT = "\n_Cut to fit the comment limit._ " + SEE_ALL + "\n"
# Room kept for numbers not known before choosing (how many shown, how many more): digits of a count.
_DIGITS = 16


@dataclass(frozen=True)
class Entry:
    """One resource, both ways."""

    #: Its collapsible block, with its diff.
    block: str
    #: One list item: glyph, address, what will happen and why.
    line: str
    #: Sort key, riskiest first: which blocks keep their diff, which lines are listed, when not all fit.
    rank: tuple[int, str]


@dataclass(frozen=True)
class Comment:
    """The pieces of the comment; the lists hold markdown list items, each `- ...`."""

    title: str
    summary: str
    #: Heading and items of the resources that take a live stream down ("" and () when none do).
    interrupts_heading: str
    interrupts: Sequence[str]
    notes: Sequence[str]
    #: Counts per kind, list items; shown only when not every resource can be named.
    by_kind: Sequence[str]
    #: In address order.
    entries: Sequence[Entry]


def fit(comment: Comment, limit: int) -> str:
    """The comment, at most `limit` characters long (code points, as GitHub counts them)."""
    if limit < MIN_MARKDOWN_LIMIT:
        raise ValueError(f"a markdown limit is at least {MIN_MARKDOWN_LIMIT:,} characters, not {limit:,}")
    full = _document(comment, note="", body=[e.block for e in comment.entries])
    if len(full) <= limit:
        return full
    return _every_resource_named(comment, limit, len(full)) or _counts(comment, limit, len(full))


def _every_resource_named(comment: Comment, limit: int, whole: int) -> str | None:
    """Step 2, or None when the one-liners alone do not fit."""
    entries = comment.entries
    total = len(entries)

    def note(shown: int) -> str:
        return _note(
            limit,
            whole,
            f"{shown:,} of {total:,} resources show their changes (the riskiest that fit); "
            f"{_summarized(total - shown)} in one line.",
        )

    def document(chosen: set[int]) -> str:
        return _document(comment, note=note(len(chosen)), body=_mixed(entries, chosen))

    room = limit - len(document(set())) - _DIGITS
    if room < 0:
        return None
    chosen: list[int] = []
    for i in sorted(range(total), key=lambda i: entries[i].rank):
        # A block among one-liners can turn a "\n" on each side into a blank line: 2 more characters.
        extra = len(entries[i].block) - len(entries[i].line) + 2
        if extra <= room:
            chosen.append(i)
            room -= extra
    out = document(set(chosen))
    while len(out) > limit and chosen:  # the estimate is meant to be generous; this is the guarantee
        chosen.pop()
        out = document(set(chosen))
    return out if len(out) <= limit else None


def _mixed(entries: Sequence[Entry], chosen: set[int]) -> list[str]:
    """Body parts in address order: a block where chosen, else a line; adjacent lines make one list."""
    parts: list[str] = []
    run: list[str] = []
    for i, entry in enumerate(entries):
        if i in chosen:
            if run:
                parts.append("\n".join(run))
                run = []
            parts.append(entry.block)
        else:
            run.append(entry.line)
    if run:
        parts.append("\n".join(run))
    return parts


def _counts(comment: Comment, limit: int, whole: int) -> str:
    """Step 3: the header's lists and the one-liners, each as far as it fits, in that order."""
    named = set(comment.interrupts)
    # A resource the header already names as interrupting a stream is not listed twice.
    lines = [e.line for e in sorted(comment.entries, key=lambda e: e.rank) if e.line not in named]
    total = len(comment.entries)

    def document(interrupts: int, notes: int, listed: int) -> str:
        note = _note(
            limit,
            whole,
            f"counts by kind, then {listed + interrupts:,} of {total:,} resources in one line each, "
            "riskiest first.",
        )
        shortened = Comment(
            comment.title,
            comment.summary,
            comment.interrupts_heading,
            _cut(comment.interrupts, interrupts),
            _cut(comment.notes, notes),
            comment.by_kind,
            (),
        )
        body = ["**By kind:**\n" + "\n".join(comment.by_kind)] if comment.by_kind else []
        if lines:
            heading = "The other resources" if comment.interrupts else "Resources"
            body.append(f"**{heading}, riskiest first:**\n" + "\n".join(_cut(lines, listed)))
        return _document(shortened, note=note, body=body)

    room = limit - len(document(0, 0, 0)) - 3 * _DIGITS
    counts = []
    for items in (comment.interrupts, comment.notes, lines):
        taken = 0
        for item in items:
            if len(item) + 1 > room:
                break
            room -= len(item) + 1
            taken += 1
        counts.append(taken)
    out = document(*counts)
    while len(out) > limit and any(counts):  # the guarantee, should the estimate fall short
        last = max(i for i, n in enumerate(counts) if n)
        counts[last] -= 1
        out = document(*counts)
    return out if len(out) <= limit else _hard_cut(out, limit)


def _cut(items: Sequence[str], keep: int) -> list[str]:
    """The first `keep` items, and a last one saying how many more there are."""
    left = len(items) - keep
    return [*items[:keep], f"- and {left:,} more"] if left > 0 else list(items[:keep])


def _summarized(count: int) -> str:
    return "1 is summarized" if count == 1 else f"{count:,} are summarized"


def _note(limit: int, whole: int, what: str) -> str:
    return (
        f"**Shortened to fit {limit:,} characters** (the whole comment would be {whole:,}): {what} {SEE_ALL}"
    )


def _document(comment: Comment, *, note: str, body: Sequence[str]) -> str:
    parts = [comment.title, comment.summary]
    if comment.interrupts:
        parts.append(comment.interrupts_heading + "\n" + "\n".join(comment.interrupts))
    if comment.notes:
        parts.append("**Notes:**\n" + "\n".join(comment.notes))
    if (
        note
    ):  # right above the body: a paragraph between the notes and a list of one-liners keeps them two lists
        parts.append(note)
    parts += body
    return "\n\n".join(parts) + "\n"


def _hard_cut(text: str, limit: int) -> str:
    """The first lines of `text` that fit with the note saying it was cut."""
    room = limit - len(_CUT) - 1  # the newline that ends the last line kept
    head = text[:room]
    return head[: head.rfind("\n") + 1 or room].rstrip("\n") + "\n" + _CUT
