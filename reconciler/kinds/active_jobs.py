"""The project's active jobs, read once per plan and shared by the kinds that need them (the jobs
themselves; the rooms, whose changes reach their running jobs)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from reconciler.api import models
from reconciler.engine.kind import SharedReads, gather
from reconciler.errors import AuthError, RemoteError

if TYPE_CHECKING:  # the HTTP stack loads only where a plan or apply runs, not for validate
    from reconciler.cloud.api import MetaStudioApi

#: The key of the project-wide active job list among a plan's shared reads.
ACTIVE_JOBS: Final = "ListSmartLiveJobs(active)"
#: Statuses meaning "this operation is not offered here": fall back to per-room job lists.
_UNAVAILABLE_STATUSES: Final = frozenset({403, 404, 405, 501})


@dataclass(frozen=True)
class ActiveJobs:
    jobs: tuple[models.SmartLiveJob, ...]
    #: How the jobs were read, for the curious: "project" or "rooms".
    source: str = "project"


async def read_active_jobs(
    api: MetaStudioApi, rooms: Iterable[str], shared: SharedReads | None = None
) -> ActiveJobs:
    """One paged project-wide list filtered to the active states (shared with the plan's other kinds);
    where that list is not offered, the lists of `rooms`. One entry per job id."""
    try:
        jobs = await (shared or SharedReads()).get(ACTIVE_JOBS, api.list_project_jobs)
        source = "project"
    except AuthError:
        raise
    except RemoteError as exc:
        if exc.status not in _UNAVAILABLE_STATUSES:
            raise
        per_room = await gather(api.list_room_jobs(room) for room in sorted(set(rooms)) if room)
        jobs = [job for room_jobs in per_room for job in room_jobs]
        source = "rooms"
    # The filter is asked of the server; checking again keeps a lenient server from confusing the plan.
    seen: dict[str, models.SmartLiveJob] = {}
    for job in jobs:
        if job.state in models.ACTIVE_JOB_STATES and job.job_id:
            seen[job.job_id] = job  # pages read concurrently may overlap: one entry per id
    return ActiveJobs(tuple(seen.values()), source)
