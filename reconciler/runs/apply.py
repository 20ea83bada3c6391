"""Carry out a plan: in dependency order, in parallel where independent, safely where the API gives no
help. The actions themselves are each kind's (reconciler/kinds/); this module orders them, guards the
live streams, waits out throttling, keeps the state store up to date and reports every action.

Order: the plan's dependency graph, level by level (engine/graph.py): a referenced resource is
created or updated before what references it, and deleted after it. A failed change skips, and reports,
exactly the changes that depend on it; independent ones still run. Every success is written to the state
store before anything that depends on it starts, so a crash loses nothing already done; the writes go
through one worker thread, in order, so the event loop never waits on the disk or the database.

The API has no idempotency token. A create or start whose answer was lost (OutcomeUnknownError) may
have happened, so before trying again the kind looks for it (`until_known` with a lookup) and adopts
what it finds. An update (a whole PUT) is idempotent and simply sent again; a stop or delete that finds
its object already gone counts as done.

A crash can strike between an answer and the state write that records it. So before each create or
start the kind writes an intent: the resource's record with no remote id yet (and the fingerprints of
what it is about to send). The next apply, finding the object the plan matched and an intent for it,
records the object as this tool's own (`adopt_records`); an object with no intent is never claimed that
way, so `--prune` can still touch only what this tool created or imported.

Throttling (429) means the gateway refused the request before the service saw it: waited out and sent
again (`patient`), never counted as a failure. Paced operations (StartSmartLive, room creates and
updates) are also spaced below the tenant's rate so the limit is not tripped in the first place, by the
HTTP client's pacing (cloud/pacing.py): `limiter(op)` hands out its pacers, so a slot taken here (a start
takes its slot before its lookups) is the one its request goes out in, not a second.

A change that interrupts a live stream (a running job stopped or restarted) runs only when the run
allows it (--allow-restart), its manifest does (annotation smartlive.io/allow-restart: "true") or the user
named it with --replace; otherwise it is skipped loudly, its dependents with it, and the run fails after
doing the rest.

At most `parallelism` actions run at once, each one to its end: an action is the unit that is either done
or not done. That is what makes an interrupted run honest. `stop()` (the first Ctrl-C) starts no new
action, lets the ones in flight finish (their state is written) and reports every other one as not done;
`force()` (the second) cancels the ones in flight too and reports them as cut off. A restart is one action,
so an interrupted run never leaves a room stopped without its start unless forced. Each action having its
own slot also means it never queues behind other actions' requests between two of its own: a restart's
start follows its stop at once.

The state lock can be taken from a running apply (PostgreSQL: its session ended by `state unlock --force`
on another host). Then another apply may be writing the same objects, so this one must write nothing
more: every state write checks the lock (the store does: state/sql.py), and so does every write to the
service, right before it is sent (`patient`, which every kind's write goes through). The first write
that finds the lock gone stops the run as stop() does, and the result says why (`lock_lost`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from reconciler.cloud.api import MetaStudioApi
from reconciler.cloud.config import DEFAULT_PARALLELISM
from reconciler.cloud.error_body import is_throttling
from reconciler.cloud.pacing import DEFAULT_RATES, SPACING_MARGIN, Pacing
from reconciler.cloud.retry import BACKOFF, GIVE_UP, RetryPolicy, Verdict, retrying
from reconciler.engine.graph import dependents, levels
from reconciler.engine.kind import Applied, Desired, Fingerprinter, Kind, Limiter
from reconciler.engine.plan import RESTART, Action, Plan, ReasonCode, ResourceChange
from reconciler.errors import LockLostError, OutcomeUnknownError, RemoteError, UserError
from reconciler.kinds import RESOURCE_KINDS
from reconciler.resources import PENDING, Address, ManagedRecord
from reconciler.runs.state_writer import StateWriter

T = TypeVar("T")

#: How many times a write whose outcome was unknown is looked up and tried again.
UNKNOWN_OUTCOME_ATTEMPTS = 4
#: How long a throttled write is sent again (after the HTTP layer's own few retries) before it fails.
THROTTLE_PATIENCE_SECONDS = 120.0
#: Pause after a throttled answer: Huawei advises retrying after 2-5 s; the HTTP layer has waited too.
THROTTLE_PAUSE_SECONDS = 1.0
#: How much wider than 1/rate paced calls are spaced (pacing.py).
START_SPACING_MARGIN = SPACING_MARGIN
#: Throttled writes: sent again after each pause, until THROTTLE_PATIENCE_SECONDS have passed.
THROTTLE_PATIENCE = RetryPolicy(
    attempts=None, base_seconds=0.0, jitter=False, patience_seconds=THROTTLE_PATIENCE_SECONDS
)
#: Lost answers: looked up and sent again at once, UNKNOWN_OUTCOME_ATTEMPTS tries in all (no pause).
UNKNOWN_OUTCOME = RetryPolicy(attempts=UNKNOWN_OUTCOME_ATTEMPTS, base_seconds=0.0, jitter=False)
#: The version of `smartlive apply --format json`'s document.
APPLY_FORMAT_VERSION = "1.0"
#: What a change not done would have done, by its actions (the lines after "Interrupted:").
_UNDONE_VERBS: Mapping[tuple[Action, ...], str] = {
    (Action.CREATE,): "create",
    (Action.UPDATE,): "update",
    (Action.DELETE,): "delete",
    (Action.START,): "start",
    (Action.STOP,): "stop",
    (Action.REFRESH_OUTPUT,): "refresh output",
    RESTART: "restart",
}
#: The verb of apply's per-action line, by the change's actions.
_DONE_VERBS: Mapping[tuple[Action, ...], str] = {
    (Action.CREATE,): "created",
    (Action.UPDATE,): "updated",
    (Action.DELETE,): "deleted",
    (Action.START,): "started",
    (Action.STOP,): "stopped",
    (Action.REFRESH_OUTPUT,): "refreshed",
    RESTART: "restarted",
}

__all__ = [
    "DEFAULT_RATES",
    "PENDING",
    "ActionResult",
    "ApplyOptions",
    "ApplyResult",
    "Executor",
    "NotDone",
]


class RecordSink(Protocol):
    """The part of the state store apply writes to."""

    def put(self, target: str, record: ManagedRecord, applied_by: str) -> None: ...

    def remove(self, target: str, address: Address) -> bool: ...

    def check_lock(self, target: str) -> None:
        """LockLostError once the run's state lock is held no longer (state/base.py StateStore)."""
        ...


@dataclass(frozen=True)
class ActionResult:
    address: Address
    verb: str
    ok: bool
    message: str
    skipped: bool = False
    remote_id: str = ""
    #: Warnings the service returned with a successful answer (StartSmartLive's live_warning_info).
    warnings: tuple[str, ...] = ()
    #: For a change skipped because what it depends on did not succeed: those changes.
    blocked_by: tuple[Address, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "address": str(self.address),
            "verb": self.verb,
            "ok": self.ok,
            "skipped": self.skipped,
            "message": self.message,
            "remote_id": self.remote_id,
            "warnings": list(self.warnings),
            "blocked_by": [str(a) for a in self.blocked_by],
        }


@dataclass(frozen=True)
class NotDone:
    """A change an interrupted run did not carry out: never begun, or (`cut_off`) cancelled in flight by a
    forced stop, so that it may be half done."""

    change: ResourceChange
    cut_off: bool = False
    #: What the change's remote id is called ("job_id"), for the line that names it.
    id_name: str = "id"

    @property
    def address(self) -> Address:
        return self.change.address

    @property
    def verb(self) -> str:
        """What it would have done: "restart", "create", ..."""
        return _UNDONE_VERBS.get(self.change.actions, str(self.change.actions[0]))

    def as_json(self) -> dict[str, Any]:
        return {
            "address": str(self.address),
            "verb": self.verb,
            "remote_id": self.change.remote_id or "",
            "cut_off": self.cut_off,
        }


@dataclass(frozen=True)
class ApplyOptions:
    allow_restart: bool = False
    #: Actions in flight at once (--parallelism): each has one request in flight at a time.
    parallelism: int = DEFAULT_PARALLELISM
    #: Calls per second of the paced API operations, when the executor is given no Pacing.
    rates: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_RATES))
    applied_by: str = ""


@dataclass
class ApplyResult:
    results: list[ActionResult] = field(default_factory=list)
    #: Changes an interrupted run did not carry out (empty when it was not interrupted).
    not_done: list[NotDone] = field(default_factory=list)
    #: The run was stopped (Ctrl-C) before it had carried out every change: `not_done` lists them.
    interrupted: bool = False
    #: Why the state lock was lost mid-run ("its database session ended"), which stopped the run; "" if
    #: it was not.
    lock_lost: str = ""

    @property
    def failed(self) -> list[ActionResult]:
        return [r for r in self.results if not r.ok]

    def count(self, *verbs: str) -> int:
        return sum(1 for r in self.results if r.ok and r.verb in verbs)

    @property
    def interrupting(self) -> list[ActionResult]:
        """Skipped by the restart guard: they would interrupt a live stream."""
        return [r for r in self.results if r.skipped and not r.blocked_by]

    @property
    def blocked(self) -> list[ActionResult]:
        """Skipped because a change they depend on did not succeed."""
        return [r for r in self.results if r.skipped and r.blocked_by]

    def as_json(self) -> dict[str, Any]:
        """The apply result for tools (`smartlive apply --format json`): every action, sorted by address."""
        return {
            "format_version": APPLY_FORMAT_VERSION,
            "results": [r.as_json() for r in sorted(self.results, key=lambda r: r.address)],
            "summary": {
                "created": self.count("created", "started"),
                "updated": self.count("updated", "refreshed"),
                "restarted": self.count("restarted"),
                "destroyed": self.count("stopped", "deleted"),
                "failed": len([r for r in self.failed if not r.skipped]),
                "skipped": len([r for r in self.results if r.skipped]),
                "not_done": len(self.not_done),
            },
            "interrupted": self.interrupted,
            "lock_lost": self.lock_lost or None,
            "not_done": [n.as_json() for n in sorted(self.not_done, key=lambda n: n.address)],
        }

    def summary_line(self) -> str:
        created = self.count("created", "started")
        updated = self.count("updated", "refreshed")
        restarted = self.count("restarted")
        destroyed = self.count("stopped", "deleted")
        if self.lock_lost:
            head = "Apply stopped (the state lock was lost)"
        elif self.interrupted:
            head = "Apply interrupted"
        else:
            head = "Apply complete" if not self.failed else "Apply finished with errors"
        return f"{head}: {created} created, {updated} updated, {restarted} restarted, {destroyed} stopped or deleted."


def _outcome_unknown(exc: Exception) -> Verdict:
    return BACKOFF if isinstance(exc, OutcomeUnknownError) else GIVE_UP


def error_text(exc: Exception) -> str:
    if isinstance(exc, RemoteError):
        return f"{exc.code or 'HTTP ' + str(exc.status)}: {exc.error_msg}"
    return str(exc)


def is_throttled(exc: BaseException) -> bool:
    """A 429 from the gateway: the request was refused before the service saw it."""
    return isinstance(exc, RemoteError) and is_throttling(exc.status, exc.code)


class Executor:
    """Runs a plan's changes through their kinds; implements the kinds' ApplyContext."""

    def __init__(
        self,
        api: MetaStudioApi,
        store: RecordSink | None,
        target_key: str,
        options: ApplyOptions,
        *,
        fingerprint: Fingerprinter | None = None,
        on_result: Callable[[ActionResult], None] = lambda _r: None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        kinds: Sequence[Kind[Any, Any]] = RESOURCE_KINDS,
        pacing: Pacing | None = None,
    ) -> None:
        self._api = api
        self.kinds = {kind.name: kind for kind in kinds}
        self.store = store
        self.target = target_key
        self.options = options
        self._fingerprint = fingerprint
        self.on_result = on_result
        self._sleep = sleep
        self._clock = clock
        # The HTTP client's pacers when given (one pacing mechanism for the run: a slot taken here is the
        # one the request goes out in), else the options' own (an executor over a test's API).
        pacing = pacing or Pacing(options.rates, clock=clock, sleep=sleep)
        self.limiters: dict[str, Limiter] = dict(pacing.pacers)
        self.result = ApplyResult()
        #: Throttled answers waited out at this level (each after the HTTP layer's own retries).
        self.throttled_waits = 0
        self._ids: dict[Address, str] = {}
        # One writer thread (started by execute): state writes keep their order and never block the loop.
        self._writer: StateWriter | None = None
        #: stop(): no action begins any more. force(): the ones in flight are cancelled too.
        self._stopping = False
        self._forced = False
        self._in_flight: set[asyncio.Task[Any]] = set()
        #: The actions (their tasks) that have sent a write to the service: stopped now, half done.
        self._sent: set[asyncio.Task[Any]] = set()

    # Interruption -------------------------------------------------------------------------------

    def stop(self) -> None:
        """Begin no new action; the ones in flight finish (the first Ctrl-C)."""
        self._stopping = True

    def force(self) -> None:
        """Cancel the actions in flight as well (the second Ctrl-C): what they wrote to the state store
        stays, what they had not written is lost, and they are reported as cut off."""
        self._stopping = self._forced = True
        for task in list(self._in_flight):
            task.cancel()

    # ApplyContext -------------------------------------------------------------------------------

    @property
    def api(self) -> MetaStudioApi:
        return self._api

    @property
    def fingerprint(self) -> Fingerprinter | None:
        return self._fingerprint

    async def record(self, record: ManagedRecord) -> None:
        if self.store is not None:
            store, target, applied_by = self.store, self.target, self.options.applied_by
            await self._write(lambda: store.put(target, record, applied_by))

    async def forget(self, address: Address) -> None:
        if self.store is not None:
            store, target = self.store, self.target
            await self._write(lambda: store.remove(target, address))

    async def _write(self, call: Callable[[], Any]) -> None:
        if self._writer is None:  # a kind's apply called outside execute (a test, say): write here
            call()
        else:
            await self._writer.run(call)

    def resolve(self, reference: Address) -> str:
        remote_id = self._ids.get(reference)
        if not remote_id:
            raise UserError(f"{reference} has no remote id yet: it was not created")
        return remote_id

    def limiter(self, operation: str) -> Limiter | None:
        return self.limiters.get(operation)

    async def _lock_held(self) -> None:
        """LockLostError unless the state lock is still held: checked on the writer thread (in order
        with the state writes, off the event loop) before every write to the service."""
        if self.store is not None:
            store, target = self.store, self.target
            await self._write(lambda: store.check_lock(target))

    async def patient(self, call: Callable[[], Awaitable[T]], *, limiter: Limiter | None = None) -> T:
        """Send a write again while the gateway throttles it: a 429 is waited out, never a failure
        (unless it lasts THROTTLE_PATIENCE_SECONDS). With a limiter, each try waits for its slot and a
        throttled answer holds back every call of that operation instead of sleeping here.

        Every write a kind sends to the service comes through here, so this is also where the state
        lock is checked before each one: a process that lost the lock sends nothing more (another
        apply may hold it and be writing the same objects)."""

        async def attempt() -> T:
            if limiter is not None:
                await limiter.wait()
            await self._lock_held()  # after the wait, right before sending: the last moment it can fail
            task = asyncio.current_task()
            if task is not None:
                self._sent.add(task)
            return await call()

        def classify(exc: Exception) -> Verdict:
            return THROTTLE_PAUSE_SECONDS if is_throttled(exc) else GIVE_UP

        def waited(_exc: Exception, _pause: float) -> None:
            self.throttled_waits += 1

        async def hold(seconds: float) -> None:
            if limiter is not None:
                limiter.pause(seconds)
            else:
                await self._sleep(seconds)

        policy = RetryPolicy(
            attempts=None, base_seconds=0.0, patience_seconds=THROTTLE_PATIENCE_SECONDS, jitter=False
        )
        return await retrying(attempt, classify, policy, sleep=hold, clock=self._clock, on_retry=waited)

    async def until_known(
        self,
        what: str,
        write: Callable[[], Awaitable[T]],
        *,
        lookup: Callable[[], Awaitable[T | None]] | None = None,
    ) -> T:
        """`write` until its outcome is known. After every lost answer (or one without the id it had to
        carry: kinds/common.py answered_id) `lookup` (when given) looks for what the write may have
        made, and only then is the write sent again. A look-up finding an object without an id found
        nothing it could record."""

        async def attempt() -> T:
            try:
                return await write()
            except OutcomeUnknownError:
                found = None if lookup is None else await lookup()
                if found is None or found == "":
                    raise  # not there: sent again while tries are left
                return found

        try:
            return await retrying(
                attempt, _outcome_unknown, UNKNOWN_OUTCOME, sleep=self._sleep, clock=self._clock
            )
        except OutcomeUnknownError as last:
            looked = ", and each look-up for it found nothing" if lookup is not None else ""
            raise OutcomeUnknownError(
                f"{what}: outcome unknown after {UNKNOWN_OUTCOME_ATTEMPTS} tries{looked} (last: {last}); "
                "run plan to see what exists"
            ) from None

    # Bookkeeping --------------------------------------------------------------------------------

    def _done(self, result: ActionResult) -> None:
        self.result.results.append(result)
        self.on_result(result)

    def _may_interrupt(self, change: ResourceChange, desired: Desired[Any] | None) -> bool:
        # Naming the resource with --replace is consent to interrupt it, as the annotation is.
        if change.reason.code is ReasonCode.REPLACE_REQUESTED:
            return True
        return self.options.allow_restart or (desired is not None and desired.allow_interrupt)

    async def _run(self, change: ResourceChange, desired: Desired[Any] | None) -> bool:
        """One change; reported; True when it succeeded."""
        kind = self.kinds[change.kind]
        if change.interrupts_stream and not self._may_interrupt(change, desired):
            verb = "restart" if change.is_restart else "stop"
            self._done(
                ActionResult(
                    change.address,
                    verb,
                    False,
                    f"SKIPPED: {verb} of {change.remote_id} would interrupt the broadcast; re-run with "
                    '--allow-restart or annotate it smartlive.io/allow-restart: "true"',
                    skipped=True,
                )
            )
            return False
        verb = _DONE_VERBS.get(change.actions, str(change.actions[0]))
        try:
            applied: Applied = await kind.apply(change, desired, self)
        except LockLostError:
            raise  # not this action's failure: the run stops (_action)
        except UserError as exc:
            self._done(ActionResult(change.address, verb, False, error_text(exc)))
            return False
        if applied.remote_id:
            self._ids[change.address] = applied.remote_id
        remote_id = applied.remote_id or change.remote_id or ""
        self._done(
            ActionResult(
                change.address, verb, True, applied.message, remote_id=remote_id, warnings=applied.warnings
            )
        )
        return True

    def _skip(self, change: ResourceChange, failed: Collection[Address]) -> None:
        causes = tuple(sorted(set(change.depends_on) & set(failed))) or tuple(change.depends_on)
        named = ", ".join(str(a) for a in causes)
        verb = _DONE_VERBS.get(change.actions, str(change.actions[0]))
        self._done(
            ActionResult(
                change.address,
                verb,
                False,
                f"SKIPPED: it depends on {named}, which did not succeed",
                skipped=True,
                blocked_by=causes,
            )
        )

    # Records the plan found out of date -------------------------------------------------------

    def move_records(
        self, plan: Plan, managed: Mapping[Address, ManagedRecord] | None
    ) -> tuple[list[str], Mapping[Address, ManagedRecord] | None]:
        """Move each record the plan moves (a renamed manifest) to its new address: the new record
        first, then the old one removed, so that a crash between the two leaves two records of one
        object, which the next plan finishes moving, never none. Returns notes and the records after."""
        if self.store is None or managed is None:
            return [], managed
        records = dict(managed)
        notes = []
        for change in plan.changes:
            old = change.moved_from
            previous = records.get(old) if old is not None else None
            if old is None or previous is None:
                continue
            current = records.get(change.address)
            if current is None or current.remote_id != previous.remote_id:
                current = replace(previous, address=change.address)
                self.store.put(self.target, current, self.options.applied_by)
            self.store.remove(self.target, old)
            records[change.address] = current
            del records[old]
            notes.append(
                f"{change.address}: moved from {old} in the state store (the service was not touched)"
            )
        return notes, records

    def adopt_records(
        self,
        plan: Plan,
        managed: Mapping[Address, ManagedRecord] | None,
        desired: Mapping[Address, Desired[Any]],
        live: Mapping[str, Any],
    ) -> list[str]:
        """Bring the store up to date with what the plan found, without one API request: each kind says
        which of its records are out of date (an interrupted apply's intent whose object the plan
        matched, a version that moved). Returns one line per adopted intent, for the user to see."""
        if self.store is None or managed is None:
            return []
        notes: list[str] = []
        for change in plan.changes:
            record = managed.get(change.address)
            kind = self.kinds.get(change.kind)
            if record is None or not change.remote_id or kind is None or kind.name not in live:
                continue
            adoption = kind.adopt(change, record, desired.get(change.address), live[kind.name])
            if adoption is not None:
                self.store.put(self.target, adoption.record, self.options.applied_by)
                if adoption.note:
                    notes.append(adoption.note)
        return notes

    def forget_gone(
        self,
        managed: Mapping[Address, ManagedRecord] | None,
        declared: Collection[Address],
        live: Mapping[str, Any],
        targets: Collection[Address] = (),
    ) -> list[str]:
        """For --prune: drop the records of undeclared objects that no longer exist (a delete or stop
        whose state write a crash cut off, an object removed by hand). There is nothing left to prune
        for them, and a record would only make `state list` lie. Returns one line per record dropped."""
        if self.store is None or managed is None:
            return []
        forgotten = []
        existing = {name: kind.live_ids(live[name]) for name, kind in self.kinds.items() if name in live}
        for address, record in sorted(managed.items()):
            kind = self.kinds.get(address.kind)
            if kind is None or kind.name not in existing:
                continue
            if address in declared or (targets and address not in targets) or record.is_intent:
                continue
            if record.remote_id not in existing[kind.name]:
                self.store.remove(self.target, address)
                forgotten.append(
                    f"{address}: forgotten, no {kind.live_noun} {record.remote_id} exists any more"
                )
        return forgotten

    # The whole plan -----------------------------------------------------------------------------

    async def execute(self, plan: Plan, desired: Mapping[Address, Desired[Any]]) -> ApplyResult:
        """Every actionable change, level by level, at most `parallelism` at once; then each kind's
        bookkeeping. After stop() the changes not begun are reported as not done."""
        self._ids = {c.address: c.remote_id for c in plan.changes if c.remote_id}
        actionable = plan.actionable
        downstream = dependents(actionable)
        failed: set[Address] = set()
        written: dict[str, dict[Address, Desired[Any]]] = {name: {} for name in self.kinds}
        slots = asyncio.Semaphore(max(1, self.options.parallelism))
        self._writer = StateWriter(asyncio.get_running_loop()) if self.store is not None else None
        try:
            for level in levels(actionable):
                if self._stopping:
                    self.result.not_done.extend(self._not_done(change) for change in level)
                    continue

                async def one(change: ResourceChange) -> None:
                    if change.address in failed:
                        self._skip(change, failed)
                        return
                    wanted = desired.get(change.address)
                    async with slots:
                        ok = await self._action(change, wanted)
                    if ok is None:
                        return  # not done: reported as such
                    if ok:
                        if wanted is not None and not change.is_delete:
                            written.setdefault(change.kind, {})[change.address] = wanted
                    else:
                        failed.update(downstream.get(change.address, ()))
                        failed.add(change.address)

                await asyncio.gather(*(one(c) for c in level))
            # Settling is bookkeeping for the store (nothing to do without one), skipped when forced or
            # when the lock is gone (another process may be writing the store now).
            if self.store is not None and not self._forced and not self.result.lock_lost:
                try:
                    await asyncio.gather(*(k.settle(self, written[name]) for name, k in self.kinds.items()))
                except LockLostError as exc:
                    self._lose_lock(exc)
        finally:
            if self._writer is not None:
                self._writer.close()  # every write submitted is carried out, a forced stop's included
                self._writer = None
        # A Ctrl-C that came after the last action began stopped nothing: the run is complete.
        self.result.interrupted = bool(self.result.not_done)
        return self.result

    async def _action(self, change: ResourceChange, wanted: Desired[Any] | None) -> bool | None:
        """One change in its slot: True done, False failed or skipped, None not done (interrupted)."""
        if self._stopping:
            self.result.not_done.append(self._not_done(change))
            return None
        task = asyncio.current_task()
        assert task is not None
        self._in_flight.add(task)
        try:
            return await self._run(change, wanted)
        except asyncio.CancelledError:
            if not self._forced:
                raise  # not ours: the whole run is being cancelled
            self.result.not_done.append(self._not_done(change, cut_off=True))
            return None
        except LockLostError as exc:
            self._lose_lock(exc)
            self.result.not_done.append(self._not_done(change, cut_off=task in self._sent))
            return None
        finally:
            self._in_flight.discard(task)
            self._sent.discard(task)

    def _lose_lock(self, exc: LockLostError) -> None:
        """The lock is gone: as after a first Ctrl-C, no action begins any more, and each one in flight
        stops at its next write (to the service or the store), since each checks the lock first."""
        self.result.lock_lost = self.result.lock_lost or exc.reason
        self.stop()

    def _not_done(self, change: ResourceChange, *, cut_off: bool = False) -> NotDone:
        kind = self.kinds.get(change.kind)
        return NotDone(change, cut_off, kind.remote_id_name if kind is not None else "id")


@dataclass(frozen=True)
class Prepared:
    """What an apply run did before its first write: state-only corrections, one line each."""

    notes: tuple[str, ...]


def prepare(
    executor: Executor,
    plan: Plan,
    managed: Mapping[Address, ManagedRecord] | None,
    desired: Mapping[Address, Desired[Any]],
    live: Mapping[str, Any],
    *,
    prune: bool,
    targets: Collection[Address] = (),
) -> Prepared:
    """The corrections an apply makes to the state store before it acts, with no API request: records
    that follow renamed manifests (`move_records`), records of what interrupted applies left
    half-written (`adopt_records`), and with --prune, records of objects that no longer exist
    (`forget_gone`)."""
    notes, managed = executor.move_records(plan, managed)
    notes += executor.adopt_records(plan, managed, desired, live)
    if prune:
        notes += executor.forget_gone(managed, desired.keys(), live, targets)
    return Prepared(tuple(notes))
