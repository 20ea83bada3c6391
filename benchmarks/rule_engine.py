"""Rule-engine throughput: a 50-rule group over a generated live-event stream, events per second.

    .venv/bin/python benchmarks/rule_engine.py [--events 100000] [--seed 7]

Prints, measured in the same run on the same stream:

- the engine fed LiveEvents as the API carries them (content a JSON string, decoded once per event);
- the engine fed already-decoded events (what the emulator and `smartlive test` hold);
- a naive implementation that does what a first version would: for every event, walk all 50 rules,
  re-read the pydantic models, split tag paths and re.compile each pattern on every call, collect every
  hit and sort them. It implements the same semantics independently, so the run also checks that both
  give the same rule and the same reply for every event (a mismatch exits 1).

Goal (issue 6): at least 100,000 events/s through the engine on this machine.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from reconciler.api.models import InteractionRuleInfo, LiveEvent
from reconciler.events.engine import Event, Outcome, RuleEngine

GOAL_EVENTS_PER_SECOND = 100_000

# --------------------------------------------------------------------------------------------------
# The rule group: 50 rules over types 1, 2, 3, 4, 6, every operation and match, windows 0 / n / -1.
# --------------------------------------------------------------------------------------------------


def tag(field: str, match: str, value: object, operation: str = "NONE") -> dict[str, str]:
    return {"tag": field, "operation": operation, "match": match, "value": str(value)}


def rule(
    name: str,
    event_type: int,
    tags: list[dict[str, str]],
    *,
    priority: int | None = None,
    relation: str = "AND",
    window: int = 0,
    replies: int = 3,
    order: str = "ORDER",
    enabled: bool = True,
    mode: str = "SYSTEM_REPLY",
) -> dict[str, Any]:
    condition: dict[str, Any] = {"relation": relation, "tags": tags}
    if priority is not None:
        condition["priority"] = priority
    return {
        "rule_name": name,
        "enabled": enabled,
        "event_type": event_type,
        "hit_condition": condition,
        "trigger": {
            "time_window": window,
            "reply_mode": mode,
            "reply_texts": [f"{name} reply {i}" for i in range(replies)],
            "reply_order": order,
        },
    }


def rule_group() -> list[InteractionRuleInfo]:
    rules = [
        # type 1, comments: 20 rules
        rule("price", 1, [tag("content", "REGEX", "价格|多少钱|怎么卖")], priority=10, window=20),
        rule("link", 1, [tag("content", "REGEX", r"链接|link")], priority=10, window=30, order="RANDOM"),
        rule("size", 1, [tag("content", "REGEX", r"尺码|size\s*\d+")], priority=20),
        rule("ship", 1, [tag("content", "REGEX", "发货|快递")], priority=20, window=15),
        rule("hello", 1, [tag("content", "EQUAL", "主播好")], priority=30, window=5),
        rule("hi", 1, [tag("content", "EQUAL", "hello")], priority=30, order="RANDOM"),
        rule("vip-comment", 1, [tag("level", "MATH_GE", 20), tag("content", "REGEX", "!$")], priority=5),
        rule(
            "666-burst",
            1,
            [tag("content", "REGEX", "^6+$"), tag("content", "MATH_GE", 5, "COUNT")],
            priority=40,
        ),
        rule(
            "badge-fans",
            1,
            [tag("user.badge", "EQUAL", "铁粉"), tag("user.badgeLevel", "MATH_GT", 3)],
            priority=50,
        ),
        rule(
            "low-level", 1, [tag("user.level", "MATH_LT", 2), tag("content", "REGEX", "[?？]")], priority=60
        ),
        rule("question", 1, [tag("content", "REGEX", r"[?？]$")], priority=70, window=10),
        rule("busy", 1, [tag("content", "MATH_GE", 50, "COUNT")], priority=80, window=60),
        rule("avg-level", 1, [tag("level", "MATH_GT", 15, "AVG")], priority=90, window=120),
        rule(
            "either",
            1,
            [tag("content", "REGEX", "好看"), tag("level", "MATH_EQ", 30)],
            relation="OR",
            priority=45,
        ),
        rule("off-1", 1, [tag("content", "REGEX", ".")], priority=0, enabled=False),
        rule("off-2", 1, [tag("content", "REGEX", "价格")], priority=1, enabled=False),
        rule("thanks", 1, [tag("content", "REGEX", "谢谢|感谢")], priority=35, window=-1),
        rule("callback", 1, [tag("content", "REGEX", "客服")], priority=25, mode="CALLBACK"),
        rule("long", 1, [tag("content", "REGEX", r"^.{12,}$")], priority=95, window=30),
        rule("fallback-1", 1, [], relation="RESERVED", window=8, order="RANDOM"),
        # type 2, entries: 8 rules
        rule("welcome-vip", 2, [tag("level", "MATH_GE", 20)], priority=10, window=10),
        rule(
            "welcome-mid",
            2,
            [tag("level", "MATH_GE", 10), tag("level", "MATH_LT", 20)],
            priority=20,
            window=20,
        ),
        rule("welcome-badge", 2, [tag("user.badge", "EQUAL", "铁粉")], priority=15),
        rule("first-guest", 2, [], priority=1, window=-1),
        rule("crowd", 2, [tag("user", "MATH_GE", 30, "COUNT")], priority=30, window=60),
        rule("name-match", 2, [tag("user.name", "REGEX", "^guest_1\\d$")], priority=40),
        rule("off-3", 2, [tag("level", "MATH_GE", 0)], priority=0, enabled=False),
        rule("fallback-2", 2, [], relation="RESERVED", window=30),
        # type 3, likes: 6 rules
        rule("likes-50", 3, [tag("", "MATH_GE", 50, "COUNT")], priority=10, window=30),
        rule("likes-200", 3, [tag("user.userId", "MATH_GE", 200, "COUNT")], priority=5, window=120),
        rule("vip-like", 3, [tag("level", "MATH_GE", 25)], priority=20, window=20),
        rule(
            "avg-like-level", 3, [tag("level", "MATH_LE", 5, "AVG"), tag("level", "MATH_GE", 1)], priority=30
        ),
        rule("like-or", 3, [tag("badge", "EQUAL", "铁粉"), tag("", "MATH_EQ", 77, "COUNT")], relation="OR"),
        rule("fallback-3", 3, [], relation="RESERVED", window=60),
        # type 4, gifts: 10 rules
        rule("rocket", 4, [tag("gift.giftName", "EQUAL", "火箭")], priority=1),
        rule("big-gift", 4, [tag("gift.totalValue", "MATH_GE", 500)], priority=5),
        rule("many", 4, [tag("giftNum", "MATH_GT", 66)], priority=10, window=10),
        rule("star", 4, [tag("giftName", "REGEX", "星")], priority=20, window=5, order="RANDOM"),
        rule("sum-value", 4, [tag("gift.totalValue", "MATH_GE", 1000, "SUM")], priority=30),
        rule("avg-value", 4, [tag("gift.giftValue", "MATH_GT", 40, "AVG")], priority=40, window=60),
        rule("exact-10", 4, [tag("giftNum", "MATH_EQ", 10)], priority=50),
        rule("gift-or", 4, [tag("giftName", "EQUAL", "玫瑰"), tag("level", "MATH_GE", 28)], relation="OR"),
        rule("gift-count", 4, [tag("gift", "MATH_GE", 20, "COUNT")], priority=60, window=30),
        rule("fallback-4", 4, [], relation="RESERVED", window=3),
        # type 6, viewers: 6 rules
        rule("viewers-10k", 6, [tag("numberOfViewers", "MATH_GE", 10000)], priority=1, window=300),
        rule(
            "viewers-5k",
            6,
            [tag("numberOfViewers", "MATH_GE", 5000), tag("numberOfViewers", "MATH_LT", 10000)],
        ),
        rule("viewers-low", 6, [tag("numberOfViewers", "MATH_LT", 100)], priority=10, window=60),
        rule("viewers-avg", 6, [tag("numberOfViewers", "MATH_GT", 3000, "AVG")], priority=20, window=120),
        rule("viewers-eq", 6, [tag("numberOfViewers", "EQUAL", 4321)], priority=5),
        rule("viewers-sum", 6, [tag("numberOfViewers", "MATH_GE", 1_000_000, "SUM")], priority=30, window=-1),
    ]
    assert len(rules) == 50
    return [InteractionRuleInfo.model_validate(r) for r in rules]


# --------------------------------------------------------------------------------------------------
# The stream: comments 50 %, likes 20 %, entries 15 %, gifts 10 %, viewer counts 5 %; ~20 events/s.
# --------------------------------------------------------------------------------------------------

COMMENTS = [
    "价格多少",
    "多少钱?",
    "链接在哪",
    "尺码怎么选",
    "size 42",
    "什么时候发货",
    "主播好",
    "hello",
    "666",
    "6666",
    "好看!",
    "谢谢主播",
    "客服在吗",
    "这个颜色还有吗？",
    "太好看了吧这个真的很喜欢呢",
    "哈哈",
    "来了",
    "?",
    "1",
    "支持一下",
]
GIFTS = ["小星星", "火箭", "玫瑰", "星星灯", "棒棒糖", "跑车"]
BADGES = ["", "", "", "铁粉", "粉丝"]


def stream(count: int, seed: int) -> list[LiveEvent]:
    rng = random.Random(seed)
    viewers = 3000
    timestamp = 1_700_000_000_000
    events = []
    for _ in range(count):
        timestamp += rng.randint(0, 100)
        user = {
            "userId": str(rng.randint(1, 10**9)),
            "name": f"guest_{rng.randint(0, 99)}",
            "level": rng.randint(0, 30),
            "badge": rng.choice(BADGES),
            "badgeLevel": rng.randint(0, 10),
        }
        roll = rng.random()
        content: dict[str, Any]
        if roll < 0.50:
            event_type, content = 1, {"user": user, "content": rng.choice(COMMENTS)}
        elif roll < 0.70:
            event_type, content = 3, {"user": user}
        elif roll < 0.85:
            event_type, content = 2, {"user": user}
        elif roll < 0.95:
            num, value = rng.choice([1, 1, 1, 5, 10, 10, 99]), rng.choice([1, 3, 10, 50, 100])
            gift = {
                "giftName": rng.choice(GIFTS),
                "giftNum": num,
                "totalValue": num * value,
                "giftValue": value,
            }
            event_type, content = 4, {"gift": gift, "user": user}
        else:
            viewers = max(0, viewers + rng.randint(-300, 330))
            event_type, content = 6, {"numberOfViewers": viewers}
        events.append(
            LiveEvent(timestamp=timestamp, type=event_type, content=json.dumps(content, ensure_ascii=False))
        )
    return events


# --------------------------------------------------------------------------------------------------
# The naive implementation: the same semantics, written the obvious way.
# --------------------------------------------------------------------------------------------------


class NaiveEngine:
    def __init__(self, rules: Sequence[InteractionRuleInfo], seed: int) -> None:
        self.rules = list(rules)
        self.seed = seed
        self.last: dict[int, int] = {}
        self.once: set[int] = set()
        self.aggregates: dict[tuple[int, int], list[float]] = {}  # (rule, tag) -> [count, numeric, total]
        self.next_reply: dict[int, int] = {}
        self.randoms: dict[int, random.Random] = {}

    @staticmethod
    def field(content: Any, path: str) -> Any:
        if not path:
            return content
        parts = path.split(".")
        value = content.get(parts[0])
        if value is None and len(parts) == 1:
            for nested in content.values():
                if isinstance(nested, dict) and nested.get(parts[0]) is not None:
                    return nested[parts[0]]
        for part in parts[1:]:
            value = value.get(part) if isinstance(value, dict) else None
        return value

    @staticmethod
    def number(value: Any) -> float | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return value
        if isinstance(value, str) and re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?").fullmatch(
            value.strip()
        ):
            return float(value)
        return None

    @staticmethod
    def text(value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def test(self, match: str, expected: str, value: Any) -> bool:
        if value is None:
            return False
        if match == "EQUAL":
            return self.text(value) == expected
        if match == "REGEX":
            return re.compile(expected).search(self.text(value)) is not None
        number, threshold = self.number(value), self.number(expected)
        if number is None or threshold is None:
            return False
        return {
            "MATH_GT": number > threshold,
            "MATH_GE": number >= threshold,
            "MATH_LT": number < threshold,
            "MATH_LE": number <= threshold,
            "MATH_EQ": number == threshold,
        }[match]

    def hit(self, position: int, rule: InteractionRuleInfo, content: Any) -> bool:
        condition = rule.hit_condition
        tags = list(condition.tags or []) if condition else []
        relation = (condition.relation or "AND").upper() if condition else "AND"
        plain = [t for t in tags if (t.operation or "NONE") == "NONE"]
        aggregated = [(i, t) for i, t in enumerate(tags) if (t.operation or "NONE") != "NONE"]
        plain_results = [
            self.test(t.match or "EQUAL", t.value or "", self.field(content, t.tag or "")) for t in plain
        ]
        if relation == "AND" and not all(plain_results):
            return False
        agg_results = []
        for i, t in aggregated:
            state = self.aggregates.setdefault((position, i), [0, 0, 0])
            value = self.field(content, t.tag or "")
            if value is not None:
                state[0] += 1
                number = self.number(value)
                if number is not None:
                    state[1] += 1
                    state[2] += number
            if t.operation == "COUNT":
                agg_results.append(self.test(t.match or "EQUAL", t.value or "", state[0]))
            elif t.operation == "SUM":
                agg_results.append(self.test(t.match or "EQUAL", t.value or "", state[2]))
            else:
                average = state[2] / state[1] if state[1] else None
                agg_results.append(self.test(t.match or "EQUAL", t.value or "", average))
        if not tags:
            return True
        if relation == "AND":
            return all(agg_results)
        return any(plain_results) or any(agg_results)

    def suppressed(self, position: int, rule: InteractionRuleInfo, timestamp: int) -> bool:
        window = rule.trigger.time_window if rule.trigger and rule.trigger.time_window is not None else 0
        if window < 0:
            return position in self.once
        return window > 0 and position in self.last and timestamp - self.last[position] < window * 1000

    def evaluate(self, event: LiveEvent) -> tuple[int | None, str | None]:
        try:
            content = json.loads(event.content or "{}")
        except ValueError:
            content = {"content": event.content}
        if not isinstance(content, dict):
            content = {"content": event.content}

        def priority(position: int) -> tuple[int, int]:
            condition = self.rules[position].hit_condition
            value = condition.priority if condition else None
            return (500 if value is None else value, position)

        hits, reserved = [], []
        for position, rule in enumerate(self.rules):
            if rule.enabled is False or rule.event_type != event.type:
                continue
            relation = (rule.hit_condition.relation or "AND").upper() if rule.hit_condition else "AND"
            if relation == "RESERVED":
                reserved.append(position)
            elif self.hit(position, rule, content):
                hits.append(position)
        for position in sorted(hits, key=priority) + sorted(reserved, key=priority):
            rule = self.rules[position]
            if self.suppressed(position, rule, event.timestamp):
                continue
            self.last[position] = event.timestamp
            self.once.add(position)
            for key in [k for k in self.aggregates if k[0] == position]:
                self.aggregates[key] = [0, 0, 0]
            texts = rule.trigger.reply_texts or [] if rule.trigger else []
            if not texts:
                return position, None
            if len(texts) > 1 and rule.trigger and rule.trigger.reply_order == "RANDOM":
                rng = self.randoms.setdefault(position, random.Random(f"{self.seed}/{position}"))
                return position, texts[rng.randrange(len(texts))]
            chosen = self.next_reply.get(position, 0)
            self.next_reply[position] = (chosen + 1) % len(texts)
            return position, texts[chosen]
        return None, None


# --------------------------------------------------------------------------------------------------


def timed(label: str, run: Callable[[], list[Any]], count: int, repeat: int) -> tuple[float, list[Any]]:
    best, result = float("inf"), []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    rate = count / best
    print(f"{label:<46} {rate:>12,.0f} events/s  ({best * 1000:,.0f} ms, best of {repeat})")
    return rate, result


def key(outcome: Outcome) -> tuple[int | None, str | None]:
    return outcome.position, outcome.reply.text if outcome.reply else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best counts")
    args = parser.parse_args(argv)

    rules = rule_group()
    live_events = stream(args.events, args.seed)
    decoded = [Event.from_live_event(e) for e in live_events]
    engine = RuleEngine(rules, seed=args.seed)
    print(f"{len(rules)} rules, {args.events:,} events (seed {args.seed})")

    def run_engine(events: Sequence[Event | LiveEvent]) -> Callable[[], list[Outcome]]:
        def run() -> list[Outcome]:
            engine.reset()
            return engine.evaluate_all(events)

        return run

    def run_naive() -> list[tuple[int | None, str | None]]:
        naive = NaiveEngine(rules, args.seed)
        return [naive.evaluate(e) for e in live_events]

    live_rate, live_outcomes = timed(
        "engine, LiveEvent (content JSON string)", run_engine(live_events), args.events, args.repeat
    )
    decoded_rate, decoded_outcomes = timed(
        "engine, decoded events", run_engine(decoded), args.events, args.repeat
    )
    naive_rate, naive_outcomes = timed(
        "naive, LiveEvent (all rules, re.compile per call)", run_naive, args.events, 1
    )

    print(f"{'ratio engine / naive, same LiveEvent input':<46} {live_rate / naive_rate:>12.1f} x")
    print(f"{'ratio engine decoded / naive':<46} {decoded_rate / naive_rate:>12.1f} x")
    fired = sum(1 for o in live_outcomes if o.fired)
    print(f"{'events answered by a rule':<46} {fired:>12,} ({fired / args.events:.0%})")
    goal_met = live_rate >= GOAL_EVENTS_PER_SECOND
    print(
        f"goal >= {GOAL_EVENTS_PER_SECOND:,} events/s (LiveEvent input): {'met' if goal_met else 'NOT met'}"
    )

    mismatches = [
        i
        for i, (a, b, c) in enumerate(zip(live_outcomes, decoded_outcomes, naive_outcomes, strict=True))
        if key(a) != c or key(b) != c
    ]
    if mismatches:
        first = mismatches[0]
        print(
            f"MISMATCH on {len(mismatches)} events; first #{first}: {live_events[first]!r}: "
            f"engine {key(live_outcomes[first])}, naive {naive_outcomes[first]}",
            file=sys.stderr,
        )
        return 1
    print("engine and naive agree on every event (rule and reply)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
