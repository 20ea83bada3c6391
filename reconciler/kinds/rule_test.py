"""The `InteractionRuleTest` manifest kind: a stream of live events and what each should cause.

    apiVersion: smartlive/v1
    kind: InteractionRuleTest
    metadata: {name: vip-greeting}
    spec:
      group: welcome                 # an InteractionRuleGroup in the same manifest set (or room: NAME,
                                     # a SmartLiveRoom: its imported and inline rules, as its jobs run them)
      seed: 7                        # optional: seeds reply_order RANDOM
      start: 1700000000000           # optional: epoch ms (or RFC 3339) of `at: 0`
      events:
        - at: 0                      # seconds from start; "+2s" = after the previous event
          type: entry                # a number 0-100 or a name (comment, entry, like, gift, follow, viewers)
          content: {user: {userId: "1", name: ann, level: 25}}
          expect: {rule: welcome-vip, replies: ["Welcome back!"]}
        - at: "+1s"
          type: like
          content: {user: {userId: "2"}}
          repeat: 99                 # the same event 99 times...
          every: 0.1                 # ...0.1 s apart; `expect` holds for each of them
          expect: {rule: null}       # null: no rule fires

Registered in reconciler/kinds/__init__.py, so `smartlive validate` and `smartlive schema` know it;
`smartlive test` (reconciler/runs/rule_tests.py) runs it. Events are checked as `smartlive events
report` checks a line (reconciler/events/jsonl.py), so a test cannot rely on an event the service would
refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from reconciler.api.models import MAX_EPOCH_MS
from reconciler.events.jsonl import EventError, content_string, event_type, timestamp_ms
from reconciler.manifest.nulls import NullMeans
from reconciler.manifest.registry import KindSpec, Manifest

KIND: Final = "InteractionRuleTest"
#: Where `at: 0` is when a test does not say: a fixed moment, so that every run is the same.
DEFAULT_START_MS: Final = 1_700_000_000_000
#: One test may generate at most this many events (repeat included): tests stay fast.
MAX_EVENTS: Final = 100_000

_DURATION: Final = re.compile(r"(?P<plus>\+)?\s*(?P<number>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>ms|s|m|h)?")
_UNIT_MS: Final = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, None: 1000}
_FORBID: Final = ConfigDict(extra="forbid")


def duration_ms(value: int | float | str, what: str) -> tuple[int, bool]:
    """(milliseconds, relative) of a time such as 0, 1.5, "2s", "+500ms", "+1m"; seconds when no unit.
    `relative` is the leading "+" (after the previous event).

    At most MAX_EPOCH_MS: no event can be later than that, and the YAML loader hands over whatever a
    manifest writes (`.inf`, `.nan`, `1e400`, an integer of 300 digits), which round() cannot take."""
    if isinstance(value, str):
        match = _DURATION.fullmatch(value.strip())
        if match is None:
            raise ValueError(f"{what}: {value!r} is not a time such as 2, 1.5, '2s', '+500ms' or '+1m'")
        milliseconds, relative = float(match["number"]) * _UNIT_MS[match["unit"]], match["plus"] is not None
    elif isinstance(value, bool) or not value >= 0:  # `not >=`: NaN compares false with everything
        raise ValueError(f"{what}: must be a number of seconds, 0 or more")
    else:
        milliseconds, relative = value * 1000, False
    if milliseconds > MAX_EPOCH_MS:  # also float('inf'), which "1e400" and "9"*400 + "s" become
        raise ValueError(
            f"{what}: at most {MAX_EPOCH_MS // 1000} seconds (the latest time an event may have)"
        )
    return round(milliseconds), relative


class Expectation(BaseModel):
    """What one event should cause. Only the fields given are checked."""

    model_config = _FORBID

    rule: Annotated[str | None, NullMeans("no rule fires")] = Field(
        default=None,
        min_length=1,
        description="rule_name of the rule that fires; null: no rule fires (no match, or all suppressed)",
    )
    replies: list[str] | None = Field(
        default=None, description="the reply must be one of these texts (or audio names / URLs)"
    )
    fallback: bool | None = Field(default=None, description="true: the firing rule is the RESERVED fallback")
    suppressed: list[str] | None = Field(
        default=None, description="exactly these rules hit but sat inside their time_window"
    )

    @property
    def checks_rule(self) -> bool:
        """`rule` was written (null included), as opposed to left out."""
        return "rule" in self.model_fields_set

    @model_validator(mode="after")
    def _something_to_check(self) -> Expectation:
        if not self.model_fields_set:
            raise ValueError("expect names nothing to check: give rule, replies, fallback or suppressed")
        if self.checks_rule and self.rule is None and (self.replies or self.fallback):
            raise ValueError("expect: rule null (nothing fires) cannot also expect replies or a fallback")
        return self


class TestEvent(BaseModel):
    """One event of a test (or repeat identical ones) and, optionally, what it should cause."""

    model_config = _FORBID

    at: int | float | str | None = Field(
        default=None,
        description='seconds from spec.start (0, 1.5, "90s"); "+2s" = after the previous event; '
        "absent = the previous event's time",
    )
    timestamp: int | str | None = Field(default=None, description="absolute time: epoch ms or RFC 3339")
    type: int | str = Field(description="0-100, or comment, entry, like, gift, follow, viewers")
    content: dict[str, Any] | str | None = Field(
        default=None, description="the content object (or the API's JSON string)"
    )
    repeat: int = Field(default=1, ge=1, le=MAX_EVENTS, description="send this event this many times")
    every: int | float | str | None = Field(
        default=None, description='time between repeats (seconds, or "500ms"); default 0'
    )
    expect: Expectation | None = Field(default=None, description="checked for every repetition")

    @field_validator("at", "every")
    @classmethod
    def _a_time(cls, value: int | float | str | None, info: ValidationInfo) -> int | float | str | None:
        # Checked per field, so that a diagnostic points at the value itself.
        if value is not None:
            duration_ms(value, str(info.field_name))
        return value

    @model_validator(mode="after")
    def _checked_like_a_report_line(self) -> TestEvent:
        try:
            kind = event_type(self.type)
            content_string(kind, self.content)
            if self.timestamp is not None:
                timestamp_ms(self.timestamp, allow_text=True)
        except EventError as exc:
            raise ValueError(str(exc)) from None
        if self.at is not None and self.timestamp is not None:
            raise ValueError("give at (relative) or timestamp (absolute), not both")
        if self.every is not None:
            if duration_ms(self.every, "every")[1]:
                raise ValueError("every: a spacing has no '+'")
            if self.repeat == 1:
                raise ValueError("every: only with repeat")
        return self

    @property
    def type_number(self) -> int:
        return event_type(self.type)

    @property
    def wire_content(self) -> str | None:
        return content_string(self.type_number, self.content)


class RuleTestSpec(BaseModel):
    """The test: the group or room whose rules it runs, and the live events it sends, each with the
    outcome it should have."""

    model_config = _FORBID

    group: str | None = Field(
        default=None, min_length=1, max_length=256, description="metadata.name of an InteractionRuleGroup"
    )
    room: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        description="metadata.name of a SmartLiveRoom: its rules, imported and inline, as its jobs run them",
    )
    seed: int | None = Field(default=None, description="seed of reply_order RANDOM (default 0)")
    start: int | str | None = Field(
        default=None, description=f"epoch ms or RFC 3339 time of at: 0 (default {DEFAULT_START_MS})"
    )
    events: list[TestEvent] = Field(min_length=1)

    @model_validator(mode="after")
    def _bounded(self) -> RuleTestSpec:
        if (self.group is None) == (self.room is None):
            raise ValueError("test a group or a room: give group or room, exactly one")
        if self.start is not None:
            try:
                timestamp_ms(self.start, allow_text=True)
            except EventError as exc:
                raise ValueError(str(exc).replace("timestamp:", "start:", 1)) from None
        total = sum(event.repeat for event in self.events)
        if total > MAX_EVENTS:
            raise ValueError(f"{total} events in one test; at most {MAX_EVENTS}")
        return self

    @property
    def start_ms(self) -> int:
        return DEFAULT_START_MS if self.start is None else timestamp_ms(self.start, allow_text=True)


@dataclass(frozen=True)
class RuleTestManifest(Manifest[RuleTestSpec]):
    """A loaded InteractionRuleTest."""

    @property
    def group(self) -> str:
        """The group tested, or "" when the test is of a room."""
        return self.spec.group or ""

    @property
    def room(self) -> str:
        """The room tested, or "" when the test is of a group."""
        return self.spec.room or ""

    @property
    def subject(self) -> str:
        """What the test runs against, as a report names it: a group's name, or `room NAME`."""
        return self.group or f"room {self.room}"


#: A manifest document only: `smartlive test` runs it, plan and apply never see it.
DOCUMENT: Final = KindSpec(
    KIND,
    RuleTestSpec,
    RuleTestManifest,
    description="An offline test of the rules of an InteractionRuleGroup or a SmartLiveRoom: live events "
    "and the outcome each should have (run by smartlive test).",
)
