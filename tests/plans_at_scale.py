"""Plans of any size in the shapes the planner produces, for the tests and figures of the markdown comment
(tests/unit/test_render_markdown_fit.py, benchmarks/markdown_size.py): pull_request_plan's seven
resources, and scale_plan's any number.

Every run of ten resources holds one of each kind of change a pull request brings: a 10-rule group
created (the ~6.6 KB block of issue 13) and one deleted, a group and a room updated in place (the room
rewriting a running job's rules), a job restarted, started, stopped, refreshed, and one whose secrets
could not be compared; one job in fifty has a note. Built from the plan's dataclasses only, so it runs
against any version of the renderer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.engine.plan import (
    RESTART,
    SENSITIVE,
    Action,
    FieldChange,
    LiveCommand,
    Plan,
    Reason,
    ReasonCode,
    ResourceChange,
)
from reconciler.resources import Address

GROUP, ROOM, JOB = "InteractionRuleGroup", "SmartLiveRoom", "SmartLiveJob"
RULES_PER_GROUP = 10


def rules(i: int) -> dict[str, Any]:
    """Ten rules keyed by name, as a group's canonical value holds them: keyword replies in two
    languages, a greeting and a gift thanks, as examples/rule-groups/ has them."""
    out: dict[str, Any] = {}
    for k in range(RULES_PER_GROUP - 2):
        out[f"keyword-{k}"] = {
            "rule_name": f"keyword-{k}",
            "enabled": True,
            "event_type": 1,
            "hit_condition": {
                "relation": "OR",
                "priority": 100 + k,
                "tags": [
                    {"tag": "content", "operation": "NONE", "match": "REGEX", "value": f"(价格|price){i}-{k}"}
                ],
            },
            "trigger": {
                "time_window": 30,
                "reply_mode": "SYSTEM_REPLY",
                "reply_order": "RANDOM",
                "reply_texts": [f"商品 {i} 的第 {k} 个问题，请看左下角链接。", "Tap the link below."],
            },
        }
    out["welcome"] = {
        "rule_name": "welcome",
        "event_type": 2,
        "hit_condition": {"priority": 500},
        "trigger": {"time_window": 20, "reply_mode": "SYSTEM_REPLY", "reply_texts": ["欢迎来到直播间！"]},
    }
    out["gift-thanks"] = {
        "rule_name": "gift-thanks",
        "event_type": 4,
        "hit_condition": {
            "relation": "AND",
            "tags": [{"tag": "gift.count", "operation": "SUM", "match": "MATH_GE", "value": "10"}],
        },
        "trigger": {
            "reply_mode": "SYSTEM_REPLY",
            "reply_texts": ["谢谢你的礼物！"],
            "reply_role": "STREAMER",
        },
    }
    return out


def job_config(i: int) -> dict[str, Any]:
    """A job's masked configuration: what a start writes and what a running job was read back as."""
    return {
        "room_id": f"room-{i:04d}",
        "output_urls": [f"rtmp://push.example.com/live/{i}"],
        "stream_keys": [SENSITIVE],
        "video_config": {"codec": "H264", "bitrate": 4000, "width": 1920, "height": 1080, "frame_rate": "25"},
        "play_policy": {"repeat_count": -1, "auto_play_script": True, "random_play_mode": "SCENE"},
        "rtc_callback_config": {"rtc_callback_event_type": ["LIVE_PROGRESS"]},
    }


def _group_created(i: int) -> ResourceChange:
    name = f"shop-{i:04d}"
    after = {"group_name": name, "interaction_rules": rules(i)}
    return ResourceChange(Address(GROUP, name), (Action.CREATE,), Reason(ReasonCode.ABSENT), after=after)


def _group_updated(i: int) -> ResourceChange:
    name = f"shop-{i:04d}"
    return ResourceChange(
        Address(GROUP, name),
        (Action.UPDATE,),
        Reason(ReasonCode.FIELDS_DIFFER),
        remote_id=f"grp-{i}",
        changes=(
            FieldChange("interaction_rules[keyword-1].trigger.reply_texts[1]", "Tap the link.", "Tap below."),
            FieldChange("interaction_rules[welcome].hit_condition.priority", 500, 450),
        ),
    )


def _room_updated(i: int) -> ResourceChange:
    return ResourceChange(
        Address(ROOM, f"room-{i:04d}"),
        (Action.UPDATE,),
        Reason(ReasonCode.FIELDS_DIFFER, caused_by=(Address(GROUP, f"shop-{i - 1:04d}"),)),
        remote_id=f"room-{i:04d}",
        changes=(FieldChange("interaction_rules[welcome].hit_condition.priority", 500, 450),),
        live_commands=(LiveCommand("REWRITE_INTERACTION_RULES", f"job-{i}"),),
    )


def _job_restarted(i: int) -> ResourceChange:
    return ResourceChange(
        Address(JOB, f"live-{i:04d}"),
        RESTART,
        Reason(ReasonCode.RESTART_REQUIRED, forced_by=("video_config.bitrate",)),
        before={"job_id": f"job-{i}", "state": "PROCESSING", **job_config(i)},
        after=job_config(i),
        remote_id=f"job-{i}",
        room_id=f"room-{i:04d}",
        interrupts_stream=True,
        changes=(
            FieldChange("video_config.bitrate", 4000, 6000, forces_restart=True),
            FieldChange("video_config.frame_rate", "25", "30", forces_restart=True),
        ),
    )


def _job_started(i: int) -> ResourceChange:
    return ResourceChange(
        Address(JOB, f"live-{i:04d}"),
        (Action.START,),
        Reason(ReasonCode.NOT_RUNNING),
        after=job_config(i),
        room_id=f"room-{i:04d}",
    )


def _job_stopped(i: int) -> ResourceChange:
    return ResourceChange(
        Address(JOB, f"live-{i:04d}"),
        (Action.STOP,),
        Reason(ReasonCode.DECLARED_STOPPED, remote_state="PROCESSING"),
        before={"job_id": f"job-{i}", "state": "PROCESSING", **job_config(i)},
        remote_id=f"job-{i}",
        room_id=f"room-{i:04d}",
        interrupts_stream=True,
    )


def _job_doubtful(i: int) -> ResourceChange:
    return ResourceChange(
        Address(JOB, f"live-{i:04d}"),
        (Action.NOOP,),
        Reason(ReasonCode.RUNNING, remote_state="PROCESSING"),
        remote_id=f"job-{i}",
        room_id=f"room-{i:04d}",
        unverifiable=("interaction_callback_url", "stream_keys"),
    )


def _group_deleted(i: int) -> ResourceChange:
    name = f"shop-{i:04d}"
    return ResourceChange(
        Address(GROUP, name),
        (Action.DELETE,),
        Reason(ReasonCode.PRUNED),
        before={"group_name": name, "interaction_rules": rules(i)},
        remote_id=f"grp-{i}",
    )


def _job_refreshed(i: int) -> ResourceChange:
    return ResourceChange(
        Address(JOB, f"live-{i:04d}"),
        (Action.REFRESH_OUTPUT,),
        Reason(ReasonCode.OUTPUT_ONLY),
        remote_id=f"job-{i}",
        room_id=f"room-{i:04d}",
        changes=(
            FieldChange("output_urls[0]", f"rtmp://a.example.com/live/{i}", f"rtmp://b.example.com/live/{i}"),
            FieldChange("stream_keys[0]", SENSITIVE, SENSITIVE),
        ),
    )


#: One run of ten: the i-th resource of a plan is MIX[i % 10](i).
MIX: tuple[Callable[[int], ResourceChange], ...] = (
    _group_created,
    _group_updated,
    _room_updated,
    _job_restarted,
    _job_started,
    _job_stopped,
    _job_doubtful,
    _group_deleted,
    _job_refreshed,
    _group_created,
)


def pull_request_plan() -> Plan:
    """Seven resources, as a pull request's plan has them: a group and a job created, a group and a room
    updated, a job restarted, one whose secrets could not be compared, a group deleted; and a note."""
    faq = Address(GROUP, "faq")
    reply = FieldChange("interaction_rules[keyword-1].trigger.reply_texts[1]", "Tap.", "Tap below.")
    changes = (
        ResourceChange(
            Address(GROUP, "welcome"),
            (Action.CREATE,),
            Reason(ReasonCode.ABSENT),
            after={"group_name": "welcome", "interaction_rules": rules(1)},
        ),
        ResourceChange(
            faq, (Action.UPDATE,), Reason(ReasonCode.FIELDS_DIFFER), remote_id="grp-2", changes=(reply,)
        ),
        ResourceChange(
            Address(GROUP, "old-promo"),
            (Action.DELETE,),
            Reason(ReasonCode.PRUNED),
            remote_id="grp-3",
            before={"group_name": "old-promo", "interaction_rules": {}},
        ),
        ResourceChange(
            Address(ROOM, "flagship-store"),
            (Action.UPDATE,),
            Reason(ReasonCode.FIELDS_DIFFER, caused_by=(faq,)),
            remote_id="room-1",
            changes=(reply,),
        ),
        ResourceChange(
            Address(JOB, "store-landscape"),
            RESTART,
            Reason(ReasonCode.RESTART_REQUIRED, forced_by=("video_config.bitrate",)),
            remote_id="job-7",
            room_id="room-1",
            interrupts_stream=True,
            changes=(FieldChange("video_config.bitrate", 4000, 6000, forces_restart=True),),
        ),
        ResourceChange(
            Address(JOB, "evening-portrait"),
            (Action.START,),
            Reason(ReasonCode.NOT_RUNNING),
            room_id="room-2",
            after=job_config(2),
        ),
        ResourceChange(
            Address(JOB, "rehearsal"),
            (Action.NOOP,),
            Reason(ReasonCode.RUNNING, remote_state="PROCESSING"),
            remote_id="job-9",
            room_id="room-3",
            unverifiable=("stream_keys",),
        ),
    )
    note = "SmartLiveJob/rehearsal: its secrets are not available here; they are not compared"
    return Plan(changes, "sha256:seven", (note,), stack="shop-a")


def scale_plan(resources: int, *, offset: int = 0, stack: str = "shop-a") -> Plan:
    """`resources` changes (resource i is MIX[(i + offset) % 10]), with a note for one job in fifty."""
    changes = tuple(MIX[(i + offset) % len(MIX)](i) for i in range(resources))
    notes = tuple(
        f"{c.address}: its secrets are not available here (environment variable STREAM_KEY_{i} is not "
        f"set); they are not compared"
        for i, c in enumerate(changes)
        if c.kind == JOB and i % 50 == 6
    )
    return Plan(changes, "sha256:scale", notes, stack=stack)
