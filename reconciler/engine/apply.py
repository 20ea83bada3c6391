"""Carry out a plan: in order, concurrently where independent, safely where the API gives no help.

Order: group creates and updates, then jobs (per room: stops before starts; rooms in parallel), then
group deletes. Every success is written to the state store before the next step that depends on it,
so a crash loses nothing already done.

The API has no idempotency token. A create or start whose answer was lost (OutcomeUnknownError) may
have happened, so before trying again the executor looks for it (groups by group_name, jobs among the
room's active jobs) and adopts what it finds. Updates (a whole-group PUT) are idempotent and simply
retried; a stop or delete that finds its object already gone counts as done.

A WAITING or PROCESSING job is never stopped or restarted unless the run allows it (--allow-restart)
or its manifest does (annotation smartlive.io/allow-restart: "true"); otherwise the action is skipped
loudly and the run fails after doing the rest.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.api import models
from reconciler.cloud.api import MetaStudioApi
from reconciler.engine.plan import GROUP_KIND, JOB_KIND, Action, Plan, ResourceChange
from reconciler.engine.planner import DesiredGroup, DesiredJob, ManagedRecord
from reconciler.errors import OutcomeUnknownError, RemoteError, UserError

#: "Job state does not allow this operation": stopping a job that has already ended.
JOB_STATE_CONFLICT = "MSS.20020001"
#: How many times a write whose outcome was unknown is looked up and tried again.
UNKNOWN_OUTCOME_ATTEMPTS = 4


class RecordSink(Protocol):
    """The part of the state store apply writes to."""

    def put(self, target: str, record: ManagedRecord, applied_by: str) -> None: ...

    def remove(self, target: str, address: str) -> bool: ...


@dataclass(frozen=True)
class ActionResult:
    address: str
    verb: str
    ok: bool
    message: str
    skipped: bool = False
    remote_id: str = ""


@dataclass(frozen=True)
class ApplyOptions:
    allow_restart: bool = False
    #: StartSmartLive requests per second (MetaStudio: 4/s per tenant in cn-north-4, 3/s in cn-east-3).
    start_rate: float = 4.0
    applied_by: str = ""


@dataclass(frozen=True)
class JobInputs:
    desired: DesiredJob
    #: The request with secrets resolved; called only when the job is (re)started or refreshed.
    build_request: Callable[[], models.StartSmartLiveReq]
    allow_restart: bool = False


@dataclass
class ApplyResult:
    results: list[ActionResult] = field(default_factory=list)

    @property
    def failed(self) -> list[ActionResult]:
        return [r for r in self.results if not r.ok]

    def count(self, *verbs: str) -> int:
        return sum(1 for r in self.results if r.ok and r.verb in verbs)

    def summary_line(self) -> str:
        created = self.count("created", "started")
        updated = self.count("updated", "refreshed")
        restarted = self.count("restarted")
        destroyed = self.count("stopped", "deleted")
        head = "Apply complete" if not self.failed else "Apply finished with errors"
        return f"{head}: {created} created, {updated} updated, {restarted} restarted, {destroyed} stopped or deleted."


class StartLimiter:
    """Spaces StartSmartLive calls to the tenant's rate, so the service's limit is never tripped."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._clock = clock
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = self._clock()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            await asyncio.sleep(delay)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, RemoteError):
        return f"{exc.code or 'HTTP ' + str(exc.status)}: {exc.error_msg}"
    return str(exc)


class Executor:
    def __init__(
        self,
        api: MetaStudioApi,
        store: RecordSink | None,
        target_key: str,
        options: ApplyOptions,
        *,
        fingerprint: Callable[[Any], str] | None = None,
        on_result: Callable[[ActionResult], None] = lambda _r: None,
    ) -> None:
        self.api = api
        self.store = store
        self.target = target_key
        self.options = options
        self.fingerprint = fingerprint
        self.on_result = on_result
        self.limiter = StartLimiter(options.start_rate)
        self.result = ApplyResult()
        #: address -> group_id of every group written in this run (their update_time is read after).
        self.groups_written: dict[str, str] = {}

    # Bookkeeping --------------------------------------------------------------------------------

    def _done(self, result: ActionResult) -> None:
        self.result.results.append(result)
        self.on_result(result)

    def _record(self, record: ManagedRecord) -> None:
        if self.store is not None:
            self.store.put(self.target, record, self.options.applied_by)

    async def _guard(self, change: ResourceChange, verb: str, work: Callable[[], Awaitable[str]]) -> bool:
        """Run one action; report it; never let one failure stop independent actions."""
        try:
            message = await work()
        except UserError as exc:
            self._done(ActionResult(change.address, verb, False, _error_text(exc)))
            return False
        self._done(ActionResult(change.address, verb, True, message, remote_id=change.remote_id or ""))
        return True

    # Groups -------------------------------------------------------------------------------------

    def _group_body(self, desired: DesiredGroup) -> models.InteractionRuleGroup:
        rules = list(desired.canonical["interaction_rules"].values())
        return models.InteractionRuleGroup.model_validate(
            {"group_name": desired.name, "interaction_rules": rules}
        )

    def _group_record(self, desired: DesiredGroup, group_id: str, update_time: str = "") -> ManagedRecord:
        self.groups_written[f"{GROUP_KIND}/{desired.name}"] = group_id
        return ManagedRecord(
            f"{GROUP_KIND}/{desired.name}",
            GROUP_KIND,
            group_id,
            fingerprint=desired.fingerprint,
            update_time=update_time,
        )

    async def _find_group(self, name: str) -> str | None:
        found = [g for g in await self.api.list_rule_groups(group_name=name) if g.group_name == name]
        return found[0].group_id if found else None

    async def create_group(self, change: ResourceChange, desired: DesiredGroup) -> str:
        body = self._group_body(desired)
        for _ in range(UNKNOWN_OUTCOME_ATTEMPTS):
            try:
                group_id = await self.api.create_rule_group(body)
                self._record(self._group_record(desired, group_id))
                return f"created (group_id {group_id})"
            except OutcomeUnknownError:
                adopted = await self._find_group(desired.name)
                if adopted:
                    # Our own lost create made it: the same body, so adopting it is exact.
                    self._record(self._group_record(desired, adopted))
                    return f"created (group_id {adopted}, adopted after a lost response)"
        raise OutcomeUnknownError(f"{change.address}: create kept failing without an answer")

    async def update_group(self, change: ResourceChange, desired: DesiredGroup) -> str:
        group_id = change.remote_id or ""
        body = self._group_body(desired)
        for _ in range(UNKNOWN_OUTCOME_ATTEMPTS):
            try:
                await self.api.update_rule_group(group_id, body)
                break
            except OutcomeUnknownError:
                continue  # a whole-group PUT is idempotent: sending it again is safe
        else:
            raise OutcomeUnknownError(f"{change.address}: update kept failing without an answer")
        self._record(self._group_record(desired, group_id))
        return f"updated in place (group_id {group_id}, {len(change.changes)} field(s))"

    async def delete_group(self, change: ResourceChange) -> str:
        group_id = change.remote_id or ""
        for _ in range(UNKNOWN_OUTCOME_ATTEMPTS):
            try:
                await self.api.delete_rule_group(group_id)
                break
            except OutcomeUnknownError:
                continue
            except RemoteError as exc:
                if exc.status in (400, 404) and group_id not in {
                    g.group_id for g in await self.api.list_rule_groups()
                }:
                    break  # already gone: the goal is reached
                raise
        if self.store is not None:
            self.store.remove(self.target, change.address)
        return f"deleted (group_id {group_id})"

    async def refresh_update_times(self, groups: Mapping[str, DesiredGroup]) -> None:
        """One paged list records every written group's update_time (for the next plan's read cache)
        instead of one show per group."""
        if self.store is None or not self.groups_written:
            return
        by_id = {g.group_id: g for g in await self.api.list_rule_groups()}
        for address, group_id in list(self.groups_written.items()):
            summary = by_id.get(group_id)
            if summary is not None:
                self._record(self._group_record(groups[address], group_id, summary.update_time or ""))

    # Jobs ---------------------------------------------------------------------------------------

    def _job_record(self, change: ResourceChange, inputs: JobInputs, job_id: str) -> ManagedRecord:
        desired = inputs.desired
        return ManagedRecord(
            change.address,
            JOB_KIND,
            job_id,
            desired.room_id,
            fingerprint=self.fingerprint(desired.canonical) if self.fingerprint else "",
            field_fingerprints=dict(desired.blind_fingerprints or {}),
        )

    async def _active_jobs(self, room_id: str) -> list[models.SmartLiveJob]:
        return [j for j in await self.api.list_room_jobs(room_id) if j.state in models.ACTIVE_JOB_STATES]

    async def stop_job(self, room_id: str, job_id: str) -> None:
        for _ in range(UNKNOWN_OUTCOME_ATTEMPTS):
            try:
                await self.api.stop_job(room_id, job_id)
                return
            except OutcomeUnknownError:
                continue
            except RemoteError as exc:
                if exc.code == JOB_STATE_CONFLICT:
                    return  # it has already ended (perhaps by our own lost stop): the goal is reached
                raise
        raise OutcomeUnknownError(f"stop of job {job_id} kept failing without an answer")

    async def start_job(self, change: ResourceChange, inputs: JobInputs) -> str:
        room_id = inputs.desired.room_id
        request = inputs.build_request()
        before = {j.job_id for j in await self._active_jobs(room_id)} if change.is_restart else set()
        for _ in range(UNKNOWN_OUTCOME_ATTEMPTS):
            await self.limiter.wait()
            try:
                response = await self.api.start_job(room_id, request)
                job_id = response.job_id or ""
                self._record(self._job_record(change, inputs, job_id))
                return job_id
            except OutcomeUnknownError:
                appeared = [j for j in await self._active_jobs(room_id) if j.job_id not in before]
                if appeared:
                    job_id = appeared[0].job_id or ""
                    self._record(self._job_record(change, inputs, job_id))
                    return job_id
        raise OutcomeUnknownError(f"{change.address}: start kept failing without an answer")

    async def refresh_output(self, change: ResourceChange, inputs: JobInputs) -> str:
        request = inputs.build_request()
        params = {"output_urls": request.output_urls or [], "stream_keys": request.stream_keys or []}
        job_id = change.remote_id or ""
        for _ in range(UNKNOWN_OUTCOME_ATTEMPTS):
            try:
                await self.api.execute_command(inputs.desired.room_id, job_id, "REFRESH_OUTPUT_URL", params)
                break
            except OutcomeUnknownError:
                continue  # setting the same output again is idempotent
        else:
            raise OutcomeUnknownError(f"{change.address}: refresh kept failing without an answer")
        self._record(self._job_record(change, inputs, job_id))
        return f"output refreshed without restart (job {job_id})"

    def _may_interrupt(self, inputs: JobInputs | None) -> bool:
        return self.options.allow_restart or (inputs is not None and inputs.allow_restart)

    async def run_job(self, change: ResourceChange, inputs: JobInputs | None) -> None:
        if change.interrupts_stream and not self._may_interrupt(inputs):
            verb = "restart" if change.is_restart else "stop"
            self._done(
                ActionResult(
                    change.address,
                    verb,
                    False,
                    f"SKIPPED: {verb} of live job {change.remote_id} would interrupt the broadcast; "
                    're-run with --allow-restart or annotate the job smartlive.io/allow-restart: "true"',
                    skipped=True,
                )
            )
            return
        room_id = change.room_id or (inputs.desired.room_id if inputs else "")
        if change.is_restart and inputs is not None:

            async def restart() -> str:
                await self.stop_job(room_id, change.remote_id or "")
                job_id = await self.start_job(change, inputs)
                return f"restarted: job {change.remote_id} stopped, job {job_id} started"

            await self._guard(change, "restarted", restart)
        elif change.actions == (Action.STOP,):

            async def stop() -> str:
                await self.stop_job(room_id, change.remote_id or "")
                if self.store is not None and inputs is None:
                    self.store.remove(self.target, change.address)  # pruned: no longer managed
                return f"stopped (job {change.remote_id})"

            await self._guard(change, "stopped", stop)
        elif change.actions == (Action.START,) and inputs is not None:

            async def start() -> str:
                return f"started (job {await self.start_job(change, inputs)})"

            await self._guard(change, "started", start)
        elif change.actions == (Action.REFRESH_OUTPUT,) and inputs is not None:
            await self._guard(change, "refreshed", lambda: self.refresh_output(change, inputs))

    # The whole plan -----------------------------------------------------------------------------

    async def execute(
        self, plan: Plan, groups: Mapping[str, DesiredGroup], jobs: Mapping[str, JobInputs]
    ) -> ApplyResult:
        actionable = plan.actionable
        group_writes = [
            c for c in actionable if c.kind == GROUP_KIND and c.actions[0] in (Action.CREATE, Action.UPDATE)
        ]

        async def write_group(change: ResourceChange) -> None:
            desired = groups[change.address]
            if change.actions == (Action.CREATE,):
                await self._guard(change, "created", lambda: self.create_group(change, desired))
            else:
                await self._guard(change, "updated", lambda: self.update_group(change, desired))

        await asyncio.gather(*(write_group(c) for c in group_writes))
        await self.refresh_update_times(groups)

        by_room: dict[str, list[ResourceChange]] = defaultdict(list)
        for change in actionable:
            if change.kind == JOB_KIND:
                by_room[change.room_id or ""].append(change)

        async def room(changes: Sequence[ResourceChange]) -> None:
            # Stops (and restarts, which stop first) before starts: a room may allow one job only.
            for change in sorted(changes, key=lambda c: 0 if Action.STOP in c.actions else 1):
                await self.run_job(change, jobs.get(change.address))

        await asyncio.gather(*(room(cs) for cs in by_room.values()))

        deletes = [c for c in actionable if c.kind == GROUP_KIND and c.actions == (Action.DELETE,)]
        await asyncio.gather(
            *(self._guard(c, "deleted", functools.partial(self.delete_group, c)) for c in deletes)
        )
        return self.result
