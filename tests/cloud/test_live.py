"""The live-state reader (every kind's read, as a plan session runs them): the project-wide active-job list,
and the per-room fallback where the service does not offer it; against the emulator in-process."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.api import models
from reconciler.cloud.api import MetaStudioApi
from reconciler.errors import AuthError
from reconciler.kinds.live_job import NAME as JOB_KIND
from reconciler.kinds.live_job import LiveJobManifest, LiveJobs, LiveJobSpec
from reconciler.manifest import LoadResult, Manifest, SourceLocation
from reconciler.runs.session import DesiredBuilder, read_live
from tests.cloud.conftest import client, error, run, stats


async def read_jobs(api: MetaStudioApi, rooms: Iterable[str]) -> LiveJobs:
    """The jobs kind's view of the live state, read as a plan session reads it (every kind at once) for
    manifests that declare one job in each of `rooms` and no group."""
    jobs: list[Manifest[Any]] = [
        LiveJobManifest(JOB_KIND, f"job-{room}", LiveJobSpec(room_id=room), SourceLocation("jobs.yaml", i, 1))
        for i, room in enumerate(rooms)
    ]
    builder = DesiredBuilder(LoadResult(resources=jobs), hmac_key=None, environ={})
    live = await read_live(api, builder, {})
    view: LiveJobs = live[JOB_KIND]
    return view


class WithoutProjectJobs(httpx.AsyncBaseTransport):
    """The emulator, except that the project-wide job list answers as a gateway without that API would."""

    def __init__(self, app: Starlette, status: int = 404, code: str = "APIGW.0101") -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.status, self.code = status, code

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/smart-live-jobs") and "/smart-live-rooms/" not in request.url.path:
            return error(self.status, self.code, "The API does not exist or has not been published")
        return await self.inner.handle_async_request(request)


def rooms_with_jobs(app: Starlette) -> list[str]:
    backend = app.state.emulator.backend
    rooms = []
    for index in range(3):
        room = f"room-{index}"
        backend.create_smart_live_room(models.CreateSmartLiveRoomReq(room_name=room), room_id=room)
        rooms.append(room)
    for room in rooms[:2]:
        backend.start_smart_live(room, models.StartSmartLiveReq(), "http://emulator.test")
    stopped = backend.start_smart_live(rooms[2], models.StartSmartLiveReq(), "http://emulator.test")
    backend.stop_smart_live(rooms[2], stopped.job_id or "")
    return rooms


def test_active_jobs_come_from_one_project_wide_list(app: Starlette) -> None:
    rooms = rooms_with_jobs(app)

    async def go() -> tuple[int, str]:
        async with client(httpx.ASGITransport(app=app)) as http:
            snapshot = await read_jobs(MetaStudioApi(http), rooms)
            return len(snapshot.jobs), snapshot.source

    assert run(go()) == (2, "project")
    # No room is declared or managed: the room kind reads nothing. The active jobs are one project-wide
    # list (shared with the room kind when it needs them). room-2 runs no job, so the job declared there
    # would start: its room is shown once, to know it exists (a room_id naming no room is a plan error).
    assert stats(app) == {
        "GET /v1/{project_id}/smart-live-interaction-rule-groups": 1,
        "GET /v1/{project_id}/smart-live-jobs": 1,
        "GET /v1/{project_id}/smart-live-rooms/{room_id}": 1,
    }


@pytest.mark.parametrize("status", [404, 405, 501])
def test_without_the_project_wide_list_each_room_is_listed(app: Starlette, status: int) -> None:
    rooms = rooms_with_jobs(app)

    async def go() -> tuple[list[str], str]:
        async with client(WithoutProjectJobs(app, status)) as http:
            snapshot = await read_jobs(MetaStudioApi(http), rooms)
            return sorted(j.room_id for j in snapshot.jobs), snapshot.source

    assert run(go()) == (["room-0", "room-1"], "rooms")
    assert stats(app)["GET /v1/{project_id}/smart-live-rooms/{room_id}/smart-live-jobs"] == 3


def test_an_auth_failure_on_the_project_wide_list_is_not_taken_for_a_missing_api(app: Starlette) -> None:
    rooms = rooms_with_jobs(app)

    async def go() -> None:
        async with client(WithoutProjectJobs(app, 403, "APIGW.0302")) as http:
            await read_jobs(MetaStudioApi(http), rooms)

    with pytest.raises(AuthError):
        run(go())
