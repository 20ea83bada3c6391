"""The pure planner: desired + live (+ state records) -> actions, with readable paths and masked secrets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest

from reconciler.engine.kind import AmbiguityError, Desired
from reconciler.engine.plan import RESTART, SENSITIVE, Action, Plan
from reconciler.engine.planner import PlanInput, PlanOptions, make_plan
from reconciler.kinds.live_job import KIND as JOB_KIND
from reconciler.kinds.live_job import (
    DesiredJob,
    DesiredJobInputs,
    JobDeclaration,
    LiveJob,
    LiveJobs,
    desired_job,
    observed_job_fields,
    readable_config,
)
from reconciler.kinds.rule_group import KIND as GROUP_KIND
from reconciler.kinds.rule_group import DesiredGroup, LiveGroup, LiveGroups, desired_group, normalize_group
from reconciler.resources import Address, ManagedRecord

GROUP = "InteractionRuleGroup"
JOB = "SmartLiveJob"
MAIN = Address(JOB, "main")

RULES: list[dict[str, Any]] = [
    {
        "rule_name": "greet",
        "event_type": 2,
        "trigger": {"reply_mode": "SYSTEM_REPLY", "reply_texts": ["hi", "hello"], "time_window": 0},
    }
]
JOB_REQUEST: dict[str, Any] = {
    "video_config": {"codec": "H264", "bitrate": 4000, "width": 1080, "height": 1920, "frame_rate": "25"},
    "output_urls": ["rtmp://live.example.com/app"],
    "stream_keys": ["${env:STREAM_KEY}"],
    "live_event_callback_config": {
        "live_event_type_callback_url": "https://hooks.example.com/live",
        "auth_type": "MSS_A",
        "key": "${env:CALLBACK_KEY}",
        "callback_event_type": ["REPLY_COMMAND_FINISH"],
    },
}


def live_group(rules: list[dict[str, Any]], name: str = "welcome", gid: str = "g1") -> LiveGroup:
    server_rules = [
        {**r, "rule_id": f"r{i}", "create_time": "t", "update_time": "t"} for i, r in enumerate(rules)
    ]
    return LiveGroup(
        gid,
        name,
        "2026-11-21T00:00:00Z",
        normalize_group({"group_name": name, "interaction_rules": server_rules}),
    )


def declared_group(name: str, rules: list[dict[str, Any]]) -> Desired[DesiredGroup]:
    return Desired(Address(GROUP, name), desired_group(name, rules))


def declared_job(job: DesiredJob) -> Desired[DesiredJobInputs]:
    return Desired(Address(JOB, job.name), DesiredJobInputs(job))


def plan_of(
    *,
    desired_groups: Sequence[Desired[DesiredGroup]] = (),
    desired_jobs: Sequence[Desired[DesiredJobInputs]] = (),
    live_groups: Sequence[LiveGroup] = (),
    live_jobs: Sequence[LiveJob] = (),
    managed: Mapping[Address, ManagedRecord] | None = None,
    options: PlanOptions | None = None,
) -> Plan:
    """Both built-in kinds' inputs, as a plan session hands them to the planner."""
    inputs = [
        PlanInput(GROUP_KIND, desired_groups, LiveGroups(tuple(live_groups))),
        PlanInput(JOB_KIND, desired_jobs, LiveJobs(tuple(live_jobs))),
    ]
    return make_plan(inputs, managed=managed, options=options or PlanOptions())


def plan_groups(desired_rules: list[dict[str, Any]], live: list[LiveGroup]) -> Plan:
    return plan_of(desired_groups=[declared_group("welcome", desired_rules)], live_groups=live)


def test_new_group_is_created() -> None:
    plan = plan_groups(RULES, [])
    assert [c.actions for c in plan.changes] == [(Action.CREATE,)]
    assert plan.summary.create == 1


def test_server_fields_and_documented_defaults_are_no_difference() -> None:
    live_rules = [{**RULES[0], "enabled": True, "hit_condition": {"priority": 500}, "rule_index": "7"}]
    plan = plan_groups(RULES, [live_group(live_rules)])
    assert plan.changes[0].is_noop
    assert not plan.summary.has_changes


def test_one_field_edit_is_one_change_with_a_readable_path() -> None:
    edited = [{**RULES[0], "trigger": {**RULES[0]["trigger"], "reply_texts": ["hi", "welcome!"]}}]
    plan = plan_groups(edited, [live_group(RULES)])
    (change,) = plan.changes
    assert change.actions == (Action.UPDATE,)
    assert [(c.path, c.before, c.after) for c in change.changes] == [
        ("interaction_rules[greet].trigger.reply_texts[1]", "hello", "welcome!")
    ]


def test_rule_order_does_not_matter_but_numbers_and_strings_are_one_type() -> None:
    two = [
        RULES[0],
        {
            "rule_name": "gift",
            "event_type": 4,
            "hit_condition": {"tags": [{"tag": "gift.giftNum", "match": "MATH_GE", "value": 10}]},
        },
    ]
    live = [
        two[1] | {"hit_condition": {"tags": [{"tag": "gift.giftNum", "match": "MATH_GE", "value": "10"}]}},
        two[0],
    ]
    assert plan_groups(two, [live_group(live)]).changes[0].is_noop


def test_two_live_groups_with_one_declared_name_is_an_error() -> None:
    with pytest.raises(AmbiguityError, match="2 live rule groups"):
        plan_groups(RULES, [live_group(RULES, gid="a"), live_group(RULES, gid="b")])


def declaration(**changes: Any) -> JobDeclaration:
    request = {**JOB_REQUEST, **changes.pop("request", {})}
    return JobDeclaration(
        name="main", room_id="room-1", state=changes.pop("state", "running"), request=request
    )


def fingerprint(value: Any) -> str:
    return repr(value)


def resolve(request: Any) -> dict[str, Any]:
    text = repr(request).replace("${env:STREAM_KEY}", "sk-live-123").replace("${env:CALLBACK_KEY}", "cbk")
    return eval(text)  # test-only: a faithful deep copy with values substituted


def running_job(job_id: str = "job-1", request: dict[str, Any] | None = None) -> LiveJob:
    return LiveJob(job_id, "room-1", "PROCESSING", observed_job_fields(request or JOB_REQUEST))


def plan_job(decl: JobDeclaration, live: list[LiveJob], record: ManagedRecord | None = None) -> Plan:
    job = desired_job(decl, resolve=resolve, fingerprint=fingerprint)
    managed = {MAIN: record} if record else {}
    return plan_of(desired_jobs=[declared_job(job)], live_jobs=live, managed=managed)


def record_for(decl: JobDeclaration, job_id: str = "job-1") -> ManagedRecord:
    job = desired_job(decl, resolve=resolve, fingerprint=fingerprint)
    return ManagedRecord(
        MAIN,
        job_id,
        "room-1",
        field_fingerprints=dict(job.blind_fingerprints or {}),
    )


def test_job_without_active_job_is_started_and_secrets_are_masked() -> None:
    plan = plan_job(declaration(), [])
    (change,) = plan.changes
    assert change.actions == (Action.START,)
    assert change.after is not None
    assert change.after["stream_keys"] == SENSITIVE
    assert change.after["live_event_callback_config"]["key"] == SENSITIVE
    assert "sk-live-123" not in repr(plan) and "${env:STREAM_KEY}" not in repr(plan)


def test_running_job_with_same_config_is_noop_and_unverifiable_without_state() -> None:
    (change,) = plan_job(declaration(), [running_job()], record=None).changes
    assert change.is_noop
    assert "video_config" in change.unverifiable and "stream_keys" in change.unverifiable


def read_back(request: Mapping[str, Any]) -> dict[str, Any]:
    """What GET_LIVE_JOB_CONFIG_INFO shows of a job started with `request`, as read_back_configs keeps it."""
    return readable_config({**request, "stream_keys": ["******"]})


def test_without_a_record_the_configuration_read_back_is_compared_and_only_secrets_are_unverifiable() -> None:
    live = replace(running_job(), config=read_back(JOB_REQUEST))
    plan = plan_job(declaration(), [live], record=None)
    (same,) = plan.changes
    assert same.is_noop and same.changes == ()
    assert same.unverifiable == ("live_event_callback_config.key", "stream_keys")
    assert plan.summary.unverifiable == 2 and plan.summary.may_differ

    edited = declaration(request={"video_config": {**JOB_REQUEST["video_config"], "bitrate": 6000}})
    (change,) = plan_job(edited, [live], record=None).changes
    assert change.actions == RESTART
    assert [(c.path, c.before, c.after) for c in change.changes] == [("video_config.bitrate", 4000, 6000)]
    # The restart starts the job with every declared field: nothing is left uncompared.
    assert change.unverifiable == ()


def test_a_refused_read_back_leaves_the_readable_fields_unverifiable_and_says_why() -> None:
    live = replace(running_job(), config_error="GET_LIVE_JOB_CONFIG_INFO: 400 MSS.00000003")
    (change,) = plan_job(declaration(), [live], record=None).changes
    assert change.is_noop and "video_config" in change.unverifiable
    assert change.unverifiable_because == "GET_LIVE_JOB_CONFIG_INFO: 400 MSS.00000003"


def test_without_secrets_the_record_still_vouches_for_every_other_field() -> None:
    record = record_for(declaration())
    no_secrets = desired_job(declaration(), fingerprint=fingerprint)  # nothing to resolve them with
    plan = plan_of(desired_jobs=[declared_job(no_secrets)], live_jobs=[running_job()], managed={MAIN: record})
    (change,) = plan.changes
    assert change.is_noop
    assert change.unverifiable == ("live_event_callback_config.key", "stream_keys")


def test_bitrate_change_forces_restart_when_state_recorded() -> None:
    record = record_for(declaration())
    edited = declaration(request={"video_config": {**JOB_REQUEST["video_config"], "bitrate": 6000}})
    (change,) = plan_job(edited, [running_job()], record).changes
    assert change.actions == RESTART
    assert change.interrupts_stream
    assert [(c.path, c.forces_restart) for c in change.changes] == [("video_config", True)]


def test_stream_key_change_only_refreshes_output() -> None:
    record = record_for(declaration())
    edited = declaration(request={"stream_keys": ["${env:OTHER_KEY}"]})
    (change,) = plan_job(edited, [running_job()], record).changes
    assert change.actions == (Action.REFRESH_OUTPUT,)
    assert [(c.path, c.after) for c in change.changes] == [("stream_keys", SENSITIVE)]


def test_declared_stopped_stops_the_active_job() -> None:
    (change,) = plan_job(declaration(state="stopped"), [running_job()]).changes
    assert change.actions == (Action.STOP,)
    assert change.remote_id == "job-1"


def test_two_active_jobs_in_a_declared_room_is_an_error() -> None:
    with pytest.raises(AmbiguityError, match="2 active jobs"):
        plan_job(declaration(), [running_job("a"), running_job("b")])


def test_prune_without_state_store_plans_nothing_and_says_why() -> None:
    plan = plan_of(live_groups=[live_group(RULES)], options=PlanOptions(prune=True))
    assert plan.changes == ()
    assert "state store" in plan.notes[0]


def test_prune_deletes_only_managed_objects() -> None:
    old = Address(GROUP, "old")
    managed = {old: ManagedRecord(old, "g-old")}
    live = [live_group(RULES, name="old", gid="g-old"), live_group(RULES, name="foreign", gid="g-x")]
    plan = plan_of(live_groups=live, managed=managed, options=PlanOptions(prune=True))
    assert [(str(c.address), c.actions) for c in plan.changes] == [
        ("InteractionRuleGroup/old", (Action.DELETE,))
    ]


def test_target_limits_the_plan() -> None:
    plan = plan_of(
        desired_groups=[declared_group("a", RULES), declared_group("b", RULES)],
        options=PlanOptions(targets=frozenset({Address.parse("InteractionRuleGroup/b")})),
    )
    assert [str(c.address) for c in plan.changes] == ["InteractionRuleGroup/b"]


def test_live_fingerprint_ignores_job_state_moves_but_not_new_jobs() -> None:
    def fp(jobs: list[LiveJob]) -> str:
        return plan_of(live_jobs=jobs).live_fingerprint

    waiting = LiveJob("j", "room-1", "WAITING")
    assert fp([waiting]) == fp([LiveJob("j", "room-1", "PROCESSING")])
    assert fp([waiting]) != fp([waiting, LiveJob("k", "room-2", "WAITING")])


def test_swapping_two_rules_of_equal_priority_is_a_change_and_of_different_priority_is_not() -> None:
    def rule(name: str, priority: int) -> dict[str, Any]:
        return {
            "rule_name": name,
            "event_type": 1,
            "hit_condition": {"priority": priority},
            "trigger": {"reply_mode": "SYSTEM_REPLY", "reply_texts": [name]},
        }

    tied = [rule("first", 100), rule("second", 100)]
    (change,) = plan_groups(list(reversed(tied)), [live_group(tied)]).changes
    # Among rules that tie, the first declared answers: a reorder changes which one does.
    assert change.actions == (Action.UPDATE,)
    assert [(c.path, c.before, c.after) for c in change.changes] == [
        ("rule_order[event_type 1, priority 100][0]", "first", "second"),
        ("rule_order[event_type 1, priority 100][1]", "second", "first"),
    ]
    ranked = [rule("first", 100), rule("second", 200)]
    (same,) = plan_groups(list(reversed(ranked)), [live_group(ranked)]).changes
    assert same.is_noop
