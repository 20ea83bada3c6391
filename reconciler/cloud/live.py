"""Read the live state a plan needs, in as few requests as the API allows, and normalize it.

Rule groups: the paged list (it has no rules), then a show for each group the plan needs, all at once
under the client's bound; a group the state store saw at the same update_time, with an unchanged
declaration, is not shown again. Jobs: one paged project-wide list filtered to the active states; per-room
lists only where the project-wide list is unavailable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reconciler.api import models
from reconciler.cloud.api import MetaStudioApi
from reconciler.engine import normalize
from reconciler.engine.planner import LiveGroup, LiveJob
from reconciler.errors import AuthError, RemoteError

#: Statuses meaning "this operation is not offered here": fall back to per-room job lists.
_UNAVAILABLE_STATUSES = frozenset({403, 404, 405, 501})


@dataclass(frozen=True)
class LiveSnapshot:
    groups: tuple[LiveGroup, ...]
    jobs: tuple[LiveJob, ...]
    #: How the jobs were read, for the curious: "project" or "rooms".
    jobs_source: str = "project"


def live_job(job: models.SmartLiveJob) -> LiveJob:
    observed = normalize.observed_job_fields(job.model_dump(mode="json", exclude_none=True))
    return LiveJob(
        job_id=job.job_id or "", room_id=job.room_id or "", state=job.state or "", observed=observed
    )


def live_group(
    detail: models.ShowInteractionRuleGroupResponse, summary: models.InteractionRuleGroupSummary | None = None
) -> LiveGroup:
    """A shown group, canonical. The list entry fills what the show left out (the name, the version)."""
    canonical = normalize.normalize_group(detail.model_dump(mode="json", exclude_none=True))
    name = detail.group_name or (summary.group_name if summary else None) or ""
    if canonical["group_name"] is None:
        canonical["group_name"] = name
    update_time = detail.update_time or (summary.update_time if summary else None) or ""
    group_id = detail.group_id or (summary.group_id if summary else None) or ""
    return LiveGroup(group_id, name, update_time, canonical)


async def read_groups(
    api: MetaStudioApi,
    wanted: Callable[[models.InteractionRuleGroupSummary], bool],
    unchanged: Callable[[models.InteractionRuleGroupSummary], bool] = lambda _s: False,
) -> tuple[LiveGroup, ...]:
    summaries = [s for s in await api.list_rule_groups() if wanted(s)]

    async def one(summary: models.InteractionRuleGroupSummary) -> LiveGroup:
        group_id = summary.group_id or ""
        if unchanged(summary):
            return LiveGroup(group_id, summary.group_name or "", summary.update_time or "", canonical=None)
        return live_group(await api.show_rule_group(group_id), summary)

    return tuple(await asyncio.gather(*(one(s) for s in summaries)))


async def read_active_jobs(api: MetaStudioApi, rooms: Iterable[str]) -> tuple[tuple[LiveJob, ...], str]:
    try:
        jobs = await api.list_project_jobs()
        source = "project"
    except AuthError:
        raise
    except RemoteError as exc:
        if exc.status not in _UNAVAILABLE_STATUSES:
            raise
        per_room = await asyncio.gather(*(api.list_room_jobs(room) for room in sorted(set(rooms))))
        jobs = [job for room_jobs in per_room for job in room_jobs]
        source = "rooms"
    # The filter is asked of the server; checking again keeps a lenient server from confusing the plan.
    seen: dict[str, LiveJob] = {}
    for job in jobs:
        if job.state in models.ACTIVE_JOB_STATES and job.job_id:
            seen[job.job_id] = live_job(job)  # pages read concurrently may overlap: one entry per id
    return tuple(seen.values()), source


async def read_live(
    api: MetaStudioApi,
    *,
    group_wanted: Callable[[models.InteractionRuleGroupSummary], bool],
    group_unchanged: Callable[[models.InteractionRuleGroupSummary], bool] = lambda _s: False,
    rooms: Iterable[str] = (),
) -> LiveSnapshot:
    groups, (jobs, source) = await asyncio.gather(
        read_groups(api, group_wanted, group_unchanged), read_active_jobs(api, rooms)
    )
    return LiveSnapshot(groups, jobs, source)
