"""Compiles one event type's rules into a single Python function: the engine's hot path.

A 50-rule group has a dozen rules per event type, most of them a tag or two on the same few fields
(`content`, `user.level`, ...). Interpreting them rule by rule costs several Python calls per tag and
reads the same field again for every rule. The generated function instead reads each field once,
converts it once (to text for EQUAL / REGEX, to a number for MATH_* / SUM / AVG), then walks the rules
in priority order with every test inline. For example (names shortened):

    def match(c, ts, skipped):
        f0 = c.get(_k0)                                     # tag "content"
        if f0 is None: f0 = _nested(c, _k0)
        tf0 = f0 if type(f0) is str else (None if f0 is None else _text(f0))
        w = -1
        if (tf0 is not None and _k3(tf0) is not None):      # 'price': content REGEX, time_window 20
            if not _s4(ts): w = 0
            else: skipped.append(_l5)
        if w < 0 and tf0 == _k6:                           # 'hello': content EQUAL, no time window
            w = 1
        if (tf0 is not None and _k7(tf0) is not None):      # '666-burst': REGEX filter, then COUNT
            _a8.count += 1                                  #   fed even when an earlier rule won
            if w < 0 and _a8.count >= _k9:
                w = 2
        return w

It returns the index of the winner (the first rule, in the order given, that hit and is not inside its
time window) or -1, appends the labels of rules that hit inside their window to `skipped`, and feeds
the aggregates of every rule the semantics say must see the event, winner or not. Once no aggregating
rule is left below the winner it returns at once.

No text from a rule reaches the generated source: tag names, values, patterns, labels and state objects
are bound as names (`_k0`, `_l5`, `_a8`) in the function's globals, so a rule cannot change the code.
The semantics are engine.py's; the benchmark's naive implementation and the differential property test
check that the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.events.content import as_number, as_text, nested_lookup

#: match(content, timestamp, skipped) -> index of the winning rule in the sequence given, or -1.
Matcher = Callable[[Mapping[str, Any], int, list[str]], int]

_OPERATORS = {"MATH_GT": ">", "MATH_GE": ">=", "MATH_LT": "<", "MATH_LE": "<=", "MATH_EQ": "=="}

Constant = str | int | float | re.Pattern[str]


class AggregateState:
    """COUNT / SUM / AVG of one tag over the events since its rule last fired (the generated code
    updates the fields directly)."""

    __slots__ = ("count", "numeric", "total")

    def __init__(self) -> None:
        self.count = 0  # events in which the field is present (COUNT)
        self.numeric = 0  # events in which it is a number (AVG's denominator)
        self.total: int | float = 0  # the sum of those numbers (SUM, AVG)

    def reset(self) -> None:
        self.count = self.numeric = 0
        self.total = 0


@dataclass(frozen=True, slots=True)
class PlainTag:
    """A tag with operation NONE: a test on the field's value in this event."""

    path: tuple[str, ...]
    match: str  # EQUAL, REGEX, MATH_*
    #: EQUAL: the text to equal; REGEX: the compiled pattern; MATH_*: the threshold.
    constant: Constant


@dataclass(frozen=True, slots=True)
class AggregateTag:
    """A tag with operation COUNT, SUM or AVG: a test on an aggregate kept in `state`."""

    path: tuple[str, ...]
    operation: str
    match: str
    constant: Constant
    state: AggregateState


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """What the matcher needs of one rule."""

    label: str
    relation: str  # AND or OR (RESERVED rules never reach the matcher)
    plain: tuple[PlainTag, ...]
    aggregates: tuple[AggregateTag, ...]
    #: suppressed(timestamp); None for a rule without a time window, which skips the call.
    suppressed: Callable[[int], bool] | None


class _Source:
    """The generated function's text and the namespace its names refer to."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"_nested": nested_lookup, "_text": as_text, "_num": as_number}
        self.head: list[str] = []
        self.body: list[str] = []
        self.fields: dict[tuple[str, ...], str] = {}
        self.converted: set[str] = set()

    def bind(self, value: object, prefix: str) -> str:
        name = f"{prefix}{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def field(self, path: tuple[str, ...]) -> str:
        """The local holding the field's raw value (None when absent), read once per event."""
        var = self.fields.get(path)
        if var is None:
            var = self.fields[path] = f"f{len(self.fields)}"
            if not path:
                self.head.append(f"{var} = c")
            else:
                key = self.bind(path[0], "_k")
                self.head.append(f"{var} = c.get({key})")
                if len(path) == 1:  # a bare name: one level down when not at the top (content.py)
                    self.head.append(f"if {var} is None: {var} = _nested(c, {key})")
                for part in path[1:]:
                    self.head.append(
                        f"{var} = {var}.get({self.bind(part, '_k')}) if isinstance({var}, dict) else None"
                    )
        return var

    def text(self, var: str) -> str:
        if "t" + var not in self.converted:
            self.converted.add("t" + var)
            self.head.append(
                f"t{var} = {var} if type({var}) is str else (None if {var} is None else _text({var}))"
            )
        return "t" + var

    def number(self, var: str) -> str:
        if "n" + var not in self.converted:
            self.converted.add("n" + var)
            # int first, the common case, with no call; bool is not an int here (type(True) is bool).
            self.head.append(f"n{var} = {var} if type({var}) is int else _num({var})")
        return "n" + var

    def test(self, match: str, constant: Constant, text: str, number: str, may_be_none: bool) -> str:
        """A boolean expression testing a value, given expressions for its text and number forms."""
        if match == "EQUAL":
            return f"{text} == {self.bind(constant, '_k')}"
        if match == "REGEX":
            assert isinstance(constant, re.Pattern)
            search = self.bind(constant.search, "_k")
            if may_be_none:
                return f"({text} is not None and {search}({text}) is not None)"
            return f"{search}({text}) is not None"
        comparison = f"{number} {_OPERATORS[match]} {self.bind(constant, '_k')}"
        return f"({number} is not None and {comparison})" if may_be_none else comparison

    def plain(self, tag: PlainTag) -> str:
        var = self.field(tag.path)
        if tag.match == "EQUAL" or tag.match == "REGEX":
            return self.test(tag.match, tag.constant, self.text(var), "", may_be_none=True)
        return self.test(tag.match, tag.constant, "", self.number(var), may_be_none=True)

    def feed(self, tag: AggregateTag, state: str, indent: str) -> None:
        var = self.field(tag.path)
        if tag.operation == "COUNT":
            self.body.append(f"{indent}if {var} is not None: {state}.count += 1")
            return
        number = self.number(var)
        self.body.append(f"{indent}if {number} is not None:")
        self.body.append(f"{indent}    {state}.numeric += 1")
        self.body.append(f"{indent}    {state}.total += {number}")

    def aggregate(self, tag: AggregateTag, state: str) -> str:
        if tag.operation == "COUNT":
            value = f"{state}.count"
        elif tag.operation == "SUM":
            value = f"{state}.total"
        else:
            # AVG over no number is undefined, not 0: it matches nothing.
            value = f"({state}.total / {state}.numeric)"
        test = self.test(tag.match, tag.constant, f"_text({value})", value, may_be_none=False)
        return f"({state}.numeric and {test})" if tag.operation == "AVG" else f"({test})"


def build_matcher(rules: Sequence[RuleSpec]) -> Matcher:
    """The match function for these rules, tried in the order given (the engine sorts by priority)."""
    src = _Source()
    # From the last aggregating rule on, a winner can return at once: nothing below it needs the event.
    last_stateful = max((i for i, rule in enumerate(rules) if rule.aggregates), default=-1)
    guarded = False  # once a winner may have been recorded in w, later tests check it first

    for index, rule in enumerate(rules):
        indent = "    "
        guard = "w < 0 and " if guarded else ""
        joiner = " and " if rule.relation == "AND" else " or "
        plain = [src.plain(tag) for tag in rule.plain]
        states = [src.bind(tag.state, "_a") for tag in rule.aggregates]
        if not rule.aggregates:
            # Parenthesised: the guard is prepended with `and`, which binds tighter than an OR's `or`.
            test = f"({joiner.join(plain)})" if plain else "True"
            src.body.append(f"{indent}if {guard}{test}:")
        elif rule.relation == "AND":
            # The plain tags filter what the aggregates take in; then every aggregate must match.
            if plain:
                src.body.append(f"{indent}if {' and '.join(plain)}:")
                indent += "    "
            for tag, state in zip(rule.aggregates, states, strict=True):
                src.feed(tag, state, indent)
            test = " and ".join(
                src.aggregate(tag, state) for tag, state in zip(rule.aggregates, states, strict=True)
            )
            src.body.append(f"{indent}if {guard}{test}:")
        else:
            # OR: every event of the type feeds the aggregates; any tag may then match.
            for tag, state in zip(rule.aggregates, states, strict=True):
                src.feed(tag, state, indent)
            tests = plain + [
                src.aggregate(tag, state) for tag, state in zip(rule.aggregates, states, strict=True)
            ]
            src.body.append(f"{indent}if {guard}({' or '.join(tests)}):")
        win = f"return {index}" if index >= last_stateful else f"w = {index}"
        guarded = guarded or index < last_stateful
        if rule.suppressed is None:
            src.body.append(f"{indent}    {win}")
        else:
            src.body.append(f"{indent}    if not {src.bind(rule.suppressed, '_s')}(ts): {win}")
            src.body.append(f"{indent}    else: skipped.append({src.bind(rule.label, '_l')})")

    lines = ["def match(c, ts, skipped):"]
    lines += ["    " + line for line in src.head]
    lines += ["    w = -1", *src.body, "    return w", ""]
    source = "\n".join(lines)
    exec(compile(source, "<rule matcher>", "exec"), src.namespace)
    matcher: Matcher = src.namespace["match"]
    matcher.__doc__ = source  # whoever debugs a group can read what runs: print(matcher.__doc__)
    return matcher
