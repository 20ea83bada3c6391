"""What every plan format shares: resource order, the sentences a user reads, how a value is written.

Text and markdown must say the same thing in the same order, so the wording lives here once.
"""

from __future__ import annotations

import json
import re
import shlex
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reconciler.engine.plan import (
    SENSITIVE,
    UNVERIFIABLE,
    Action,
    FieldChange,
    LiveCommand,
    Plan,
    ReasonCode,
    ResourceChange,
    Summary,
)

NO_CHANGES = "No changes. MetaStudio matches the manifests."
INTERRUPTS = "interrupts the live stream"
FORCES_RESTART = "# forces restart"

_PHRASES: dict[Action, str] = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in place",
    Action.DELETE: "will be deleted",
    Action.START: "will be started",
    Action.STOP: "will be stopped",
    Action.REFRESH_OUTPUT: "will refresh its outputs without a restart",
    Action.NOOP: "has no changes",
}

# Placeholders the planner puts where a value must not or cannot be shown; quoting them would make
# them look like the literal string value of the field.
_PLACEHOLDERS = frozenset({SENSITIVE, UNVERIFIABLE})
# Lists of scalars up to this width stay on one line, as Terraform prints short lists.
_INLINE_LIST_WIDTH = 60
_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_DIGITS = re.compile(r"(\d+)")
_UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def ordered(plan: Plan, *, include_noops: bool = True) -> list[ResourceChange]:
    """Resources sorted by address and each one's field changes by path, whatever the planner's order.

    Paths compare digit runs as numbers, so `reply_texts[2]` comes before `reply_texts[10]`.
    """
    result = []
    for change in sorted(plan.changes, key=lambda c: str(c.address)):
        shown = (
            change.is_orphan or change.is_unmanaged or change.unverifiable or change.moved_from is not None
        )
        if include_noops or not change.is_noop or shown:
            result.append(replace(change, changes=tuple(sorted(change.changes, key=_path_key))))
    return result


def _path_key(change: FieldChange) -> tuple[tuple[int | str, ...], str]:
    parts = _DIGITS.split(change.path)
    # re.split with one group alternates text (even indexes) and digits (odd): same types line up.
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts)), change.path


def action_phrase(change: ResourceChange) -> str:
    if change.is_restart:
        return "must be restarted"
    if change.is_orphan:
        return "is kept"
    if change.is_unmanaged:
        return "exists, not managed"
    if change.is_noop and change.unverifiable:
        return "may differ"
    return _PHRASES[change.actions[0]]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def cause(change: ResourceChange) -> str:
    """The reason's sentence, from its code and fields: `video_config.bitrate changed`."""
    reason = change.reason
    code = reason.code
    if code is ReasonCode.ABSENT:
        return "declared, not in MetaStudio"
    if code is ReasonCode.NOT_RUNNING:
        return "declared running, no active job in the room"
    if code is ReasonCode.MATCHES:
        return "matches the manifest"
    if code is ReasonCode.UNCHANGED_SINCE_APPLY:
        version = f" (update_time {reason.version})" if reason.version else ""
        return f"unchanged since it was applied{version}"
    if code is ReasonCode.RUNNING:
        return f"running as job {change.remote_id}" + (
            f" ({reason.remote_state})" if reason.remote_state else ""
        )
    if code is ReasonCode.STOPPED:
        return "declared stopped, not running"
    if code is ReasonCode.FIELDS_DIFFER:
        count = (
            "1 field differs"
            if len(change.changes) == 1
            else f"{_plural(len(change.changes), 'field')} differ"
        )
        if reason.caused_by:
            return f"{count}: the rules copied from {', '.join(str(a) for a in reason.caused_by)} changed"
        return count
    if code is ReasonCode.OUTPUT_ONLY:
        heads = sorted({c.path.split("[", 1)[0].split(".", 1)[0] for c in change.changes})
        return f"only {', '.join(heads)} changed"
    if code is ReasonCode.RESTART_REQUIRED:
        return f"{', '.join(reason.forced_by)} changed"
    if code is ReasonCode.DECLARED_STOPPED:
        return "declared stopped"
    if code is ReasonCode.ORPHANED:
        return "managed by smartlive, no longer declared; apply --prune would remove it"
    if code is ReasonCode.PRUNED:
        return "managed by smartlive, no longer declared (--prune)"
    if code is ReasonCode.REPLACE_REQUESTED:
        forced = f"; {', '.join(reason.forced_by)} changed" if reason.forced_by else ""
        return f"replacement requested (--replace){forced}"
    if code is ReasonCode.ORPHANED_NO_STACK:
        return "recorded before stacks, declared by no manifest of this stack; kept even with --prune"
    if code is ReasonCode.UNMANAGED:
        return f"import it ({import_command(change)})"
    raise AssertionError(f"no sentence for reason {code}")


def import_command(change: ResourceChange) -> str:
    """`smartlive import ADDRESS ID --stack STACK`, quoted for a POSIX shell, for an unmanaged object."""
    words = ["smartlive", "import", str(change.address), change.remote_id or ""]
    if change.reason.stack:
        words += ["--stack", change.reason.stack]
    return " ".join(shlex.quote(word) for word in words)


def unmanaged_refusal(plan: Plan) -> str | None:
    """Why apply refuses a plan with unmanaged objects in it, one line per object; None when it has none."""
    unmanaged = sorted(plan.unmanaged, key=lambda c: c.address)
    if not unmanaged:
        return None
    one = len(unmanaged) == 1
    it = "it" if one else "them"
    lines = [
        f"apply refused: {_plural(len(unmanaged), 'declared object')} already {'exists' if one else 'exist'} "
        f"in MetaStudio and smartlive does not manage {it}; import {it} first, or leave {it} out with --target:"
    ]
    lines += [f"  {clean(str(c.address))} exists, not managed: {clean(import_command(c))}" for c in unmanaged]
    return "\n".join(lines)


def describe(
    change: ResourceChange, *, with_address: bool = True, with_interrupt: bool = True, escape: bool = True
) -> str:
    """`SmartLiveJob/x must be restarted: video_config.bitrate changed (interrupts the live stream)`.

    The planner gives a reason code and its facts; every sentence is built here, so every format says
    it the same way. `escape=False` leaves control characters to the caller (JSON escapes them itself).
    """
    tidy = clean if escape else str
    address = tidy(str(change.address))
    because = cause(change)
    if change.is_noop and change.unverifiable:
        because = f"{_plural(len(change.unverifiable), 'declared field')} could not be compared"
    text = f"{action_phrase(change)}: {tidy(because)}"
    if change.moved_from is not None:
        moved = tidy(str(change.moved_from))
        if change.is_noop and not change.unverifiable:
            text = f"has moved from {moved}: its state record follows it, the service is not touched"
        else:
            text = f"(moved from {moved}) {text}"
    if with_address:
        text = f"{address} {text}"
    if with_interrupt and change.interrupts_stream and INTERRUPTS not in text:
        text += f" ({INTERRUPTS})"
    return text


#: What each command sent to a running job does, as a plan line says it.
_COMMAND_PHRASES = {
    "REWRITE_INTERACTION_RULES": "rules rewritten",
    "REWRITE_PLAY_SCRIPT": "scene scripts rewritten",
}


def live_command_line(command: LiveCommand) -> str:
    """`rules rewritten in running job j-1 (no restart)`."""
    what = _COMMAND_PHRASES.get(command.command, command.command)
    return f"{what} in running job {clean(command.job_id)} (no restart)"


def deferred_note(change: ResourceChange) -> str:
    """`running job j-1 keeps video_config until its next start`."""
    jobs = ", ".join(clean(j) for j in change.deferred_jobs)
    fields = ", ".join(clean(f) for f in change.deferred)
    noun = "job" if len(change.deferred_jobs) == 1 else "jobs"
    return f"running {noun} {jobs} keep{'s' if len(change.deferred_jobs) == 1 else ''} {fields} until the next start"


def no_changes_line(plan: Plan) -> str:
    """The last line of a plan that changes nothing: it never hides a resource that was kept, and never
    says "No changes" while a declared field could not be compared."""
    unverifiable = plan.summary.unverifiable
    if unverifiable:
        return (
            f"Nothing to apply, but {may_change_count(unverifiable)} (marked ?): apply leaves "
            "them as they are; `apply --replace ADDRESS` rewrites one with what is declared."
        )
    kept = len(plan.orphans)
    if not kept:
        return NO_CHANGES
    what = "resource is" if kept == 1 else "resources are"
    legacy = sum(1 for c in plan.orphans if c.reason.code is ReasonCode.ORPHANED_NO_STACK)
    # Records from before stacks are kept even with --prune: the line must not promise otherwise.
    how = "apply --prune removes them" if not legacy else "apply --prune removes those of this stack"
    if legacy == kept:
        how = "recorded before stacks: apply --prune leaves them"
    return f"No changes to apply. {kept} managed {what} no longer declared and kept (listed above; {how})."


def counts_sentence(summary: Summary) -> str:
    # "to import" only when there is something to import: every plan before stacks reads as it did.
    imports = f", {summary.unmanaged} to import" if summary.unmanaged else ""
    counts = (
        f"{summary.create} to create, {summary.update} to update, "
        f"{summary.restart} to restart, {summary.destroy} to stop or delete{imports}."
    )
    if summary.move:
        counts += f" {_plural(summary.move, 'state record')} to move."
    if summary.unverifiable:
        counts += f" {may_change_count(summary.unverifiable)}."
    return counts


def may_change_count(fields: int) -> str:
    """`3 declared fields could not be compared and may differ`."""
    return f"{_plural(fields, 'declared field')} could not be compared and may differ"


#: The line of one field that could not be compared.
MAY_CHANGE = "may change"


def unverifiable_note(change: ResourceChange) -> str:
    """Why the fields marked ? were not compared."""
    if change.unverifiable_because:
        return f"not compared: reading the running job's configuration failed ({change.unverifiable_because})"
    it = "it" if len(change.unverifiable) == 1 else "them"
    return (
        f"not compared: the service shows {it} masked or not at all, and no state record vouches for {it} "
        f"(plan compares {it} with the secrets set and the state store of the last apply)"
    )


def clean(text: str, *, keep: str = "") -> str:
    """`text` with control and format characters (but those in `keep`) escaped as \\uXXXX.

    Names, reasons and values come from manifests and from the live service; an escape sequence or a
    bidirectional override in one of them must not reach the user's terminal, and a newline must not
    break a line-based layout (or close a markdown fence).
    """
    if text.isprintable():
        return text
    return "".join(
        f"\\u{ord(ch):04x}" if ch not in keep and unicodedata.category(ch) in _UNSAFE else ch for ch in text
    )


def scalar(value: Any) -> str:
    """One value as the text formats write it: JSON literals, placeholders unquoted."""
    if isinstance(value, str):
        return value if value in _PLACEHOLDERS else clean(json.dumps(value, ensure_ascii=False))
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    return clean(json.dumps(str(value), ensure_ascii=False))


def key(name: Any) -> str:
    text = str(name)
    return text if _BARE_KEY.match(text) else clean(json.dumps(text, ensure_ascii=False))


def inline(value: Any) -> str:
    """A value on one line, HCL-like: `{ a = 1, b = "x" }`, `["a", "b"]`."""
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{key(k)} = {inline(value[k])}" for k in sorted(value, key=str)) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(inline(item) for item in value) + "]"
    return scalar(value)


@dataclass(frozen=True)
class BlockLine:
    """One line of a nested attribute block. `marked` lines carry the resource's glyph (Terraform marks
    attributes and list elements, not closing brackets)."""

    depth: int
    text: str
    marked: bool


def block(attributes: Mapping[str, Any], depth: int = 0) -> list[BlockLine]:
    """`key = value` lines, keys sorted and aligned as Terraform prints them, mappings and lists of
    mappings opened into nested blocks."""
    if not attributes:
        return []
    names = sorted(attributes, key=str)
    width = max(len(key(n)) for n in names)
    lines: list[BlockLine] = []
    for name in names:
        lines += _entry(f"{key(name).ljust(width)} = ", attributes[name], depth)
    return lines


def _entry(prefix: str, value: Any, depth: int) -> list[BlockLine]:
    if isinstance(value, Mapping) and value:
        return [BlockLine(depth, prefix + "{", True), *block(value, depth + 1), BlockLine(depth, "}", False)]
    if isinstance(value, list | tuple) and value and not _short_scalar_list(value):
        lines = [BlockLine(depth, prefix + "[", True)]
        for item in value:
            item_lines = _entry("", item, depth + 1)
            last = item_lines[-1]
            lines += [*item_lines[:-1], replace(last, text=last.text + ",")]
        return [*lines, BlockLine(depth, "]", False)]
    return [BlockLine(depth, prefix + inline(value), True)]


def _short_scalar_list(values: Sequence[Any]) -> bool:
    if any(isinstance(v, Mapping | list | tuple) for v in values):
        return False
    return len(inline(values)) <= _INLINE_LIST_WIDTH


def shown_attributes(change: ResourceChange) -> tuple[str, Mapping[str, Any]] | None:
    """The whole-resource block a format shows: what will exist (`+`) or what goes away (`-`).

    Updates, restarts and refreshes show their field changes instead, and no-ops nothing.
    """
    first = change.actions[0]
    if change.is_restart or first in (Action.UPDATE, Action.REFRESH_OUTPUT, Action.NOOP):
        return None
    if first in (Action.CREATE, Action.START):
        return ("+", change.after) if change.after else None
    return ("-", change.before) if change.before else None


def stop_change(change: ResourceChange) -> FieldChange:
    """What a stop changes, as a field change: the run state, from what the service reports (its reason's
    remote state) to `stopped`, the value a manifest declares for it; the rest of the object is kept."""
    return FieldChange("state", change.reason.remote_state or None, "stopped")


def identity(change: ResourceChange) -> str:
    """`id g-1, room r-7`: what a user looks for in the console; empty before a create."""
    parts = [f"id {change.remote_id}"] if change.remote_id else []
    if change.room_id:
        parts.append(f"room {change.room_id}")
    return clean(", ".join(parts))
