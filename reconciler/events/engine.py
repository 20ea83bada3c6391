"""The interaction-rule engine: which rule of a group answers each live event, and with what.

Pure and deterministic (given a seed): no I/O, no clock, no printing. Time is the events' own
`timestamp` (epoch milliseconds), so a recorded stream replays identically in tests, in `smartlive test`
and in the emulator. One `RuleEngine` is one running job: it keeps the job's state (aggregates since each
rule last fired, time-window suppression, once-per-job rules, round-robin positions, random generators).

The semantics, in the order the engine applies them (docs/rules.md, "Rule semantics", says the same for users):

1. Only enabled rules (`enabled` absent = true) whose `event_type` equals the event's `type` take part.
2. Each rule's tags are tested against the event's content (see content.py for tag paths). A tag with
   operation NONE tests the field's value; COUNT / SUM / AVG test an aggregate over the events since
   the rule last fired, this one included. Under AND the rule's NONE tags also filter what its
   aggregates take in ("3 comments matching /666/" counts only those comments); under OR every event
   of the type feeds them. `relation` absent = AND. A rule without tags matches every event of its type.
3. Among the rules that hit, the lowest `priority` (absent = 500) wins; equal priorities go by
   declaration order. A rule inside its time window is skipped and the next one gets the event
   (the window is that rule's own rate limit, not a mute on the room); the outcome lists who was skipped.
4. RESERVED rules ignore their tags and answer an event that no other rule of its type answered,
   lowest priority first, with time windows applied the same way.
5. The winner fires: its time window starts at the event's timestamp, its aggregates reset, and one
   reply is chosen from reply_texts + reply_audios, ORDER (round robin, the default) or RANDOM.

Aggregates reset only when their rule fires; a rule that hit but lost (suppressed, or outranked) keeps
counting, so "every 100 likes, at most once a minute" fires on the first like after the minute is over.

This module checks and compiles the rules and keeps the state; matcher.py turns each event type's rules
into one generated function, which is what runs per event.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, TypeVar

from pydantic import BaseModel

from reconciler.api.models import (
    DOCUMENTED_DEFAULTS,
    HitCondition,
    InteractionRuleInfo,
    LiveEvent,
    SmartLayerConfig,
    TriggerProcess,
)
from reconciler.events.content import as_number, parse_content, split_tag
from reconciler.events.matcher import (
    AggregateState,
    AggregateTag,
    Constant,
    PlainTag,
    RuleSpec,
    build_matcher,
)

_V = TypeVar("_V")


def _documented(model: type[BaseModel], name: str, kind: type[_V]) -> _V:
    """The API's documented default of a field, read from models: the engine's reading of an absent
    field and the plan's normaliser cannot disagree. A missing entry fails at import, not mid-stream."""
    value = DOCUMENTED_DEFAULTS[model.__name__][name]
    if not isinstance(value, kind):
        raise TypeError(f"DOCUMENTED_DEFAULTS[{model.__name__!r}][{name!r}] is not a {kind.__name__}")
    return value


DEFAULT_PRIORITY: Final = _documented(HitCondition, "priority", int)
DEFAULT_REPLY_ROLE: Final = _documented(TriggerProcess, "reply_role", str)
#: A rule whose `enabled` is absent takes part.
ENABLED_BY_DEFAULT: Final = _documented(InteractionRuleInfo, "enabled", bool)
# The API documents no default for these, so DOCUMENTED_DEFAULTS leaves them out (the normaliser fills
# its entries in, and a plan would show them as changes). The engine still has to read an absent field
# some way: these are its choices, marked *(ours)* in docs/rules.md, "Rule semantics".
DEFAULT_RELATION: Final = "AND"
DEFAULT_OPERATION: Final = "NONE"
DEFAULT_MATCH: Final = "EQUAL"
DEFAULT_REPLY_MODE: Final = "SYSTEM_REPLY"
DEFAULT_REPLY_ORDER: Final = "ORDER"
DEFAULT_PLAY_TYPE: Final = "APPEND"

CALLBACK_MODES: Final = frozenset({"CALLBACK", "SYSTEM_REPLY_AND_CALLBACK"})
SPOKEN_MODES: Final = frozenset({"SYSTEM_REPLY", "SYSTEM_REPLY_AND_CALLBACK", "INTELLIGENT_REPLY"})

_MATCHES: Final = frozenset({"EQUAL", "REGEX", "MATH_GT", "MATH_GE", "MATH_LT", "MATH_LE", "MATH_EQ"})
_OPERATIONS: Final = frozenset({"NONE", "COUNT", "SUM", "AVG"})
_MEMO_LIMIT: Final = 4096
#: Stands for "content not decoded yet" (a LiveEvent's content is decoded only when a rule needs it).
_UNPARSED: Final[Mapping[str, Any]] = {}


class RuleError(ValueError):
    """A rule the engine cannot run: a regex that does not compile, a MATH_* value that is no number,
    an unknown operation, match or relation. Raised when the engine is built, naming the rule and tag."""


class Reason(StrEnum):
    """Why an outcome is what it is (for people debugging a rule group, and for `smartlive test`)."""

    FIRED = "fired"
    FALLBACK = "fired as the RESERVED fallback"
    SUPPRESSED = "suppressed by time_window"
    NO_MATCH = "no rule matched"
    NO_RULES = "no enabled rule for this event type"


@dataclass(frozen=True, slots=True)
class Event:
    """A live event with its content already decoded: what the engine works on.

    `type` and `timestamp` (epoch ms) as in LiveEvent; `content` the decoded content object.
    """

    type: int | None
    timestamp: int
    content: Mapping[str, Any]

    @classmethod
    def of(
        cls, type: int | None, timestamp: int, content: str | Mapping[str, Any] | BaseModel | None
    ) -> Event:
        """Build from any content form: the API's JSON string, a dict, or a typed content model."""
        if isinstance(content, BaseModel):
            return cls(type, timestamp, content.model_dump(mode="json", exclude_none=True))
        return cls(type, timestamp, parse_content(content))

    @classmethod
    def from_live_event(cls, event: LiveEvent) -> Event:
        return cls(event.type, event.timestamp, parse_content(event.content))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """From one JSON Lines record: LiveEvent's own shape, with content as a string or an object."""
        return cls.of(data.get("type"), int(data["timestamp"]), data.get("content"))


EventLike = Event | LiveEvent


@dataclass(frozen=True, slots=True)
class Reply:
    """The one reply chosen when a rule fires: a text from reply_texts or an audio from reply_audios."""

    text: str | None = None
    audio_url: str | None = None
    audio_name: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one event caused. Outcomes are shared between events (they are built once per rule and
    reply), so treat them, and the layer configs they point to, as read-only."""

    reason: Reason
    event_type: int | None
    rule_name: str | None = None
    #: The API's rule_index, when the rule carries one.
    rule_index: str | None = None
    #: Position of the rule in the sequence the engine was built from (stable even when names repeat).
    position: int | None = None
    reply: Reply | None = None
    reply_mode: str | None = None
    reply_role: str | None = None
    play_type: str | None = None
    layer_config: SmartLayerConfig | None = None
    extra_layer_config: SmartLayerConfig | None = None
    robot_id: str | None = None
    #: Rules that hit this event but sat inside their time window (name, or `#position` when unnamed).
    suppressed: tuple[str, ...] = ()

    @property
    def fired(self) -> bool:
        return self.position is not None

    @property
    def fallback(self) -> bool:
        return self.reason is Reason.FALLBACK

    @property
    def callback(self) -> bool:
        """True when the reply goes to the job's interaction_callback_url (CALLBACK modes)."""
        return self.reply_mode in CALLBACK_MODES

    @property
    def spoken(self) -> bool:
        """True when the streamer says the reply (SYSTEM_REPLY modes; INTELLIGENT_REPLY's is generated)."""
        return self.reply_mode in SPOKEN_MODES

    @property
    def why(self) -> str:
        """One line for a human: `rule 'thanks' fired`, `suppressed by time_window: thanks`, ..."""
        if self.fired:
            text = f"rule {self.rule_name or f'#{self.position}'!r} {self.reason.value}"
        else:
            text = self.reason.value
        if self.suppressed:
            text += f" (inside time_window: {', '.join(self.suppressed)})"
        return text


# --------------------------------------------------------------------------------------------------
# Compilation: each rule is checked and compiled once; matcher.py turns a type's rules into one function.
# --------------------------------------------------------------------------------------------------


def _upper(value: str | None, default: str) -> str:
    # Response views widen the enums to str and the seed spells relation "And"/"Or": compare upper-cased.
    return value.upper() if value else default


def _constant(match: str, value: str, where: str) -> Constant:
    """The compiled form of a tag's value: the text (EQUAL), the pattern (REGEX), the threshold (MATH_*)."""
    if match == "EQUAL":
        return value
    if match == "REGEX":
        try:
            return re.compile(value)
        except re.error as exc:
            raise RuleError(f"{where}: REGEX value {value!r} does not compile: {exc}") from None
    threshold = as_number(value)
    if threshold is None:
        raise RuleError(f"{where}: {match} needs a numeric value, got {value!r}")
    return threshold


class _Rule:
    """One rule, compiled, with its per-job state."""

    __slots__ = (
        "aggregates",
        "fired_once",
        "label",
        "last_fired",
        "next_reply",
        "once",
        "outcomes",
        "position",
        "priority",
        "random",
        "reserved",
        "seed",
        "spec",
        "window_ms",
    )

    def __init__(self, position: int, info: InteractionRuleInfo, seed: int | None) -> None:
        self.position = position
        self.label = info.rule_name or f"#{position}"
        where = f"rule {self.label!r} (#{position})"
        condition = info.hit_condition
        trigger = info.trigger
        relation = _upper(condition.relation if condition else None, DEFAULT_RELATION)
        if relation not in ("AND", "OR", "RESERVED"):
            raise RuleError(f"{where}: unknown relation {relation!r}")
        self.reserved = relation == "RESERVED"
        priority = condition.priority if condition else None
        self.priority = DEFAULT_PRIORITY if priority is None else priority

        window = trigger.time_window if trigger and trigger.time_window is not None else 0
        # -1 is "once per live"; any other negative value is read the same way rather than as "never".
        self.once = window < 0
        self.window_ms = max(window, 0) * 1000
        self.last_fired: int | None = None
        self.fired_once = False

        plain: list[PlainTag] = []
        aggregates: list[AggregateTag] = []
        tags = (condition.tags if condition else None) or []
        if not self.reserved:  # RESERVED "does not evaluate the other hit conditions"
            for number, tag in enumerate(tags):
                tag_where = f"{where}, tag {number} ({tag.tag!r})"
                operation = _upper(tag.operation, DEFAULT_OPERATION)
                match = _upper(tag.match, DEFAULT_MATCH)
                if operation not in _OPERATIONS:
                    raise RuleError(f"{tag_where}: unknown operation {operation!r}")
                if match not in _MATCHES:
                    raise RuleError(f"{tag_where}: unknown match {match!r}")
                path = split_tag(tag.tag or "")
                constant = _constant(match, tag.value if tag.value is not None else "", tag_where)
                if operation == "NONE":
                    plain.append(PlainTag(path, match, constant))
                else:
                    aggregates.append(AggregateTag(path, operation, match, constant, AggregateState()))
        self.aggregates = tuple(tag.state for tag in aggregates)
        self.spec = RuleSpec(
            label=self.label,
            relation=relation,
            plain=tuple(plain),
            aggregates=tuple(aggregates),
            suppressed=self.suppressed if (self.once or self.window_ms) else None,
        )

        # Replies: one Outcome per possible reply, built now, so firing allocates nothing.
        pool: list[Reply] = [Reply(text=text) for text in (trigger.reply_texts or [])] if trigger else []
        if trigger:
            pool += [
                Reply(audio_url=a.audio_url, audio_name=a.audio_name) for a in trigger.reply_audios or []
            ]
        base = Outcome(
            reason=Reason.FALLBACK if self.reserved else Reason.FIRED,
            event_type=info.event_type,
            rule_name=info.rule_name,
            rule_index=info.rule_index,
            position=position,
            reply_mode=_upper(trigger.reply_mode if trigger else None, DEFAULT_REPLY_MODE),
            reply_role=_upper(trigger.reply_role if trigger else None, DEFAULT_REPLY_ROLE),
            play_type=_upper(trigger.play_type if trigger else None, DEFAULT_PLAY_TYPE),
            layer_config=trigger.layer_config if trigger else None,
            extra_layer_config=trigger.extra_layer_config if trigger else None,
            robot_id=trigger.robot_id if trigger else None,
        )
        self.outcomes = tuple(dataclasses.replace(base, reply=reply) for reply in pool) or (base,)
        order = _upper(trigger.reply_order if trigger else None, DEFAULT_REPLY_ORDER)
        self.seed = seed
        self.random: random.Random | None = None
        if order == "RANDOM" and len(self.outcomes) > 1:
            self.random = self._new_random()
        self.next_reply = 0

    def _new_random(self) -> random.Random:
        # One generator per rule, seeded from (seed, position): a rule's sequence of replies does not
        # change when another rule is added to the group or fires more often. A str seed hashes the
        # same in every process (unlike hash() of a tuple).
        return random.Random(None if self.seed is None else f"{self.seed}/{self.position}")

    def suppressed(self, timestamp: int) -> bool:
        if self.once:
            return self.fired_once
        if not self.window_ms:  # 0: "no suppression, fires every time", out-of-order events included
            return False
        last = self.last_fired
        # Also suppressed when the event is older than the last firing (an out-of-order report): the
        # rule must never fire twice within its window, whatever order the bridge delivers in.
        return last is not None and timestamp - last < self.window_ms

    def fire(self, timestamp: int) -> Outcome:
        self.last_fired = timestamp
        self.fired_once = True
        for aggregate in self.aggregates:
            aggregate.reset()
        outcomes = self.outcomes
        if len(outcomes) == 1:
            return outcomes[0]
        if self.random is not None:
            return outcomes[self.random.randrange(len(outcomes))]
        chosen = self.next_reply
        self.next_reply = (chosen + 1) % len(outcomes)
        return outcomes[chosen]

    def reset(self) -> None:
        self.last_fired = None
        self.fired_once = False
        self.next_reply = 0
        for aggregate in self.aggregates:
            aggregate.reset()
        if self.random is not None:
            self.random = self._new_random()


class _TypeGroup:
    """The enabled rules of one event type: the ordinary ones compiled into one matcher, in priority
    order (declaration order among equals), and the RESERVED fallbacks in the same order."""

    __slots__ = ("match", "no_match", "ordered", "reserved", "suppressed")

    def __init__(self, event_type: int, rules: list[_Rule]) -> None:
        key: Callable[[_Rule], tuple[int, int]] = lambda rule: (rule.priority, rule.position)  # noqa: E731
        self.ordered = sorted((r for r in rules if not r.reserved), key=key)
        self.reserved = sorted((r for r in rules if r.reserved), key=key)
        self.match = build_matcher([rule.spec for rule in self.ordered])
        self.no_match = Outcome(Reason.NO_MATCH, event_type)
        self.suppressed = Outcome(Reason.SUPPRESSED, event_type)


class RuleEngine:
    """Evaluates the live events of one job against one set of interaction rules.

    rules: the job's rules (InteractionRuleInfo, or InteractionRuleDetailInfo as the service returns them),
        in declaration order; disabled ones are kept out.
    seed: seeds reply_order RANDOM; None draws from the OS (a live room), an int replays exactly (tests).

    Raises RuleError when a rule cannot run (see RuleError).
    """

    def __init__(self, rules: Sequence[InteractionRuleInfo], *, seed: int | None = None) -> None:
        self.rules: tuple[InteractionRuleInfo, ...] = tuple(rules)
        compiled: dict[int, list[_Rule]] = {}
        for position, info in enumerate(self.rules):
            rule = _Rule(position, info, seed)  # compile disabled rules too: a broken one is still broken
            enabled = ENABLED_BY_DEFAULT if info.enabled is None else info.enabled
            if not enabled or info.event_type is None:
                continue
            compiled.setdefault(info.event_type, []).append(rule)
        self._groups: dict[int | None, _TypeGroup] = {
            event_type: _TypeGroup(event_type, rules) for event_type, rules in compiled.items()
        }
        self._no_rules: dict[int | None, Outcome] = {}
        # Keyed by id(): the outcomes are owned by the rules and groups and live as long as the engine.
        self._memo: dict[tuple[int, tuple[str, ...]], Outcome] = {}

    def reset(self) -> None:
        """Forget all state, as for a new job with the same rules (random generators restart too)."""
        for group in self._groups.values():
            for rule in (*group.ordered, *group.reserved):
                rule.reset()

    def evaluate(self, event: EventLike) -> Outcome:
        """The outcome of one event, updating the job's state. Events are expected in report order;
        time windows use their timestamps, never the clock."""
        if type(event) is Event:
            event_type, timestamp, raw = event.type, event.timestamp, None
            content = event.content
        # The exact-type test first: isinstance on a pydantic model class goes through ABCMeta.
        elif type(event) is LiveEvent or isinstance(event, LiveEvent):
            event_type, timestamp, raw = event.type, event.timestamp, event.content
            content = _UNPARSED
        else:
            raise TypeError(f"expected an Event or a LiveEvent, got {type(event).__name__}")

        group = self._groups.get(event_type)
        if group is None:
            outcome = self._no_rules.get(event_type)
            if outcome is None:
                outcome = self._no_rules[event_type] = Outcome(Reason.NO_RULES, event_type)
            return outcome
        if content is _UNPARSED:
            # Decoded once, and only for a type some rule listens to; the rules read the decoded object.
            content = parse_content(raw)

        skipped: list[str] = []
        index = group.match(content, timestamp, skipped)
        winner: _Rule | None = None
        if index >= 0:
            winner = group.ordered[index]
        else:
            for rule in group.reserved:
                if rule.suppressed(timestamp):
                    skipped.append(rule.label)
                    continue
                winner = rule
                break
        outcome = group.no_match if winner is None else winner.fire(timestamp)
        if skipped:
            if winner is None:
                outcome = group.suppressed
            outcome = self._with_skipped(outcome, tuple(skipped))
        return outcome

    def _with_skipped(self, outcome: Outcome, skipped: tuple[str, ...]) -> Outcome:
        # In a busy room most events meet some rule inside its window; the combinations of (outcome,
        # skipped rules) are few, so each is built once rather than per event.
        key = (id(outcome), skipped)
        memo = self._memo.get(key)
        if memo is None:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            memo = self._memo[key] = dataclasses.replace(outcome, suppressed=skipped)
        return memo

    def evaluate_all(self, events: Iterable[EventLike]) -> list[Outcome]:
        """`evaluate` over a stream, in order; one outcome per event."""
        evaluate = self.evaluate
        return [evaluate(event) for event in events]
