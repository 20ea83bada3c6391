"""The normalizer's rules one by one, and the other half of its contract: it never hides a real difference."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.api.values import number_text
from reconciler.engine.diff import diff
from reconciler.kinds import live_job
from reconciler.kinds.rule_group import normalize_group
from tests.property.strategies import rule_lists


def group(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return normalize_group({"group_name": "g", "interaction_rules": rules})


def test_rules_are_keyed_by_name_then_position_and_never_collide() -> None:
    rules: list[dict[str, Any]] = [
        {"rule_name": "greet"},
        {"event_type": 1},
        {"rule_name": "greet", "event_type": 2},  # a duplicate name, as another tool may leave behind
        {"event_type": 3},
        {"rule_name": "#2"},  # a name that looks like a position key
    ]
    assert list(group(rules)["interaction_rules"]) == ["greet", "#2", "greet#2", "#4", "#2#2"]


def test_rules_named_like_private_attributes_are_compared() -> None:
    # deepdiff skips "__"-prefixed keys unless told not to: such a rule went unseen.
    vip = {"rule_name": "__vip", "event_type": 1}
    assert [c.path for c in diff(group([vip]), group([]))] == ["interaction_rules[__vip]"]
    changed = diff(group([vip]), group([{**vip, "event_type": 2}]))
    assert [(c.path, c.before, c.after) for c in changed] == [("interaction_rules[__vip].event_type", 1, 2)]


def test_number_text() -> None:
    assert [number_text(v) for v in (20, 20.0, 1.5, True, False, -3)] == [
        "20",
        "20",
        "1.5",
        "true",
        "false",
        "-3",
    ]


def test_only_declared_observed_job_fields_are_compared() -> None:
    declared = live_job.declared_observed_fields(
        {"video_config": {"bitrate": 4000, "width": 1920, "height": 1080}, "co_streamer_config": {}}
    )
    assert declared == {}, "an empty object is not a declaration"
    declared = live_job.declared_observed_fields(
        {"rtc_callback_config": {"rtc_callback_event_type": ["LIVE_PROGRESS"]}}
    )
    live = live_job.observed_job_fields(
        {
            "rtc_callback_config": {"rtc_callback_event_type": ["LIVE_PROGRESS"]},
            "co_streamer_config": {"streamer_action": "SILENCE"},
        }
    )
    assert live_job.comparable_live_fields(live, declared) == declared


def test_a_declared_field_the_live_job_lacks_is_a_difference() -> None:
    declared = live_job.declared_observed_fields({"co_streamer_config": {"streamer_action": "SILENCE"}})
    live = live_job.observed_job_fields({})
    assert diff(live_job.comparable_live_fields(live, declared), declared)


def test_the_job_request_keeps_undeclared_observed_fields_unfilled() -> None:
    canonical = live_job.normalize_job_request(
        {"video_config": {"bitrate": 4000, "width": 1080, "height": 1920}}
    )
    assert "rtc_callback_config" not in canonical
    assert canonical["view_mode"] == "VERTICAL"
    assert canonical["video_config"]["codec"] == "H264"


@settings(max_examples=60, deadline=None)
@given(rules=rule_lists().filter(bool), data=st.data())
def test_removing_any_rule_is_always_a_difference(rules: list[dict[str, Any]], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(rules) - 1))
    fewer = rules[:index] + rules[index + 1 :]
    assert diff(group(rules), group(fewer))


@settings(max_examples=60, deadline=None)
@given(rules=rule_lists().filter(bool), data=st.data())
def test_changing_any_rule_is_a_difference_under_its_key(
    rules: list[dict[str, Any]], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(rules) - 1))
    edited = copy.deepcopy(rules)
    edited[index]["event_type"] = 101  # out of the API's range: differs from whatever was drawn
    changes = diff(group(rules), group(edited))
    key = list(group(rules)["interaction_rules"])[index]
    paths = [c.path for c in changes]
    # The rule's own change, and (when it joined or left a tie) the order of the tied rules: nothing else.
    assert f"interaction_rules[{key}].event_type" in paths
    assert all(p == f"interaction_rules[{key}].event_type" or p.startswith("rule_order") for p in paths)
