"""Reading a running job's configuration back (GET_LIVE_JOB_CONFIG_INFO): a refusal is kept with the job,
to be shown as "? may change" with the service's answer; a credential problem still stops the plan."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from reconciler.api import models
from reconciler.errors import AuthError, RemoteError
from reconciler.kinds.live_job import LiveJob, LiveJobs, read_back_configs


class Api:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.asked: list[str] = []

    async def job_config(self, room_id: str, job_id: str) -> models.SmartLiveRoomInfo:
        self.asked.append(job_id)
        if isinstance(self.answer, Exception):
            raise self.answer
        return models.SmartLiveRoomInfo.model_validate(self.answer)


LIVE = LiveJobs((LiveJob("job-1", "room-1", "PROCESSING"), LiveJob("job-2", "room-2", "PROCESSING")))


def test_only_jobs_in_the_rooms_asked_for_are_read_back_with_defaults_filled() -> None:
    api = Api(
        {"room_name": "r", "video_config": {"codec": "H264", "bitrate": 7000, "width": 1920, "height": 1080}}
    )
    jobs = asyncio.run(read_back_configs(api, LIVE, {"room-2"}))  # type: ignore[arg-type]
    assert api.asked == ["job-2"]
    assert jobs[0].config is None
    config = jobs[1].config
    assert config is not None
    assert config["video_config"]["bitrate"] == 7000 and config["video_config"]["frame_rate"] == "25"
    assert config["view_mode"] == "LANDSCAPE" and config["play_policy"]["play_mode"] == "TEXT"


def test_a_refusal_is_kept_with_the_job() -> None:
    refused = RemoteError(400, "MSS.00000003", "command not supported", "ExecuteSmartLiveCommand")
    jobs = asyncio.run(read_back_configs(Api(refused), LIVE, {"room-1"}))  # type: ignore[arg-type]
    assert jobs[0].config is None and jobs[0].config_error.startswith("GET_LIVE_JOB_CONFIG_INFO: ")
    assert "MSS.00000003" in jobs[0].config_error


def test_bad_credentials_stop_the_plan() -> None:
    with pytest.raises(AuthError):
        asyncio.run(read_back_configs(Api(AuthError(401, "APIGW.0301", "bad AK/SK")), LIVE, {"room-1"}))  # type: ignore[arg-type]
