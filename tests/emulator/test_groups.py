"""Interaction rule groups: create, list (paging, filters), show, update, delete, errors."""

from __future__ import annotations

from typing import Any

from reconciler.emulator.clock import ManualClock
from tests.emulator.conftest import Api, error_of

RULE: dict[str, Any] = {
    "rule_name": "greet",
    "enabled": True,
    "event_type": 1,
    "hit_condition": {
        "relation": "And",
        "priority": 10,
        "tags": [{"tag": "content", "match": "REGEX", "value": "hi"}],
    },
    "trigger": {
        "time_window": 0,
        "reply_mode": "SYSTEM_REPLY",
        "reply_texts": ["hello"],
        "reply_order": "RANDOM",
    },
}


def create(api: Api, name: str, rules: list[dict[str, Any]] | None = None) -> str:
    body: dict[str, Any] = {"group_name": name}
    if rules is not None:
        body["interaction_rules"] = rules
    response = api.post("/smart-live-interaction-rule-groups", body)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"group_id"}
    return str(response.json()["group_id"])


def test_show_returns_rules_with_server_fields(api: Api) -> None:
    group_id = create(api, "欢迎词", [RULE, {**RULE, "rule_index": "seven"}])
    shown = api.get(f"/smart-live-interaction-rule-groups/{group_id}").json()
    assert shown["group_id"] == group_id and shown["group_name"] == "欢迎词"
    first, second = shown["interaction_rules"]
    assert {k: first[k] for k in RULE} == RULE
    assert first["rule_id"] and first["rule_id"] != second["rule_id"]
    assert first["create_time"].endswith("Z") and first["update_time"] == first["create_time"]
    # rule_index is filled by the service when absent, kept when given.
    assert (first["rule_index"], second["rule_index"]) == ("1", "seven")
    assert shown["create_time"] == shown["update_time"]


def test_list_omits_rules_and_pages_with_count(api: Api, clock: ManualClock) -> None:
    ids = []
    for index in range(12):
        ids.append(create(api, f"group-{index:02}", [RULE]))
        clock.advance(1)
    first = api.get("/smart-live-interaction-rule-groups").json()
    assert first["count"] == 12
    assert [g["group_id"] for g in first["interaction_rule_groups"]] == ids[
        :10
    ]  # default limit 10, oldest first
    assert "interaction_rules" not in first["interaction_rule_groups"][0]
    assert set(first["interaction_rule_groups"][0]) == {
        "group_id",
        "group_name",
        "create_time",
        "update_time",
    }
    page = api.get("/smart-live-interaction-rule-groups", params={"offset": 10, "limit": 5}).json()
    assert page["count"] == 12 and [g["group_id"] for g in page["interaction_rule_groups"]] == ids[10:]
    named = api.get("/smart-live-interaction-rule-groups", params={"group_name": "group-1"}).json()
    assert named["count"] == 2  # group-10, group-11: a substring match


def test_list_filters_by_creation_time(api: Api, clock: ManualClock) -> None:
    ids = []
    for index in range(3):
        ids.append(create(api, f"g{index}"))
        clock.advance(60)
    groups = api.get("/smart-live-interaction-rule-groups").json()["interaction_rule_groups"]
    middle = groups[1]["create_time"]
    since = api.get("/smart-live-interaction-rule-groups", params={"create_since": middle}).json()
    assert [g["group_id"] for g in since["interaction_rule_groups"]] == ids[1:]
    until = api.get("/smart-live-interaction-rule-groups", params={"create_until": middle}).json()
    assert [g["group_id"] for g in until["interaction_rule_groups"]] == ids[:2]
    both = api.get(
        "/smart-live-interaction-rule-groups", params={"create_since": middle, "create_until": middle}
    )
    assert both.json()["count"] == 1


def test_list_rejects_out_of_range_paging(api: Api) -> None:
    for params in (
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"limit": "ten"},
        {"create_since": "yesterday"},
    ):
        response = api.get("/smart-live-interaction-rule-groups", params=params)
        assert error_of(response) == (400, "MSS.00000003"), params
        assert next(iter(params)) in response.json()["error_msg"]


def test_update_replaces_the_group_and_moves_update_time(api: Api, clock: ManualClock) -> None:
    group_id = create(api, "old", [RULE, RULE])
    before = api.get(f"/smart-live-interaction-rule-groups/{group_id}").json()
    clock.advance(30)
    response = api.put(
        f"/smart-live-interaction-rule-groups/{group_id}", {"group_name": "new", "interaction_rules": [RULE]}
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["group_name"] == "new" and len(updated["interaction_rules"]) == 1
    assert updated["create_time"] == before["create_time"]
    assert updated["update_time"] > before["update_time"]
    assert api.get(f"/smart-live-interaction-rule-groups/{group_id}").json() == updated
    listed = api.get("/smart-live-interaction-rule-groups").json()["interaction_rule_groups"][0]
    assert listed["update_time"] == updated["update_time"]


def test_delete_then_unknown(api: Api) -> None:
    group_id = create(api, "doomed")
    assert api.delete(f"/smart-live-interaction-rule-groups/{group_id}").status_code == 204
    for response in (
        api.get(f"/smart-live-interaction-rule-groups/{group_id}"),
        api.put(f"/smart-live-interaction-rule-groups/{group_id}", {"group_name": "x"}),
        api.delete(f"/smart-live-interaction-rule-groups/{group_id}"),
    ):
        assert error_of(response) == (400, "MSS.10001001")
        assert group_id in response.json()["error_msg"]
    assert api.get("/smart-live-interaction-rule-groups").json()["count"] == 0


def test_duplicate_names_are_allowed(api: Api) -> None:
    # The service has no idempotency token: a retried create makes a second group of the same name.
    create(api, "same")
    create(api, "same")
    assert api.get("/smart-live-interaction-rule-groups", params={"group_name": "same"}).json()["count"] == 2


def test_bad_bodies_name_the_field(api: Api) -> None:
    cases = [
        ({}, "group_name"),
        ({"group_name": "g", "colour": 1}, "colour"),
        (
            {"group_name": "g", "interaction_rules": [{**RULE, "hit_condition": {"priority": 1000}}]},
            "priority",
        ),
        (
            {"group_name": "g", "interaction_rules": [{**RULE, "trigger": {"reply_mode": "SHOUT"}}]},
            "reply_mode",
        ),
    ]
    for body, field in cases:
        response = api.post("/smart-live-interaction-rule-groups", body)
        assert error_of(response) == (400, "MSS.00000003"), body
        assert field in response.json()["error_msg"]
    assert (
        "interaction_rules[0].hit_condition.priority"
        in api.post("/smart-live-interaction-rule-groups", cases[2][0]).json()["error_msg"]
    )
    for raw in (b"{not json", b"[1, 2]"):
        assert error_of(api.post("/smart-live-interaction-rule-groups", raw=raw)) == (400, "MSS.00000002")
    assert api.get("/smart-live-interaction-rule-groups").json()["count"] == 0


def test_newer_sdk_values_are_accepted(api: Api) -> None:
    rule = {
        **RULE,
        "hit_condition": {"relation": "RESERVED"},
        "trigger": {"reply_mode": "INTELLIGENT_REPLY", "robot_id": "r1", "play_type": "PLAY_NOW"},
    }
    create(api, "newer", [rule])
