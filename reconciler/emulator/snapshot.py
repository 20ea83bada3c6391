"""A job's configuration: its room as it was at StartSmartLive, merged with the start body, then changed by
commands (docs/emulator-rooms.md).

- **Snapshot at start.** The room's body (as it was sent, secrets included) is copied, and each field the start
  body shares with a room (`START_OVERRIDES`: video_config, play_policy, output_urls, ...) replaces the room's
  field whole when the start body has it. Later updates of the room, or of a rule group whose rules the room
  once copied, do not reach the job.
- **Commands** rewrite the snapshot: REWRITE_INTERACTION_RULES its `interaction_rules`, REWRITE_PLAY_SCRIPT
  its `scene_scripts`; REFRESH_OUTPUT_URL rewrites `jobs.outputs`, which the snapshot leaves out.
- **Older databases.** A job started by an emulator that kept no snapshot gets one derived from its room as it
  is now and the rules that emulator resolved (`job_rules`), as close as can be known.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from reconciler.api import models as m
from reconciler.emulator.storage import JobConfigRow, JobRow, RoomRow, Tx

#: Fields of a StartSmartLive body that are room fields too: the start body's value wins, field by field.
START_OVERRIDES: Final = tuple(
    name for name in m.StartSmartLiveReq.model_fields if name in m.CreateSmartLiveRoomReq.model_fields
)
#: Kept in jobs.outputs (REFRESH_OUTPUT_URL changes them), not in the snapshot.
OUTPUT_FIELDS: Final = ("output_urls", "stream_keys")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def merge_start(room_body: Mapping[str, Any], start: Mapping[str, Any]) -> dict[str, Any]:
    """The room's fields with the start body's overrides: whole fields, not merged inside (a start body's
    video_config is the job's video_config, not a patch of the room's)."""
    merged = dict(room_body)
    for name in START_OVERRIDES:
        if name in start:
            merged[name] = start[name]
    return merged


def outputs_of(config: Mapping[str, Any]) -> dict[str, Any]:
    """jobs.outputs for a new job: the effective output_urls and stream_keys."""
    return {name: list(config.get(name) or []) for name in OUTPUT_FIELDS}


def script_version(update_ms: int) -> str:
    """ShowSmartLiveRoom.script_version: "使用时间戳", the room's update time in milliseconds."""
    return str(update_ms)


def next_stamp(previous_ms: int, now_ms: int) -> int:
    """A timestamp after `previous_ms`: two updates within one millisecond still get two versions."""
    return max(now_ms, previous_ms + 1)


def new_config(job_id: str, room: RoomRow, config: Mapping[str, Any], problems: list[str]) -> JobConfigRow:
    stored = {name: value for name, value in config.items() if name not in OUTPUT_FIELDS}
    return JobConfigRow(
        job_id=job_id,
        config=dumps(stored),
        problems=json.dumps(problems, ensure_ascii=False),
        rules_since=0,
        room_create_ms=room.create_ms,
        update_ms=room.update_ms,
        script_version=script_version(room.update_ms),
    )


def config_of(tx: Tx, job: JobRow) -> JobConfigRow:
    """The job's configuration row; for a job of an older emulator, one derived as the module says."""
    stored = tx.job_config(job.job_id)
    if stored is not None:
        return stored
    room = tx.room(job.room_id)
    body: dict[str, Any] = json.loads(room.body) if room is not None else {"room_name": job.room_name}
    config = merge_start(body, json.loads(job.request))
    legacy = tx.job_rules(job.job_id)
    problems: list[str] = []
    if legacy is not None:
        # What that emulator resolved at start is what the job has been running.
        config["interaction_rules"] = json.loads(legacy[0])
        problems = json.loads(legacy[1])
    stamp = room.update_ms if room is not None else job.create_ms
    return JobConfigRow(
        job_id=job.job_id,
        # Outputs stay in: such a job's jobs.outputs holds only what its start body named (see body_of).
        config=dumps(config),
        problems=json.dumps(problems, ensure_ascii=False),
        rules_since=0,
        room_create_ms=room.create_ms if room is not None else job.create_ms,
        update_ms=stamp,
        script_version=script_version(stamp),
    )


def body_of(config: JobConfigRow, outputs: str) -> dict[str, Any]:
    """The effective room-shaped configuration, outputs included (secrets in clear)."""
    body: dict[str, Any] = json.loads(config.config)
    for name, value in json.loads(outputs).items():
        if value:
            body[name] = value
    return body


def rules_of(config: JobConfigRow) -> list[dict[str, Any]]:
    rules = json.loads(config.config).get("interaction_rules")
    return list(rules) if rules else []
