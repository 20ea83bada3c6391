"""Carry out a plan: in order, concurrently where independent, safely where the API gives no help.

Order: group creates and updates, then jobs (per room: stops before starts; rooms in parallel), then
group deletes. Every success is written to the state store before the next step that depends on it,
so a crash loses nothing already done.

The API has no idempotency token. A create or start whose answer was lost (OutcomeUnknownError) may
have happened, so before trying again the executor looks for it (groups by group_name, jobs among the
room's active jobs) and adopts what it finds. Updates (a whole-group PUT) are idempotent and simply
retried; a stop or delete that finds its object already gone counts as done.

A crash can strike between an answer and the state write that records it. So before each create or
start the executor writes an intent: the resource's record with no remote id yet (and the fingerprints
of what it is about to send). The next apply, finding the object the plan matched (the group of that
name, the room's one active job) and an intent for it, records the object as this tool's own
(`adopt_records`); an object with no intent is never claimed that way, so `--prune` can still touch
only what this tool created or imported.

Throttling (429) means the gateway refused the request before the service saw it: waited out and sent
again, never counted as a failure. Starts are also spaced below the tenant's StartSmartLive rate so the
limit is not tripped in the first place.

A WAITING or PROCESSING job is never stopped or restarted unless the run allows it (--allow-restart)
or its manifest does (annotation smartlive.io/allow-restart: "true"); otherwise the action is skipped
loudly and the run fails after doing the rest.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from reconciler.api import models
from reconciler.cloud.api import MetaStudioApi
from reconciler.cloud.http import THROTTLE_CODES
from reconciler.engine.plan import GROUP_KIND, JOB_KIND, Action, Plan, ResourceChange
from reconciler.engine.planner import DesiredGroup, DesiredJob, ManagedRecord
from reconciler.errors import OutcomeUnknownError, RemoteError, UserError

T = TypeVar("T")

#: "Job state does not allow this operation": stopping a job that has already ended.
JOB_STATE_CONFLICT = "MSS.20020001"
#: How many times a write whose outcome was unknown is looked up and tried again.
UNKNOWN_OUTCOME_ATTEMPTS = 4
#: How long a throttled write is sent again (after the HTTP layer's own few retries) before it fails.
THROTTLE_PATIENCE_SECONDS = 120.0
#: Pause after a throttled answer: Huawei advises retrying after 2-5 s; the HTTP layer has waited too.
THROTTLE_PAUSE_SECONDS = 1.0
#: Starts are spaced this much wider than 1/rate, so that jitter on the way (up to 40 ms at 4/s) never
#: lands rate+1 starts in one second of the service's window: 100 starts at 4/s take 25.7 s, not 25 s.
START_SPACING_MARGIN = 0.04
#: The remote id of an intent: the record written just before a create or start, completed after it.
PENDING = ""


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
    """Spaces StartSmartLive calls evenly below the tenant's rate, so the service's limit is not tripped.

    Even spacing (rather than bursts of `rate` per second) stays under the limit whatever window the
    gateway counts in: sliding, fixed or a token bucket. The next slot is measured from when a start was
    actually let go, so a late wake-up (a busy machine) delays the starts after it instead of squeezing
    them together."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        margin: float = START_SPACING_MARGIN,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._interval = (1.0 + margin) / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()

    @property
    def interval(self) -> float:
        return self._interval

    async def wait(self) -> None:
        # One start at a time through here: the lock is held across the sleep on purpose.
        async with self._lock:
            delay = self._next - self._clock()
            if delay > 0:
                await self._sleep(delay)
            self._next = max(self._next, self._clock() + self._interval)

    def pause(self, seconds: float) -> None:
        """The service throttled a start anyway (another client of the tenant): hold every start back."""
        self._next = max(self._next, self._clock() + seconds)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, RemoteError):
        return f"{exc.code or 'HTTP ' + str(exc.status)}: {exc.error_msg}"
    return str(exc)


def is_throttled(exc: BaseException) -> bool:
    """A 429 from the gateway: the request was refused before the service saw it."""
    return isinstance(exc, RemoteError) and (exc.status == 429 or exc.code in THROTTLE_CODES)


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
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api = api
        self.store = store
        self.target = target_key
        self.options = options
        self.fingerprint = fingerprint
        self.on_result = on_result
        self._sleep = sleep
        self._clock = clock
        self.limiter = StartLimiter(options.start_rate, clock, sleep=sleep)
        self.result = ApplyResult()
        #: address -> group_id of every group written in this run (their update_time is read after).
        self.groups_written: dict[str, str] = {}
        #: Throttled answers waited out at this level (each after the HTTP layer's own retries).
        self.throttled_waits = 0

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

    async def _patient(self, call: Callable[[], Awaitable[T]], *, start: bool = False) -> T:
        """Send a write again while the gateway throttles it: a 429 is waited out, never a failure
        (unless it lasts THROTTLE_PATIENCE_SECONDS)."""
        deadline = self._clock() + THROTTLE_PATIENCE_SECONDS
        while True:
            try:
                return await call()
            except RemoteError as exc:
                if not is_throttled(exc) or self._clock() >= deadline:
                    raise
                self.throttled_waits += 1
                if start:
                    self.limiter.pause(THROTTLE_PAUSE_SECONDS)
                else:
                    await self._sleep(THROTTLE_PAUSE_SECONDS)

    # Groups -------------------------------------------------------------------------------------

    def _group_body(self, desired: DesiredGroup) -> models.InteractionRuleGroup:
        rules = list(desired.canonical["interaction_rules"].values())
        return models.InteractionRuleGroup.model_validate(
            {"group_name": desired.name, "interaction_rules": rules}
        )

    @staticmethod
    def _group_record(desired: DesiredGroup, group_id: str, update_time: str = "") -> ManagedRecord:
        return ManagedRecord(
            f"{GROUP_KIND}/{desired.name}",
            GROUP_KIND,
            group_id,
            fingerprint=desired.fingerprint,
            update_time=update_time,
        )

    def _group_written(self, desired: DesiredGroup, group_id: str) -> None:
        self.groups_written[f"{GROUP_KIND}/{desired.name}"] = group_id
        self._record(self._group_record(desired, group_id))

    async def _find_group(self, name: str) -> str | None:
        found = [g for g in await self.api.list_rule_groups(group_name=name) if g.group_name == name]
        return found[0].group_id if found else None

    async def create_group(self, change: ResourceChange, desired: DesiredGroup) -> str:
        body = self._group_body(desired)
        self._record(self._group_record(desired, PENDING))  # the intent: see the module docstring
        for _ in range(UNKNOWN_OUTCOME_ATTEMPTS):
            try:
                group_id = await self._patient(lambda: self.api.create_rule_group(body))
                self._group_written(desired, group_id)
                return f"created (group_id {group_id})"
            except OutcomeUnknownError:
                adopted = await self._find_group(desired.name)
                if adopted:
                    # Our own lost create made it: the same body, so adopting it is exact.
                    self._group_written(desired, adopted)
                    return f"created (group_id {adopted}, adopted after a lost response)"
        raise OutcomeUnknownError(f"{change.address}: create kept failing without an answer")

    async def update_group(self, change: ResourceChange, desired: DesiredGroup) -> str:
        group_id = change.remote_id or ""
        body = self._group_body(desired)
        for _ in range(UNKNOWN_OUTCOME_ATTEMPTS):
            try:
                await self._patient(lambda: self.api.update_rule_group(group_id, body))
                break
            except OutcomeUnknownError:
                continue  # a whole-group PUT is idempotent: sending it again is safe
        else:
            raise OutcomeUnknownError(f"{change.address}: update kept failing without an answer")
        self._group_written(desired, group_id)
        return f"updated in place (group_id {group_id}, {len(change.changes)} field(s))"

    async def delete_group(self, change: ResourceChange) -> str:
        group_id = change.remote_id or ""
        for _ in range(UNKNOWN_OUTCOME_ATTEMPTS):
            try:
                await self._patient(lambda: self.api.delete_rule_group(group_id))
                break
            except OutcomeUnknownError:
                continue
            except RemoteError as exc:
                if exc.status in (400, 404) and group_id not in {
                    g.group_id for g in await self.api.list_rule_groups()
                }:
                    break  # already gone (perhaps by our own lost delete): the goal is reached
                raise
        else:
            raise OutcomeUnknownError(f"{change.address}: delete kept failing without an answer")
        if self.store is not None:
            self.store.remove(self.target, change.address)
        return f"deleted (group_id {group_id})"

    async def refresh_update_times(self, groups: Mapping[str, DesiredGroup]) -> None:
        """One paged list records every written group's update_time (for the next plan's read cache)
        instead of one show per group."""
        if self.store is None or not self.groups_written:
            return
        try:
            by_id = {g.group_id: g for g in await self.api.list_rule_groups()}
        except UserError:
            return  # best effort: without an update_time the next plan reads those groups in full
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
                await self._patient(lambda: self.api.stop_job(room_id, job_id))
                return
            except OutcomeUnknownError:
                continue
            except RemoteError as exc:
                if exc.code == JOB_STATE_CONFLICT:
                    return  # it has already ended (perhaps by our own lost stop): the goal is reached
                raise
        raise OutcomeUnknownError(f"stop of job {job_id} kept failing without an answer")

    async def _start_once(
        self, room_id: str, request: models.StartSmartLiveReq
    ) -> models.StartSmartLiveResponse:
        await self.limiter.wait()
        return await self.api.start_job(room_id, request)

    async def start_job(self, change: ResourceChange, inputs: JobInputs) -> str:
        room_id = inputs.desired.room_id
        request = inputs.build_request()
        before = {j.job_id for j in await self._active_jobs(room_id)} if change.is_restart else set()
        self._record(self._job_record(change, inputs, PENDING))  # the intent: see the module docstring
        for _ in range(UNKNOWN_OUTCOME_ATTEMPTS):
            try:
                response = await self._patient(lambda: self._start_once(room_id, request), start=True)
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
        room_id = inputs.desired.room_id
        for _ in range(UNKNOWN_OUTCOME_ATTEMPTS):
            try:
                await self._patient(
                    lambda: self.api.execute_command(room_id, job_id, "REFRESH_OUTPUT_URL", params)
                )
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

    # Records the plan found out of date -------------------------------------------------------

    def adopt_records(
        self,
        plan: Plan,
        managed: Mapping[str, ManagedRecord] | None,
        groups: Mapping[str, DesiredGroup],
        group_update_times: Mapping[str, str],
    ) -> list[str]:
        """Bring the store up to date with what the plan found, without one API request.

        - An intent (a record with no remote id) whose object the plan matched, the group of that name
          or the room's one active job: a create or start of ours whose answer, or whose state write,
          a crash cut off. The object is recorded as ours, with the fingerprints of what was sent.
        - A group that matches its declaration, recorded under the same group_id with another
          fingerprint or update_time (an update whose state write was cut off, an imported group):
          recorded as it is now, so the next plan's read cache can skip it.

        Returns one line per adopted intent, for the user to see.
        """
        if self.store is None or managed is None:
            return []
        adopted: list[str] = []
        for change in plan.changes:
            record = managed.get(change.address)
            remote_id = change.remote_id or ""
            if record is None or not remote_id or record.kind != change.kind:
                continue
            if change.kind == GROUP_KIND:
                desired = groups.get(change.address)
                update_time = group_update_times.get(remote_id, "")
                matches = change.is_noop and desired is not None and bool(desired.fingerprint)
                if record.remote_id == PENDING:
                    if matches and desired is not None:
                        fresh = replace(
                            record,
                            remote_id=remote_id,
                            fingerprint=desired.fingerprint,
                            update_time=update_time,
                        )
                    else:  # it differs from the declaration now: this apply's update records it again
                        fresh = replace(record, remote_id=remote_id, update_time="")
                    self._record(fresh)
                    adopted.append(
                        f"{change.address}: recorded group_id {remote_id}, created by an interrupted apply"
                    )
                elif (
                    matches
                    and desired is not None
                    and record.remote_id == remote_id
                    and update_time
                    and (record.fingerprint, record.update_time) != (desired.fingerprint, update_time)
                ):
                    self._record(replace(record, fingerprint=desired.fingerprint, update_time=update_time))
            elif record.remote_id == PENDING and record.room_id == (change.room_id or ""):
                self._record(replace(record, remote_id=remote_id))
                adopted.append(f"{change.address}: recorded job {remote_id}, started by an interrupted apply")
        return adopted

    def forget_gone(
        self,
        managed: Mapping[str, ManagedRecord] | None,
        declared: Collection[str],
        live_ids: Collection[str],
        targets: Collection[str] = (),
    ) -> list[str]:
        """For --prune: drop the records of undeclared objects that no longer exist (a delete or stop
        whose state write a crash cut off, an object removed by hand). There is nothing left to prune
        for them, and a record would only make `state list` lie. Returns one line per record dropped."""
        if self.store is None or managed is None:
            return []
        forgotten = []
        for address, record in sorted(managed.items()):
            if address in declared or (targets and address not in targets) or record.remote_id == PENDING:
                continue
            if record.remote_id not in live_ids:
                self.store.remove(self.target, address)
                what = "group_id" if record.kind == GROUP_KIND else "active job"
                forgotten.append(f"{address}: forgotten, no {what} {record.remote_id} exists any more")
        return forgotten

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

        by_room: dict[str, list[ResourceChange]] = defaultdict(list)
        for change in actionable:
            if change.kind == JOB_KIND:
                by_room[change.room_id or ""].append(change)

        async def room(changes: Sequence[ResourceChange]) -> None:
            # Stops (and restarts, which stop first) before starts: a room may allow one job only.
            for change in sorted(changes, key=lambda c: 0 if Action.STOP in c.actions else 1):
                await self.run_job(change, jobs.get(change.address))

        # Reading the written groups' update_times is bookkeeping: it runs beside the job phase.
        await asyncio.gather(self.refresh_update_times(groups), *(room(cs) for cs in by_room.values()))

        deletes = [c for c in actionable if c.kind == GROUP_KIND and c.actions == (Action.DELETE,)]
        await asyncio.gather(
            *(self._guard(c, "deleted", functools.partial(self.delete_group, c)) for c in deletes)
        )
        return self.result
