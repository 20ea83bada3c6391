"""The rule engine's semantics (docs/rules.md, "Rule semantics"): each rule with a case that fires and one that
does not, plus property tests for time windows and reply selection."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.api.models import (
    CommentContent,
    EventUser,
    InteractionRuleDetailInfo,
    InteractionRuleInfo,
    LiveEvent,
)
from reconciler.events.content import compile_path
from reconciler.events.engine import Event, Outcome, Reason, Reply, RuleEngine, RuleError

T0 = 1_700_000_000_000  # epoch ms; offsets below are in seconds


def rule(
    name: str = "r",
    event_type: int = 1,
    tags: list[dict[str, Any]] | None = None,
    *,
    relation: str | None = None,
    priority: int | None = None,
    enabled: bool | None = None,
    window: int | None = None,
    replies: list[str] | None = None,
    order: str | None = None,
    **trigger: Any,
) -> InteractionRuleInfo:
    condition: dict[str, Any] = {}
    if tags is not None:
        condition["tags"] = tags
    if relation is not None:
        condition["relation"] = relation
    if priority is not None:
        condition["priority"] = priority
    body: dict[str, Any] = {"rule_name": name, "event_type": event_type}
    if condition:
        body["hit_condition"] = condition
    if enabled is not None:
        body["enabled"] = enabled
    trig: dict[str, Any] = dict(trigger)
    trig["reply_texts"] = replies if replies is not None else [f"{name}!"]
    if window is not None:
        trig["time_window"] = window
    if order is not None:
        trig["reply_order"] = order
    body["trigger"] = trig
    return InteractionRuleInfo.model_validate(body)


def tag(field: str, match: str, value: object, operation: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"tag": field, "match": match, "value": str(value)}
    if operation is not None:
        out["operation"] = operation
    return out


def user(level: int = 1, **extra: Any) -> dict[str, Any]:
    return {"userId": "42", "name": "viewer", "level": level, "badge": "", "badgeLevel": 0, **extra}


def comment(text: str, at: float = 0, level: int = 1) -> Event:
    return Event.of(1, T0 + int(at * 1000), {"user": user(level), "content": text})


def entry(level: int = 1, at: float = 0) -> Event:
    return Event.of(2, T0 + int(at * 1000), {"user": user(level)})


def like(at: float = 0) -> Event:
    return Event.of(3, T0 + int(at * 1000), {"user": user()})


def gift(name: str = "小星星", num: int = 1, at: float = 0, value: int = 1) -> Event:
    info = {"giftName": name, "giftNum": num, "totalValue": num * value, "giftValue": value}
    return Event.of(4, T0 + int(at * 1000), {"gift": info, "user": user()})


def viewers(count: Any, at: float = 0) -> Event:
    return Event.of(6, T0 + int(at * 1000), {"numberOfViewers": count})


def fired(outcomes: list[Outcome]) -> list[str | None]:
    return [o.rule_name if o.fired else None for o in outcomes]


def one(rules: list[InteractionRuleInfo], event: Event | LiveEvent) -> Outcome:
    return RuleEngine(rules, seed=1).evaluate(event)


# --------------------------------------------------------------------------------------------------
# event_type, tags and field access
# --------------------------------------------------------------------------------------------------


def test_event_type_must_match_the_events_type() -> None:
    engine = RuleEngine([rule("c", 1), rule("g", 4)])
    assert engine.evaluate(comment("hi")).rule_name == "c"
    assert engine.evaluate(gift()).rule_name == "g"
    other = engine.evaluate(entry())
    assert not other.fired and other.reason is Reason.NO_RULES


@pytest.mark.parametrize(
    ("field", "event", "value"),
    [
        ("content", comment("hello there"), "hello there"),
        ("user.level", comment("x", level=17), "17"),
        ("level", comment("x", level=17), "17"),  # the SDK doc's bare spelling: user.level
        ("user.name", entry(), "viewer"),
        ("gift.giftName", gift("火箭"), "火箭"),
        ("giftName", gift("火箭"), "火箭"),
        ("gift.giftNum", gift(num=10), "10"),
        ("giftNum", gift(num=10), "10"),
        ("numberOfViewers", viewers(5466), "5466"),
    ],
)
def test_tags_name_content_fields_by_dotted_path_or_bare_name(field: str, event: Event, value: str) -> None:
    rules = [rule("hit", event.type or 0, [tag(field, "EQUAL", value)])]
    assert one(rules, event).fired
    assert not one([rule("miss", event.type or 0, [tag(field, "EQUAL", value + "0")])], event).fired


@pytest.mark.parametrize(
    ("field", "content", "value"),
    [
        ("content", {"content": "hi", "user": {"content": "no"}}, "hi"),
        ("level", {"user": {"level": 17}}, 17),
        ("user.level", {"user": {"level": 17}}, 17),
        ("giftNum", {"user": {}, "gift": {"giftNum": 3}}, 3),
        ("gift.giftNum.deeper", {"gift": {"giftNum": 3}}, None),
        ("missing", {"user": {"level": 1}}, None),
    ],
)
def test_compile_path_reads_fields_as_the_engine_does(
    field: str, content: dict[str, Any], value: Any
) -> None:
    assert compile_path(field)(content) == value
    assert compile_path("")(content) is content


def test_typed_content_models_are_accepted() -> None:
    event = Event.of(1, T0, CommentContent(user=EventUser(level=12), content="价格"))
    assert one([rule("r", 1, [tag("level", "MATH_GE", 10), tag("content", "REGEX", "价格")])], event).fired


def test_a_missing_field_matches_nothing_not_even_a_match_all_regex() -> None:
    rules = [rule("r", 3, [tag("content", "REGEX", ".*")])]
    assert not one(rules, like()).fired
    assert not one([rule("r", 1, [tag("user.nothing.deeper", "REGEX", "")])], comment("x")).fired


def test_a_rule_without_tags_matches_every_event_of_its_type() -> None:
    engine = RuleEngine([rule("welcome", 2)])
    assert [engine.evaluate(entry(at=i)).fired for i in range(3)] == [True, True, True]


def test_content_that_is_not_a_json_object_is_read_as_a_bare_comment() -> None:
    # The seed's own request example sends "content": "xxxxx".
    rules = [rule("r", 1, [tag("content", "EQUAL", "xxxxx")])]
    assert one(rules, LiveEvent(timestamp=T0, type=1, content="xxxxx")).fired
    assert one(rules, LiveEvent(timestamp=T0, type=1, content='"xxxxx"')).fired is False


# --------------------------------------------------------------------------------------------------
# matches
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("match", "threshold", "hits", "misses"),
    [
        ("MATH_GT", 10, [11, 10.5, "11"], [10, 9, "abc", None]),
        ("MATH_GE", 10, [10, 11, "10"], [9, 9.99]),
        ("MATH_LT", 10, [9, -1, 9.99], [10, 11]),
        ("MATH_LE", 10, [10, 9], [10.01, 11]),
        ("MATH_EQ", 10, [10, 10.0, "10", "1e1"], [10.5, 9, "ten"]),
    ],
)
def test_math_matches_compare_numbers(match: str, threshold: int, hits: list[Any], misses: list[Any]) -> None:
    rules = [rule("r", 6, [tag("numberOfViewers", match, threshold)])]
    for value in hits:
        assert one(rules, viewers(value)).fired, (match, value)
    for value in misses:
        assert not one(rules, viewers(value)).fired, (match, value)


def test_math_never_treats_booleans_as_numbers() -> None:
    assert not one([rule("r", 6, [tag("numberOfViewers", "MATH_EQ", 1)])], viewers(True)).fired


def test_equal_is_exact_text_equality_with_numbers_as_json_writes_them() -> None:
    by_text = [rule("r", 1, [tag("content", "EQUAL", "主播好")])]
    assert one(by_text, comment("主播好")).fired
    assert not one(by_text, comment("主播好!")).fired  # not a substring match
    assert not one(by_text, comment(" 主播好")).fired  # no trimming
    by_number = [rule("r", 4, [tag("giftNum", "EQUAL", "10")])]
    assert one(by_number, gift(num=10)).fired
    assert one(by_number, Event.of(4, T0, {"gift": {"giftNum": 10.0}})).fired  # 10.0 prints as 10
    assert not one([rule("r", 4, [tag("giftNum", "EQUAL", "10.0")])], gift(num=10)).fired


def test_regex_searches_anywhere_unless_anchored() -> None:
    keyword = [rule("r", 1, [tag("content", "REGEX", "价格|多少钱")])]
    assert one(keyword, comment("这个多少钱呀")).fired
    assert not one(keyword, comment("好看")).fired
    anchored = [rule("r", 1, [tag("content", "REGEX", "^6+$")])]
    assert one(anchored, comment("6666")).fired
    assert not one(anchored, comment("6666!")).fired


def test_regex_on_a_number_field_sees_its_text() -> None:
    assert one([rule("r", 1, [tag("level", "REGEX", "^1\\d$")])], comment("x", level=17)).fired
    assert not one([rule("r", 1, [tag("level", "REGEX", "^1\\d$")])], comment("x", level=7)).fired


def test_match_absent_means_equal_and_operation_absent_means_none() -> None:
    rules = [rule("r", 1, [{"tag": "content", "value": "hi"}])]
    assert one(rules, comment("hi")).fired
    assert not one(rules, comment("hi!")).fired


# --------------------------------------------------------------------------------------------------
# operations: COUNT, SUM, AVG since the rule last fired
# --------------------------------------------------------------------------------------------------


def test_count_fires_on_the_nth_event_then_starts_again() -> None:
    engine = RuleEngine([rule("likes", 3, [tag("", "MATH_GE", 3, "COUNT")])])
    assert fired(engine.evaluate_all(like(i) for i in range(7))) == [
        None,
        None,
        "likes",
        None,
        None,
        "likes",
        None,
    ]


def test_count_of_a_field_counts_events_where_it_is_present() -> None:
    engine = RuleEngine([rule("r", 6, [tag("numberOfViewers", "MATH_GE", 2, "COUNT")])])
    outcomes = engine.evaluate_all([viewers(1), Event.of(6, T0, {}), viewers(2)])
    assert fired(outcomes) == [None, None, "r"]


def test_sum_adds_a_numeric_field_across_events() -> None:
    engine = RuleEngine([rule("generous", 4, [tag("gift.giftNum", "MATH_GE", 100, "SUM")])])
    outcomes = engine.evaluate_all([gift(num=50), gift(num=49), gift(num=1), gift(num=99)])
    assert fired(outcomes) == [None, None, "generous", None]


def test_avg_is_the_mean_since_the_rule_last_fired() -> None:
    engine = RuleEngine([rule("busy", 6, [tag("numberOfViewers", "MATH_GT", 1000, "AVG")])])
    outcomes = engine.evaluate_all([viewers(500), viewers(1400), viewers(1200), viewers(900)])
    # means: 500, 950, 1033.3 -> fires and resets; then 900 alone.
    assert fired(outcomes) == [None, None, "busy", None]


def test_sum_and_avg_skip_values_that_are_not_numbers() -> None:
    engine = RuleEngine([rule("r", 6, [tag("numberOfViewers", "MATH_EQ", 10, "AVG")])])
    assert fired(engine.evaluate_all([viewers("many"), viewers(10)])) == [None, "r"]
    # AVG over no number at all matches nothing, not even "< 1".
    assert not one([rule("r", 6, [tag("numberOfViewers", "MATH_LT", 1, "AVG")])], viewers("many")).fired


def test_under_and_the_plain_tags_filter_what_count_takes_in() -> None:
    # "three comments saying 666": other comments in between do not count.
    burst = rule("burst", 1, [tag("content", "REGEX", "^6+$"), tag("content", "MATH_GE", 3, "COUNT")])
    engine = RuleEngine([burst])
    texts = ["666", "hello", "6666", "nice", "hi", "66"]
    assert fired(engine.evaluate_all(comment(t, i) for i, t in enumerate(texts))) == [None] * 5 + ["burst"]


def test_under_or_every_event_of_the_type_feeds_the_aggregates() -> None:
    either = rule(
        "either", 1, [tag("content", "EQUAL", "!"), tag("content", "MATH_GE", 3, "COUNT")], relation="OR"
    )
    engine = RuleEngine([either])
    assert fired(
        engine.evaluate_all([comment("a"), comment("!"), comment("b"), comment("c"), comment("d")])
    ) == [
        None,
        "either",  # the EQUAL tag; firing resets the count
        None,
        None,
        "either",  # the COUNT tag: b, c, d
    ]


def test_aggregates_of_a_rule_that_lost_keep_counting() -> None:
    # The gift rule wins every event; the counting rule still sees them all and fires when free.
    always = rule("rocket", 4, [tag("giftName", "EQUAL", "火箭")], priority=1)
    count = rule("tenth", 4, [tag("gift", "MATH_GE", 3, "COUNT")], priority=9)
    engine = RuleEngine([always, count])
    outcomes = engine.evaluate_all([gift("火箭"), gift("火箭"), gift("星")])
    assert fired(outcomes) == ["rocket", "rocket", "tenth"]


def test_aggregates_are_kept_while_the_rule_is_suppressed_and_reset_when_it_fires() -> None:
    likes = rule("likes", 3, [tag("", "MATH_GE", 2, "COUNT")], window=60)
    engine = RuleEngine([likes])
    outcomes = engine.evaluate_all([like(0), like(1), like(2), like(3), like(4), like(61), like(62)])
    # fires at 1 s; 2,3,4 s reach 2 again but are inside the window; the first like after it fires
    # (the count was never reset); then it starts from zero.
    assert fired(outcomes) == [None, "likes", None, None, None, "likes", None]
    assert outcomes[3].reason is Reason.SUPPRESSED


# --------------------------------------------------------------------------------------------------
# relation
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("relation", ["AND", "And", None])
def test_and_needs_every_tag(relation: str | None) -> None:
    rules = [
        rule("vip-q", 1, [tag("level", "MATH_GE", 10), tag("content", "REGEX", "[?？]")], relation=relation)
    ]
    assert one(rules, comment("价格?", level=12)).fired
    assert not one(rules, comment("价格?", level=3)).fired
    assert not one(rules, comment("价格", level=12)).fired


@pytest.mark.parametrize("relation", ["OR", "Or"])
def test_or_needs_any_tag(relation: str) -> None:
    rules = [rule("r", 1, [tag("level", "MATH_GE", 10), tag("content", "REGEX", "[?？]")], relation=relation)]
    assert one(rules, comment("价格", level=12)).fired
    assert one(rules, comment("价格?", level=3)).fired
    assert not one(rules, comment("价格", level=3)).fired


def test_reserved_answers_what_no_other_rule_of_its_type_answered_ignoring_its_tags() -> None:
    fallback = rule("fallback", 1, [tag("content", "EQUAL", "never")], relation="RESERVED", priority=0)
    price = rule("price", 1, [tag("content", "REGEX", "价格")], priority=900)
    engine = RuleEngine([fallback, price, rule("gift", 4, [tag("giftNum", "MATH_GT", 100)])])
    assert engine.evaluate(comment("价格")).rule_name == "price"  # even at priority 900 over 0
    other = engine.evaluate(comment("你好"))
    assert other.rule_name == "fallback" and other.reason is Reason.FALLBACK and other.fallback
    assert not engine.evaluate(gift(num=1)).fired  # a fallback covers its own event type only


def test_reserved_also_answers_when_the_rules_that_matched_are_inside_their_window() -> None:
    engine = RuleEngine(
        [rule("price", 1, [tag("content", "REGEX", "价格")], window=30), rule("fb", 1, relation="RESERVED")]
    )
    first, second = engine.evaluate_all([comment("价格", 0), comment("价格", 5)])
    assert first.rule_name == "price"
    assert second.rule_name == "fb" and second.suppressed == ("price",)


# --------------------------------------------------------------------------------------------------
# enabled and priority
# --------------------------------------------------------------------------------------------------


def test_disabled_rules_never_fire_whatever_their_priority() -> None:
    rules = [rule("off", 1, enabled=False, priority=0), rule("on", 1, priority=999)]
    assert one(rules, comment("x")).rule_name == "on"
    assert not one([rule("off", 1, enabled=False)], comment("x")).fired
    assert one([rule("default", 1)], comment("x")).fired  # enabled absent = true


def test_the_lowest_priority_number_wins() -> None:
    rules = [rule("low", 1, priority=100), rule("high", 1, priority=5), rule("default", 1)]
    assert one(rules, comment("x")).rule_name == "high"
    assert one([rule("default", 1), rule("p499", 1, priority=499)], comment("x")).rule_name == "p499"
    assert one([rule("p501", 1, priority=501), rule("default", 1)], comment("x")).rule_name == "default"


def test_equal_priorities_go_by_declaration_order() -> None:
    assert (
        one([rule("first", 1, priority=7), rule("second", 1, priority=7)], comment("x")).rule_name == "first"
    )
    assert one([rule("second", 1), rule("first", 1)], comment("x")).rule_name == "second"


# --------------------------------------------------------------------------------------------------
# time_window
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("window", [0, None])
def test_time_window_zero_or_absent_fires_every_time(window: int | None) -> None:
    engine = RuleEngine([rule("r", 1, window=window)])
    assert fired(engine.evaluate_all(comment("x", 0) for _ in range(3))) == ["r", "r", "r"]


def test_time_window_minus_one_fires_once_per_job_until_reset() -> None:
    engine = RuleEngine([rule("hello", 2, window=-1)])
    outcomes = engine.evaluate_all([entry(at=0), entry(at=3600), entry(at=86400)])
    assert fired(outcomes) == ["hello", None, None]
    engine.reset()  # a new job
    assert engine.evaluate(entry(at=0)).fired


def test_time_window_n_suppresses_for_n_seconds_of_event_time() -> None:
    engine = RuleEngine([rule("r", 1, window=10)])
    outcomes = engine.evaluate_all([comment("x", t) for t in (0, 5, 9.999, 10, 15, 20.5)])
    assert fired(outcomes) == ["r", None, None, "r", None, "r"]
    assert outcomes[1].reason is Reason.SUPPRESSED and outcomes[1].suppressed == ("r",)


def test_an_event_older_than_the_last_firing_is_suppressed_too() -> None:
    engine = RuleEngine([rule("r", 1, window=10)])
    assert fired(engine.evaluate_all([comment("x", 100), comment("x", 50)])) == ["r", None]
    # ... but a rule without a window fires every time, whatever the order (RESERVED ones included).
    engine = RuleEngine(
        [rule("r", 1, [tag("content", "EQUAL", "x")], window=0), rule("fb", 1, relation="RESERVED")]
    )
    outcomes = engine.evaluate_all([comment("x", 100), comment("x", 50), comment("y", 100), comment("y", 50)])
    assert fired(outcomes) == ["r", "r", "fb", "fb"]


def test_a_suppressed_rule_lets_the_next_rule_answer() -> None:
    price = rule("price", 1, [tag("content", "REGEX", "价格")], priority=1, window=60)
    question = rule("question", 1, [tag("content", "REGEX", "[?？]$")], priority=2)
    engine = RuleEngine([price, question])
    first, second = engine.evaluate_all([comment("价格?", 0), comment("价格?", 1)])
    assert first.rule_name == "price"
    assert second.rule_name == "question" and second.suppressed == ("price",)
    assert "price" in second.why and "question" in second.why


@settings(max_examples=60, deadline=None)
@given(
    window=st.integers(min_value=1, max_value=30),
    offsets=st.lists(st.integers(min_value=0, max_value=120_000), min_size=1, max_size=40),
    ordered=st.booleans(),
)
def test_property_time_window_never_fires_twice_within_n_seconds(
    window: int, offsets: list[int], ordered: bool
) -> None:
    engine = RuleEngine([rule("r", 1, window=window)])
    stamps = sorted(offsets) if ordered else offsets
    outcomes = engine.evaluate_all(Event.of(1, T0 + ms, {"content": "x"}) for ms in stamps)
    times = [stamp for stamp, outcome in zip(stamps, outcomes, strict=True) if outcome.fired]
    assert all(b - a >= window * 1000 for a, b in itertools.pairwise(times))
    if ordered:  # and it does fire as soon as the window allows
        expected, last = [], None
        for stamp in stamps:
            if last is None or stamp - last >= window * 1000:
                expected.append(stamp)
                last = stamp
        assert times == expected


# --------------------------------------------------------------------------------------------------
# replies
# --------------------------------------------------------------------------------------------------


def test_order_cycles_through_the_replies_and_is_the_default() -> None:
    for order in ("ORDER", None):
        engine = RuleEngine([rule("r", 1, replies=["a", "b", "c"], order=order)])
        texts = [o.reply.text for o in engine.evaluate_all(comment("x") for _ in range(7)) if o.reply]
        assert texts == ["a", "b", "c", "a", "b", "c", "a"]


def test_the_round_robin_advances_only_when_the_rule_fires() -> None:
    engine = RuleEngine([rule("r", 1, [tag("content", "EQUAL", "go")], replies=["a", "b"])])
    outcomes = engine.evaluate_all([comment("go"), comment("no"), comment("go")])
    assert [o.reply.text if o.reply else None for o in outcomes] == ["a", None, "b"]


@settings(max_examples=40, deadline=None)
@given(replies=st.lists(st.text(max_size=5), min_size=1, max_size=5), firings=st.integers(1, 30))
def test_property_order_cycles_through_all_replies(replies: list[str], firings: int) -> None:
    engine = RuleEngine([rule("r", 1, replies=replies, order="ORDER")])
    texts = [o.reply.text for o in engine.evaluate_all(comment("x") for _ in range(firings)) if o.reply]
    assert texts == [replies[i % len(replies)] for i in range(firings)]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), firings=st.integers(1, 40))
def test_property_random_with_a_seed_is_deterministic(seed: int, firings: int) -> None:
    rules = [rule("r", 1, replies=["a", "b", "c", "d"], order="RANDOM")]
    runs = []
    for _ in range(2):
        engine = RuleEngine(rules, seed=seed)
        runs.append([o.reply for o in engine.evaluate_all(comment("x") for _ in range(firings))])
    assert runs[0] == runs[1]
    engine = RuleEngine(rules, seed=seed)
    engine.evaluate_all(comment("x") for _ in range(5))
    engine.reset()  # reset restarts the generator too
    assert [o.reply for o in engine.evaluate_all(comment("x") for _ in range(firings))] == runs[0]


def test_random_draws_from_every_reply_and_does_not_depend_on_other_rules() -> None:
    chooser = rule("r", 1, [tag("content", "EQUAL", "go")], replies=["a", "b", "c"], order="RANDOM")
    alone = RuleEngine([chooser], seed=3).evaluate_all(comment("go") for _ in range(60))
    assert {o.reply.text for o in alone if o.reply} == {"a", "b", "c"}
    # Another RANDOM rule firing in between does not shift this rule's sequence.
    other = rule("other", 1, [tag("content", "EQUAL", "other")], replies=["x", "y"], order="RANDOM")
    engine = RuleEngine([chooser, other], seed=3)
    mixed = [o for i in range(60) for o in engine.evaluate_all([comment("go"), comment("other")])][::2]
    assert [o.reply for o in mixed] == [o.reply for o in alone]


def test_reply_audios_join_the_pool_and_no_pool_means_no_reply() -> None:
    audio = {"audio_url": "https://cdn.example.com/a.mp3", "audio_name": "a"}
    engine = RuleEngine([rule("r", 1, replies=["t"], reply_audios=[audio])])
    replies = [o.reply for o in engine.evaluate_all(comment("x") for _ in range(2))]
    assert replies == [Reply(text="t"), Reply(audio_url="https://cdn.example.com/a.mp3", audio_name="a")]
    silent = one([rule("layer", 1, replies=[], reply_mode="SHOW_LAYER")], comment("x"))
    assert silent.fired and silent.reply is None and not silent.spoken and not silent.callback


# --------------------------------------------------------------------------------------------------
# the outcome
# --------------------------------------------------------------------------------------------------


def test_outcome_carries_the_trigger_with_documented_defaults() -> None:
    plain = one([rule("r", 1)], comment("x"))
    assert (plain.reply_mode, plain.reply_role, plain.play_type) == ("SYSTEM_REPLY", "STREAMER", "APPEND")
    assert plain.spoken and not plain.callback and plain.position == 0 and plain.event_type == 1
    layer = {"layer_type": "TEXT", "text_config": {"text_type": "STATIC", "text_context": "hi"}}
    full = one(
        [
            rule("x", 1, window=None),
            rule(
                "cb",
                1,
                priority=1,
                reply_mode="SYSTEM_REPLY_AND_CALLBACK",
                reply_role="CO_STREAMER",
                play_type="PLAY_NOW",
                layer_config=layer,
            ),
        ],
        comment("x"),
    )
    assert full.rule_name == "cb" and full.position == 1
    assert full.callback and full.spoken and full.reply_role == "CO_STREAMER" and full.play_type == "PLAY_NOW"
    assert full.layer_config is not None and full.layer_config.layer_type == "TEXT"
    assert one([rule("cb", 1, reply_mode="CALLBACK")], comment("x")).callback


def test_no_match_outcome_says_why() -> None:
    outcome = one([rule("r", 1, [tag("content", "EQUAL", "a")])], comment("b"))
    assert not outcome.fired and outcome.reason is Reason.NO_MATCH and outcome.why == "no rule matched"
    assert outcome.reply is None and not outcome.callback


# --------------------------------------------------------------------------------------------------
# inputs, errors, rules as the service returns them
# --------------------------------------------------------------------------------------------------


def test_live_events_with_json_content_and_decoded_events_give_the_same_outcomes() -> None:
    rules = [
        rule("gift", 4, [tag("gift.giftNum", "MATH_GE", 10)]),
        rule("c", 1, [tag("level", "MATH_GT", 5)]),
    ]
    content = {"gift": {"giftName": "星", "giftNum": 10}, "user": user(7)}
    as_api = LiveEvent(timestamp=T0, type=4, content=json.dumps(content))
    as_dict = Event.from_dict({"timestamp": T0, "type": 4, "content": content})
    as_string = Event.from_dict({"timestamp": T0, "type": 4, "content": json.dumps(content)})
    outcomes = {one(rules, event).rule_name for event in (as_api, as_dict, as_string)}
    assert outcomes == {"gift"}


def test_anything_else_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        RuleEngine([]).evaluate({"type": 1, "timestamp": 0})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bad_tag", "message"),
    [
        (tag("content", "REGEX", "(unclosed"), "does not compile"),
        (tag("level", "MATH_GT", "ten"), "needs a numeric value"),
    ],
)
def test_rules_that_cannot_run_are_refused_up_front_naming_the_rule(
    bad_tag: dict[str, Any], message: str
) -> None:
    with pytest.raises(RuleError, match=message) as caught:
        RuleEngine([rule("ok", 1), rule("broken", 1, [bad_tag], enabled=False)])
    assert "'broken' (#1)" in str(caught.value)


def test_rule_text_is_data_never_code() -> None:
    # Values reach the generated matcher as bound names, so this is just an odd string to compare.
    evil = "x') or __import__('os').system('false') or ('"
    rules = [
        rule("r", 1, [tag("content", "EQUAL", evil), tag(evil, "REGEX", re.escape(evil))], relation="OR")
    ]
    assert one(rules, comment(evil)).fired
    assert not one(rules, comment("x")).fired


def test_rules_as_the_service_returns_them_are_accepted() -> None:
    detail = InteractionRuleDetailInfo.model_validate(
        {
            "rule_id": "r-1",
            "rule_index": "3",
            "rule_name": "price",
            "event_type": 1,
            "hit_condition": {
                "relation": "and",
                "tags": [{"tag": "content", "match": "REGEX", "value": "价格"}],
            },
            "trigger": {"reply_texts": ["看链接"], "reply_order": "ORDER", "time_window": 0},
            "create_time": "2024-05-11T00:00:00Z",
        }
    )
    outcome = one([detail], comment("价格"))
    assert (
        outcome.rule_name == "price" and outcome.rule_index == "3" and outcome.reply == Reply(text="看链接")
    )
