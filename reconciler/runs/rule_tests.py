"""Running InteractionRuleTest documents offline: the rule engine against the manifests' rule groups.

Each test gets a fresh RuleEngine (one job) over its group's rules, seeded with `spec.seed` (0 when
absent, so RANDOM replies replay), and feeds it the test's events in order, as LiveEvents with the
content string the API would carry (the emulator's engine sees the same). Every expectation is checked
on the event it belongs to; a failure names the file and line of that event's `expect` (or the event).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from reconciler.api.models import InteractionRuleInfo, LiveEvent
from reconciler.events.engine import Outcome, RuleEngine, RuleError
from reconciler.events.jsonl import timestamp_ms
from reconciler.kinds.rule_group import RuleGroupManifest
from reconciler.kinds.rule_test import KIND, Expectation, RuleTestManifest, TestEvent, duration_ms
from reconciler.kinds.smart_live_room import ImportEntry, RoomManifest
from reconciler.manifest import Diagnostic, LoadResult
from reconciler.manifest.files import read_manifest
from reconciler.manifest.yaml_documents import parse_documents
from reconciler.manifest.yaml_positions import PositionIndex


@dataclass(frozen=True, slots=True)
class Failure:
    """One expectation that did not hold, or a test that could not run (`event` None)."""

    file: str
    line: int
    message: str
    event: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class TestResult:
    name: str
    group: str
    file: str
    line: int
    checked: int = 0
    failures: list[Failure] = field(default_factory=list)
    #: The test could not run (unknown group, a rule the engine refuses): one message, no checks.
    error: Failure | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.error is None and not self.failures


class _Lines:
    """file:line of paths inside documents, composed once per file and only when something failed."""

    def __init__(self) -> None:
        self._files: dict[str, PositionIndex] = {}

    def of(self, test: RuleTestManifest, path: tuple[str | int, ...]) -> int:
        index = self._files.get(test.source.file)
        if index is None:
            data = read_manifest(test.source.file)
            index = self._files[test.source.file] = PositionIndex(data if isinstance(data, bytes) else b"")
        found = index.locate(test.source.document, path)
        return found[0] if found is not None else test.source.line


def tests_of(loaded: LoadResult) -> list[RuleTestManifest]:
    return [test for test in loaded.of_kind(KIND) if isinstance(test, RuleTestManifest)]


def split_errors(
    loaded: LoadResult, tests: Sequence[RuleTestManifest]
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(errors that bear on the tests, errors that do not) among the load errors.

    An error bears on the tests unless it belongs to a document that loaded as something the tests do
    not use (a SmartLiveJob with an http:// callback URL, a group no test names): a document that did
    not load could have been a test or a group, so its errors count."""
    rooms = {room.name: room for room in loaded.of_kind(RoomManifest)}
    used = {test.group for test in tests}
    used_rooms = {test.room for test in tests if test.room}
    for name in used_rooms:
        if name in rooms:
            used.update(group.name for _index, group in rooms[name].imports())
    resources = {(r.source.file, r.source.document): r for r in loaded.resources}
    starts: dict[str, list[int]] = {}
    blocking: list[Diagnostic] = []
    unrelated: list[Diagnostic] = []
    for error in loaded.errors:
        lines = starts.get(error.file)
        if lines is None:
            data = read_manifest(error.file)
            parsed = parse_documents(data) if isinstance(data, bytes) else None
            lines = starts[error.file] = [d.line for d in parsed.documents] if parsed is not None else []
        document = bisect.bisect_right(lines, error.line) - 1
        resource = resources.get((error.file, document)) if document >= 0 else None
        bears = (
            error.code.startswith("Y")  # the file itself: what it would have held is unknown
            or resource is None
            or resource.kind == KIND
            or (isinstance(resource, RuleGroupManifest) and resource.name in used)
            or (isinstance(resource, RoomManifest) and resource.name in used_rooms)
        )
        (blocking if bears else unrelated).append(error)
    return blocking, unrelated


def run_tests(loaded: LoadResult, tests: Sequence[RuleTestManifest] | None = None) -> list[TestResult]:
    """Run `tests` (default: every InteractionRuleTest loaded) against the groups of `loaded`."""
    groups: dict[str, RuleGroupManifest] = {}
    for group in loaded.of_kind(RuleGroupManifest):
        groups.setdefault(group.name, group)  # a duplicate name is a load error (S001) already
    rooms: dict[str, RoomManifest] = {}
    for room in loaded.of_kind(RoomManifest):
        rooms.setdefault(room.name, room)
    lines = _Lines()
    return [run_test(test, groups, lines, rooms) for test in (tests_of(loaded) if tests is None else tests)]


def _rules_of(
    test: RuleTestManifest, groups: dict[str, RuleGroupManifest], rooms: dict[str, RoomManifest]
) -> list[InteractionRuleInfo]:
    """The rules a test runs against: its group's, or its room's as the room's jobs run them (each
    import's group rules, copied in place, and the room's own rules, in the room's order)."""
    if test.group:
        group = groups.get(test.group)
        if group is None:
            known = ", ".join(sorted(groups)) or "none"
            raise _CannotRun(
                f"no InteractionRuleGroup named {test.group!r} in the paths given (found: {known})"
            )
        return list(group.interaction_rules)
    room = rooms.get(test.room)
    if room is None:
        known = ", ".join(sorted(rooms)) or "none"
        raise _CannotRun(f"no SmartLiveRoom named {test.room!r} in the paths given (found: {known})")
    rules: list[InteractionRuleInfo] = []
    for entry in room.spec.interaction_rules or []:
        if isinstance(entry, ImportEntry):
            imported = groups.get(entry.import_)
            if imported is None:
                raise _CannotRun(
                    f"room {test.room!r} imports {entry.import_!r}, which is not in the paths given"
                )
            rules.extend(imported.interaction_rules)
        else:
            rules.append(entry)
    return rules


def run_test(
    test: RuleTestManifest,
    groups: dict[str, RuleGroupManifest],
    lines: _Lines | None = None,
    rooms: dict[str, RoomManifest] | None = None,
) -> TestResult:
    lines = lines or _Lines()
    started = time.perf_counter()
    result = TestResult(test.name, test.subject, test.source.file, test.source.line)
    try:
        rules = _rules_of(test, groups, rooms or {})
        engine = RuleEngine(rules, seed=0 if test.spec.seed is None else test.spec.seed)
    except (_CannotRun, RuleError) as exc:
        where = lines.of(test, ("spec", "group" if test.group else "room"))
        result.error = Failure(test.source.file, where, f"{test.name}: cannot run: {exc}")
        result.seconds = time.perf_counter() - started
        return result

    names = {rule.rule_name for rule in rules if rule.rule_name}
    for position, event, timestamp, copy in _stream(test):
        expect = event.expect
        live = LiveEvent.model_construct(
            timestamp=timestamp, type=event.type_number, content=event.wire_content
        )
        outcome = engine.evaluate(live)
        if expect is None:
            continue
        result.checked += 1
        label = f"group {test.group!r}" if test.group else f"room {test.room!r}"
        problem = _unknown_rule(expect, names, label) or _check(expect, outcome)
        if problem is None:
            continue
        where = lines.of(test, ("spec", "events", position, "expect"))
        label = f"event {position + 1}" + (
            f" (repeat {copy + 1} of {event.repeat})" if event.repeat > 1 else ""
        )
        at = f"at +{(timestamp - test.spec.start_ms) / 1000:g} s"
        result.failures.append(
            Failure(test.source.file, where, f"{test.name}: {label} {at}: {problem}", event=position)
        )
    result.seconds = time.perf_counter() - started
    return result


class _CannotRun(Exception):
    pass


def _stream(test: RuleTestManifest) -> Iterator[tuple[int, TestEvent, int, int]]:
    """(index, event, timestamp ms, repetition) for every event the test sends, in order."""
    start = test.spec.start_ms
    previous = start
    for position, event in enumerate(test.spec.events):
        if event.timestamp is not None:
            first = timestamp_ms(event.timestamp, allow_text=True)
        elif event.at is None:
            first = previous
        else:
            offset, relative = duration_ms(event.at, "at")
            first = (previous if relative else start) + offset
        every = duration_ms(event.every, "every")[0] if event.every is not None else 0
        for copy in range(event.repeat):
            previous = first + copy * every
            yield position, event, previous, copy


def _unknown_rule(expect: Expectation, names: set[str], subject: str) -> str | None:
    wanted = ([expect.rule] if expect.rule else []) + list(expect.suppressed or [])
    for name in wanted:
        if name not in names:
            return f"expect names rule {name!r}, which {subject} does not have (rules: {', '.join(sorted(names))})"
    return None


def _describe(outcome: Outcome) -> str:
    text = outcome.why
    if outcome.reply is not None:
        text += f", reply {_reply_text(outcome)!r}"
    return text


def _reply_text(outcome: Outcome) -> str | None:
    reply = outcome.reply
    if reply is None:
        return None
    return reply.text if reply.text is not None else (reply.audio_name or reply.audio_url)


def _check(expect: Expectation, outcome: Outcome) -> str | None:
    """Why `outcome` does not meet `expect`, or None when it does."""
    if expect.checks_rule:
        if expect.rule is None and outcome.fired:
            return f"expected no rule to fire, got: {_describe(outcome)}"
        if expect.rule is not None and outcome.rule_name != expect.rule:
            return f"expected rule {expect.rule!r} to fire, got: {_describe(outcome)}"
    if expect.fallback is not None and outcome.fallback != expect.fallback:
        wanted = "the RESERVED fallback" if expect.fallback else "not the RESERVED fallback"
        return f"expected {wanted}, got: {_describe(outcome)}"
    if expect.replies is not None:
        text = _reply_text(outcome)
        if text is None and expect.replies:
            return f"expected a reply among {expect.replies!r}, got: {_describe(outcome)} (no reply)"
        if text is not None and not expect.replies:
            return f"expected no reply, got {text!r} ({outcome.why})"
        if text is not None and text not in expect.replies:
            return f"expected a reply among {expect.replies!r}, got {text!r} ({outcome.why})"
    if expect.suppressed is not None and sorted(outcome.suppressed) != sorted(expect.suppressed):
        return f"expected {sorted(expect.suppressed)!r} inside their time_window, got {sorted(outcome.suppressed)!r} ({outcome.why})"
    return None
