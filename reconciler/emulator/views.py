"""What the emulator answers about stored rooms and jobs: JSON-shaped dicts built from rows, secrets masked.

Secrets (stream keys, callback keys) are never echoed: a client must not come to depend on reading one back.
`/_emulator/jobs/{job_id}` is the one place they are shown in clear, for tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from reconciler.api import models as m
from reconciler.emulator.clock import rfc3339
from reconciler.emulator.snapshot import script_version
from reconciler.emulator.storage import JobConfigRow, JobRow, RoomRow

#: What answers show in place of a secret.
MASK: Final = "******"
#: The emulator's rooms are always usable and confirmed: nothing here blocks or reviews a room.
ROOM_STATE: Final = "ENABLE"
CONFIRM_STATE: Final = "CONFIRMED"
#: The room fields a job view (SmartLiveJob) takes from the job's configuration.
JOB_VIEW_FIELDS: Final = (
    "room_name",
    "live_event_callback_config",
    "rtc_callback_config",
    "co_streamer_config",
    "relation_live_platform_info",
)


def _documented(model: str) -> dict[str, Any]:
    """DOCUMENTED_DEFAULTS of one model as JSON values (tuples there stand for arrays)."""
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in m.DOCUMENTED_DEFAULTS[model].items()
    }


def mask_callback(config: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A job's live_event_callback_config as a job view shows it (LiveEventCallBackConfig: the room's extra
    switch left out), key masked."""
    if config is None:
        return None
    shown = {k: v for k, v in config.items() if k != "is_inheritance_platform_callback"}
    if shown.get("key"):
        shown["key"] = MASK
    return shown


def mask_room(body: Mapping[str, Any]) -> dict[str, Any]:
    """A room-shaped body with its secrets masked: each stream key, the callback key."""
    shown = dict(body)
    if shown.get("stream_keys"):
        shown["stream_keys"] = [MASK for _ in shown["stream_keys"]]
    callback = shown.get("live_event_callback_config")
    if callback and callback.get("key"):
        shown["live_event_callback_config"] = {**callback, "key": MASK}
    return shown


def view_mode(body: Mapping[str, Any]) -> str | None:
    """view_mode as sent, else derived from video_config's resolution ("通过video_config中分辨率判断")."""
    if body.get("view_mode"):
        return str(body["view_mode"])
    video = body.get("video_config")
    if not video:
        return None
    return "LANDSCAPE" if video.get("width", 0) > video.get("height", 0) else "VERTICAL"


def room_detail(row: RoomRow) -> dict[str, Any]:
    """ShowSmartLiveRoom's (and UpdateSmartLiveRoom's) answer: the body plus the server fields."""
    body = mask_room(json.loads(row.body))
    return {
        **body,
        "view_mode": view_mode(body),
        "room_id": row.room_id,
        "create_time": rfc3339(row.create_ms),
        "update_time": rfc3339(row.update_ms),
        "room_state": ROOM_STATE,
        "confirm_state": CONFIRM_STATE,
        "script_version": script_version(row.update_ms),
    }


def _model_infos(body: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The digital humans of a room's scene scripts, each once, with the room's backup models."""
    assets = dict.fromkeys(
        script["model_asset_id"] for script in body.get("scene_scripts") or [] if script.get("model_asset_id")
    )
    backups = body.get("backup_model_asset_ids")
    return [{"model_asset_id": asset, "backup_model_asset_ids": backups} for asset in assets] or None


def room_entry(row: RoomRow, project_id: str, last_job: Mapping[str, Any] | None) -> dict[str, Any]:
    """A ListSmartLiveRooms entry (SmartLiveRoomBaseInfo); `last_job` is the room's last job view."""
    body = json.loads(row.body)
    entry: dict[str, Any] = {
        "room_id": row.room_id,
        "project_id": project_id,
        "room_name": row.room_name,
        "room_type": row.room_type,
        "room_state": ROOM_STATE,
        "view_mode": view_mode(body) or _documented("SmartLiveRoomBaseInfo")["view_mode"],
        "shared_config": body.get("shared_config"),
        "room_description": body.get("room_description"),
        "model_infos": _model_infos(body),
        "create_time": rfc3339(row.create_ms),
        "update_time": rfc3339(row.update_ms),
        "priv_data": body.get("priv_data"),
        "confirm_state": CONFIRM_STATE,
    }
    if last_job is not None:
        entry.update(
            last_job_start_time=last_job.get("start_time"),
            last_job_end_time=last_job.get("end_time"),
            last_job_status=last_job["state"],
        )
    return entry


def job_config_detail(job: JobRow, config: JobConfigRow, body: Mapping[str, Any]) -> dict[str, Any]:
    """GET_LIVE_JOB_CONFIG_INFO's answer: the job's effective configuration shaped as ShowSmartLiveRoom's."""
    shown = mask_room(body)
    return {
        **shown,
        "view_mode": view_mode(shown),
        "room_id": job.room_id,
        "create_time": rfc3339(config.room_create_ms),
        "update_time": rfc3339(config.update_ms),
        "room_state": ROOM_STATE,
        "confirm_state": CONFIRM_STATE,
        "script_version": config.script_version,
    }


def job_view(job: JobRow, now: int, config: Mapping[str, Any]) -> dict[str, Any]:
    """A SmartLiveJob (show and lists). `config` holds the JOB_VIEW_FIELDS of the job's configuration."""
    end = job.end_ms if job.end_ms is not None else now
    started = job.processing_ms <= end
    running_ms = max(0, end - job.processing_ms) if started else 0
    view: dict[str, Any] = {
        "job_id": job.job_id,
        "room_id": job.room_id,
        # The room's name now; its name at start when the room has been deleted since.
        "room_name": job.room_name or config.get("room_name"),
        "state": job.state(now),
        "duration": running_ms / 1000,
        "start_time": rfc3339(job.processing_ms) if started else None,
        "end_time": rfc3339(job.end_ms) if job.end_ms is not None else None,
        "create_time": rfc3339(job.create_ms),
        "lastupdate_time": rfc3339(job.last_update_ms(now)),
        "rtc_room_info": json.loads(job.rtc_room_info),
        "live_event_report_url": job.report_url,
        "live_event_callback_config": mask_callback(config.get("live_event_callback_config")),
        # "未携带配置则默认订阅LIVE_PROGRESS" (seed 003 table 8).
        "rtc_callback_config": config.get("rtc_callback_config") or _documented("RTCLiveEventCallBackConfig"),
        "co_streamer_config": config.get("co_streamer_config"),
        # The RTMP push runs exactly while the job is PROCESSING.
        "stream_duration": running_ms / 1000,
        "relation_live_platform_info": config.get("relation_live_platform_info") or None,
    }
    return {k: v for k, v in view.items() if v is not None}
