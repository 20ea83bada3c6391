"""The engine (a generated matcher per event type) against the benchmark's naive implementation, written
independently the obvious way: the same rule and the same reply for every event of random rule groups
and random streams. Also runs the benchmark itself on a small stream (it checks the two agree too)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.api.models import InteractionRuleInfo, LiveEvent
from reconciler.events.engine import RuleEngine

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "rule_engine.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rule_engine_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and annotations look the module up by name
    spec.loader.exec_module(module)
    return module


FIELDS = [
    "content",
    "level",
    "user.level",
    "user.badge",
    "gift.giftNum",
    "giftName",
    "numberOfViewers",
    "",
    "user",
]
TEXTS = ["hi", "价格", "666", "10", "5", "true", "铁粉", ""]
PATTERNS = ["价格", "^6+$", "\\d", "^$", "i", "[?？]", "."]
MATH = ["MATH_GT", "MATH_GE", "MATH_LT", "MATH_LE", "MATH_EQ"]


@st.composite
def tags(draw: st.DrawFn) -> dict[str, Any]:
    match = draw(st.sampled_from(["EQUAL", "REGEX", *MATH]))
    if match == "EQUAL":
        value = draw(st.sampled_from(TEXTS))
    elif match == "REGEX":
        value = draw(st.sampled_from(PATTERNS))
    else:
        value = str(draw(st.integers(-2, 12)))
    body: dict[str, Any] = {"tag": draw(st.sampled_from(FIELDS)), "match": match, "value": value}
    operation = draw(st.sampled_from([None, "NONE", "NONE", "COUNT", "SUM", "AVG"]))
    if operation is not None:
        body["operation"] = operation
    return body


@st.composite
def rules(draw: st.DrawFn) -> InteractionRuleInfo:
    condition: dict[str, Any] = {"tags": draw(st.lists(tags(), max_size=3))}
    relation = draw(st.sampled_from([None, "AND", "OR", "And", "Or", "RESERVED"]))
    if relation is not None:
        condition["relation"] = relation
    priority = draw(st.sampled_from([None, 0, 1, 2, 500, 501]))
    if priority is not None:
        condition["priority"] = priority
    trigger: dict[str, Any] = {"reply_texts": [f"reply {i}" for i in range(draw(st.integers(0, 3)))]}
    window = draw(st.sampled_from([None, 0, 0, -1, 1, 3]))
    if window is not None:
        trigger["time_window"] = window
    order = draw(st.sampled_from([None, "ORDER", "RANDOM"]))
    if order is not None:
        trigger["reply_order"] = order
    body: dict[str, Any] = {
        "rule_name": f"rule-{draw(st.integers(0, 99))}",
        "event_type": draw(st.sampled_from([1, 4, 6])),
        "hit_condition": condition,
        "trigger": trigger,
    }
    enabled = draw(st.sampled_from([None, True, True, False]))
    if enabled is not None:
        body["enabled"] = enabled
    return InteractionRuleInfo.model_validate(body)


@st.composite
def streams(draw: st.DrawFn) -> list[LiveEvent]:
    events = []
    timestamp = 1_700_000_000_000
    for _ in range(draw(st.integers(1, 40))):
        # Mostly forward in time, sometimes backwards (a bridge may reorder).
        timestamp += draw(st.integers(-500, 2500))
        event_type = draw(st.sampled_from([1, 4, 6]))
        user = {
            "level": draw(st.sampled_from([0, 1, 5, 10, 12, "7", None])),
            "badge": draw(st.sampled_from(["", "铁粉"])),
        }
        content: dict[str, Any]
        if event_type == 1:
            content = {"user": user, "content": draw(st.sampled_from([*TEXTS, "价格?", "6666", "hi!"]))}
        elif event_type == 4:
            num = draw(st.sampled_from([1, 5, 10, 2.5, "3", None]))
            content = {
                "user": user,
                "gift": {"giftName": draw(st.sampled_from(["星", "火箭"])), "giftNum": num},
            }
        else:
            content = {"numberOfViewers": draw(st.sampled_from([0, 3, 10, 11, 5.5, True, "12"]))}
        events.append(LiveEvent(timestamp=max(timestamp, 0), type=event_type, content=json.dumps(content)))
    return events


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(group=st.lists(rules(), min_size=1, max_size=10), events=streams(), seed=st.integers(0, 1000))
def test_engine_agrees_with_the_naive_implementation(
    bench: ModuleType, group: list[InteractionRuleInfo], events: list[LiveEvent], seed: int
) -> None:
    engine = RuleEngine(group, seed=seed)
    naive = bench.NaiveEngine(group, seed)
    for event in events:
        outcome = engine.evaluate(event)
        expected = naive.evaluate(event)
        got = (outcome.position, outcome.reply.text if outcome.reply else None)
        assert got == expected, f"{event!r}\n{engine._groups[event.type].match.__doc__}"


def test_benchmark_runs_and_both_implementations_agree(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.main(["--events", "1000", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "events/s" in out and "agree on every event" in out and "ratio engine / naive" in out
