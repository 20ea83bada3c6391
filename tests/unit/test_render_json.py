"""The machine plan: documented keys, every resource, stable bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.engine.plan import Action, FieldChange, Plan, Reason, ReasonCode
from reconciler.render import FORMAT_VERSION, render
from reconciler.resources import Address
from tests.unit.test_render import group, job, no_change_plan, sample_changes, sample_plan

RESOURCE_KEYS = {
    "address",
    "kind",
    "name",
    "actions",
    "reason",
    "reason_detail",
    "description",
    "depends_on",
    "live_commands",
    "deferred",
    "before",
    "after",
    "changes",
    "remote_id",
    "room_id",
    "unverifiable",
    "unverifiable_because",
    "moved_from",
    "interrupts_stream",
}


def document(plan: Plan) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(render(plan, "json", color=True))
    return loaded


def test_top_level_keys_and_version() -> None:
    doc = document(sample_plan())
    assert set(doc) == {"format_version", "live_fingerprint", "notes", "resource_changes", "stack", "summary"}
    assert doc["format_version"] == FORMAT_VERSION == "2.2"
    assert doc["live_fingerprint"] == "sha256:abc123"
    assert doc["notes"] == ["--prune found 1 group not recorded as managed by smartlive; it was left alone."]
    assert doc["summary"] == {
        "create": 2,
        "update": 2,
        "restart": 1,
        "destroy": 2,
        "import": 0,
        "has_changes": True,
        "unverifiable": 0,
        "move": 0,
    }


def test_every_resource_no_ops_included_sorted_by_address() -> None:
    resources = document(sample_plan())["resource_changes"]
    addresses = [r["address"] for r in resources]
    assert addresses == sorted(str(c.address) for c in sample_changes())
    assert all(set(r) == RESOURCE_KEYS for r in resources)
    # No change of these carries a command to a running job or leaves a field for its next start.
    assert all(r["live_commands"] == [] for r in resources)
    assert all(r["deferred"] == {"fields": [], "jobs": []} for r in resources)
    by_address = {r["address"]: r for r in resources}
    assert by_address["SmartLiveJob/steady"]["actions"] == ["no-op"]
    assert by_address["SmartLiveJob/main-stream"]["actions"] == ["stop", "start"]
    assert by_address["SmartLiveJob/main-stream"]["interrupts_stream"] is True
    assert by_address["SmartLiveJob/rehearsal"]["actions"] == ["refresh-output"]
    assert all(r["unverifiable"] == [] for r in resources)
    assert by_address["InteractionRuleGroup/welcome"]["before"] is None


def test_the_reason_is_a_code_with_its_facts_and_the_sentence_is_the_description() -> None:
    by_address = {r["address"]: r for r in document(sample_plan())["resource_changes"]}
    restart = by_address["SmartLiveJob/main-stream"]
    assert restart["reason"] == "restart_required"
    assert restart["reason_detail"] == {"forced_by": ["video_config.bitrate"]}
    assert (
        restart["description"]
        == "must be restarted: video_config.bitrate changed (interrupts the live stream)"
    )
    steady = by_address["SmartLiveJob/steady"]
    assert steady["reason"] == "running"
    assert steady["reason_detail"] == {"remote_state": "PROCESSING"}
    assert steady["description"] == "has no changes: running as job job-5 (PROCESSING)"
    welcome = by_address["InteractionRuleGroup/welcome"]
    assert (welcome["reason"], welcome["reason_detail"]) == ("absent", {})
    assert all(r["depends_on"] == [] for r in by_address.values())


def test_depends_on_lists_addresses() -> None:
    plan = Plan(
        (
            group("g", (Action.CREATE,)),
            job("j", (Action.START,), depends_on=(Address("InteractionRuleGroup", "g"),)),
        )
    )
    by_address = {r["address"]: r for r in document(plan)["resource_changes"]}
    assert by_address["SmartLiveJob/j"]["depends_on"] == ["InteractionRuleGroup/g"]


def test_field_changes_keep_types_and_sort_by_path_numerically() -> None:
    faq = next(r for r in document(sample_plan())["resource_changes"] if r["name"] == "faq")
    assert [c["path"] for c in faq["changes"]] == [
        "interaction_rules[greet].trigger.reply_texts[1]",
        "interaction_rules[greet].trigger.reply_texts[10]",
        "interaction_rules[promo]",
    ]
    assert faq["changes"][2] == {
        "path": "interaction_rules[promo]",
        "before": {"rule_name": "promo", "priority": 10},
        "after": None,
        "forces_restart": False,
    }
    restart = next(r for r in document(sample_plan())["resource_changes"] if r["name"] == "main-stream")
    assert restart["changes"][0] == {
        "path": "video_config.bitrate",
        "before": 4000,
        "after": 6000,
        "forces_restart": True,
    }


def test_bytes_are_stable_sorted_and_uncoloured() -> None:
    out = render(sample_plan(), "json", color=True)
    assert out == json.dumps(json.loads(out), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert "\x1b" not in out


def test_no_changes() -> None:
    doc = document(no_change_plan())
    assert doc["summary"]["has_changes"] is False
    assert [r["actions"] for r in doc["resource_changes"]] == [["no-op"]]


def test_unicode_names_stay_readable_and_round_trip() -> None:
    plan = Plan((group("欢迎词", (Action.UPDATE,), changes=(FieldChange("x", "a\u2028b\x7f", "c"),)),))
    out = render(plan, "json", color=False)
    assert "欢迎词" in out and "\u2028" not in out and "\x7f" not in out
    assert json.loads(out)["resource_changes"][0]["changes"][0]["before"] == "a\u2028b\x7f"


def test_nan_is_refused_not_printed() -> None:
    plan = Plan((group("g", (Action.UPDATE,), changes=(FieldChange("x", float("nan"), 1),)),))
    with pytest.raises(ValueError):
        render(plan, "json", color=False)


def test_fields_not_compared_are_listed_with_why_and_counted() -> None:
    doubtful = job(
        "doubtful",
        (Action.NOOP,),
        Reason(ReasonCode.RUNNING),
        remote_id="job-1",
        unverifiable=("stream_keys", "video_config"),
        unverifiable_because="GET_LIVE_JOB_CONFIG_INFO: 400 MSS.00000003",
    )
    doc = document(Plan((doubtful,)))
    assert doc["summary"]["unverifiable"] == 2 and doc["summary"]["has_changes"] is False
    (resource,) = doc["resource_changes"]
    assert resource["unverifiable"] == ["stream_keys", "video_config"]
    assert resource["unverifiable_because"] == "GET_LIVE_JOB_CONFIG_INFO: 400 MSS.00000003"
    assert resource["description"] == "may differ: 2 declared fields could not be compared"
