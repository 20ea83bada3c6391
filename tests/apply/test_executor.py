"""The executor against a scripted API: intents before creates and starts, adoption of what an
interrupted apply left, lookup before retry, 429s waited out, the start limiter's spacing, failures
that do not stop independent actions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from reconciler.api import models
from reconciler.cloud.pacing import Pacer
from reconciler.engine.kind import Desired
from reconciler.engine.plan import RESTART, Action, Plan, Reason, ReasonCode, ResourceChange
from reconciler.errors import LockLostError, OutcomeUnknownError, RemoteError
from reconciler.kinds import live_job, rule_group
from reconciler.kinds.live_job import DesiredJobInputs, JobDeclaration, LiveJob, LiveJobs, desired_job
from reconciler.kinds.rule_group import DesiredGroup, LiveGroup, LiveGroups, desired_group
from reconciler.resources import Address, ManagedRecord
from reconciler.runs.apply import (
    PENDING,
    START_SPACING_MARGIN,
    ApplyOptions,
    Executor,
)
from tests.apply.support import group_manifest

TARGET = "http://emulator|proj"
ROOM = "room-1"


def fp(value: Any) -> str:
    return f"fp:{sorted(value) if isinstance(value, dict) else value}"


def g(name: str) -> Address:
    return Address(rule_group.NAME, name)


def j(name: str) -> Address:
    return Address(live_job.NAME, name)


def group(name: str) -> Desired[DesiredGroup]:
    value = desired_group(name, group_manifest(name)["spec"]["interaction_rules"], fp)
    return Desired(g(name), value)


def job_inputs(name: str = "live", room: str = ROOM) -> Desired[DesiredJobInputs]:
    declared = desired_job(
        JobDeclaration(name, room, "running", {"video_config": {"bitrate": 4000}}, False),
        resolve=lambda request: dict(request),
        fingerprint=fp,
    )
    # Without a manifest the request is an empty StartSmartLiveReq: the fake API ignores it.
    return Desired(j(name), DesiredJobInputs(declared, None))


def declared(*items: Desired[Any]) -> dict[Address, Desired[Any]]:
    return {d.address: d for d in items}


def throttled() -> RemoteError:
    return RemoteError(429, "APIGW.0308", "The throttling threshold has been reached")


@dataclass
class Store:
    """The state store's write side, keeping the order of writes."""

    writes: list[tuple[str, Address, str]] = field(default_factory=list)
    records: dict[Address, ManagedRecord] = field(default_factory=dict)
    #: The run's state lock was taken from it (its session ended): every write and check fails from then.
    lost: bool = False

    def put(self, target: str, record: ManagedRecord, applied_by: str) -> None:
        self.check_lock(target)
        self.writes.append(("put", record.address, record.remote_id))
        self.records[record.address] = record

    def remove(self, target: str, address: Address) -> bool:
        self.writes.append(("remove", address, ""))
        return self.records.pop(address, None) is not None

    def check_lock(self, target: str) -> None:
        if self.lost:
            raise LockLostError(target, "its database session ended")

    def of(self, address: Address) -> list[tuple[str, str]]:
        """The writes of one resource, in order."""
        return [(op, remote_id) for op, a, remote_id in self.writes if a == address]


@dataclass
class FakeApi:
    """Groups and jobs in memory; `script` maps an operation ("create", or "create NAME" for one
    group's) to what its next calls do instead."""

    groups: dict[str, str] = field(default_factory=dict)  # group_id -> name
    jobs: dict[str, str] = field(default_factory=dict)  # job_id -> room (active)
    script: dict[str, list[Callable[[], None] | Exception]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def _step(self, operation: str, name: str = "") -> Exception | None:
        self.calls.append(operation)
        steps = self.script.get(f"{operation} {name}") or self.script.get(operation)
        if steps:
            step = steps.pop(0)
            if isinstance(step, Exception):
                return step
            step()
        return None

    async def create_rule_group(self, body: models.InteractionRuleGroup) -> str:
        group_id = f"g{len(self.groups) + 1}"
        failure = self._step("create", body.group_name or "")
        if isinstance(failure, OutcomeUnknownError) and str(failure).startswith("committed"):
            self.groups[group_id] = body.group_name or ""
        if failure is not None:
            raise failure
        self.groups[group_id] = body.group_name or ""
        return group_id

    async def update_rule_group(self, group_id: str, body: models.InteractionRuleGroup) -> None:
        if (failure := self._step("update")) is not None:
            raise failure

    async def delete_rule_group(self, group_id: str) -> None:
        if (failure := self._step("delete")) is not None:
            raise failure
        self.groups.pop(group_id)

    async def list_rule_groups(
        self, group_name: str | None = None
    ) -> list[models.InteractionRuleGroupSummary]:
        self.calls.append(f"list-groups {group_name or ''}".strip())
        return [
            models.InteractionRuleGroupSummary(group_id=i, group_name=n, update_time=f"t-{i}")
            for i, n in self.groups.items()
            if group_name is None or n == group_name
        ]

    async def list_room_jobs(self, room_id: str) -> list[models.SmartLiveJob]:
        self.calls.append("list-jobs")
        return [
            models.SmartLiveJob(job_id=i, room_id=r, state="PROCESSING")
            for i, r in self.jobs.items()
            if r == room_id
        ]

    async def start_job(
        self, room_id: str, request: models.StartSmartLiveReq
    ) -> models.StartSmartLiveResponse:
        job_id = f"j{len(self.jobs) + 1}"
        failure = self._step("start")
        if isinstance(failure, OutcomeUnknownError) and str(failure).startswith("committed"):
            self.jobs[job_id] = room_id
        if failure is not None:
            raise failure
        self.jobs[job_id] = room_id
        return models.StartSmartLiveResponse(job_id=job_id)

    async def stop_job(self, room_id: str, job_id: str) -> None:
        if (failure := self._step("stop")) is not None:
            raise failure
        self.jobs.pop(job_id, None)


def executor(api: FakeApi, store: Store, *, allow_restart: bool = False, rate: float = 1000.0) -> Executor:
    async def no_sleep(_seconds: float) -> None:
        return None

    return Executor(
        api,  # type: ignore[arg-type]
        store,
        TARGET,
        ApplyOptions(allow_restart=allow_restart, rates={"StartSmartLive": rate}, applied_by="tester"),
        fingerprint=fp,
        sleep=no_sleep,
    )


def create(name: str) -> ResourceChange:
    return ResourceChange(g(name), (Action.CREATE,), Reason(ReasonCode.ABSENT))


def start(name: str = "live", room: str = ROOM) -> ResourceChange:
    return ResourceChange(j(name), (Action.START,), Reason(ReasonCode.NOT_RUNNING), room_id=room)


def test_an_intent_is_recorded_before_each_create_and_start_then_completed() -> None:
    store = Store()
    # What the state store holds for a resource at the moment its create or start is sent.
    at_call: dict[str, str | None] = {}

    def seen(what: str, address: Address) -> Callable[[], None]:
        def step() -> None:
            record = store.records.get(address)
            at_call[what] = None if record is None else record.remote_id

        return step

    api = FakeApi(script={"create": [seen("create", g("a"))], "start": [seen("start", j("live"))]})
    plan = Plan((create("a"), start()))
    result = asyncio.run(executor(api, store).execute(plan, declared(group("a"), job_inputs())))
    assert not result.failed
    # The intent is in the store before the request goes out (written by the state writer thread).
    assert at_call == {"create": PENDING, "start": PENDING}
    # Independent changes run side by side, so only each resource's own writes have an order.
    assert store.of(g("a")) == [
        ("put", PENDING),
        ("put", "g1"),
        ("put", "g1"),  # with the update_time of the list read after
    ]
    assert store.of(j("live")) == [("put", PENDING), ("put", "j1")]
    assert len(store.writes) == 5
    assert store.records[g("a")].update_time == "t-g1"
    assert store.records[j("live")].field_fingerprints == job_inputs().value.job.blind_fingerprints


def test_a_lost_create_is_looked_up_and_adopted_not_sent_again() -> None:
    api = FakeApi(script={"create": [OutcomeUnknownError("committed, answer lost")]})
    store = Store()
    result = asyncio.run(executor(api, store).execute(Plan((create("a"),)), declared(group("a"))))
    assert [r.message for r in result.results] == ["created (group_id g1, adopted after a lost response)"]
    assert api.calls.count("create") == 1
    assert list(api.groups.values()) == ["a"]


def test_a_create_that_failed_before_committing_is_sent_again_after_the_lookup() -> None:
    api = FakeApi(script={"create": [OutcomeUnknownError("HTTP 503, not committed")]})
    store = Store()
    result = asyncio.run(executor(api, store).execute(Plan((create("a"),)), declared(group("a"))))
    assert result.results[0].ok and result.results[0].message == "created (group_id g1)"
    assert api.calls[:3] == ["create", "list-groups a", "create"]


def test_a_lost_start_adopts_the_new_active_job_of_the_room() -> None:
    api = FakeApi(script={"start": [OutcomeUnknownError("committed, answer lost")]})
    store = Store()
    result = asyncio.run(executor(api, store).execute(Plan((start(),)), declared(job_inputs())))
    assert result.results[0].ok and result.results[0].message == "started (job j1)"
    assert api.calls.count("start") == 1 and list(api.jobs) == ["j1"]
    assert store.records[j("live")].remote_id == "j1"


def test_throttled_writes_are_waited_out_and_not_failures() -> None:
    api = FakeApi(script={"create": [throttled(), throttled()], "start": [throttled()]})
    store = Store()
    run = executor(api, store)
    result = asyncio.run(run.execute(Plan((create("a"), start())), declared(group("a"), job_inputs())))
    assert [r.ok for r in result.results] == [True, True]
    assert run.throttled_waits == 3
    assert result.summary_line().startswith("Apply complete: 2 created")


def test_a_failure_shows_the_api_error_and_does_not_stop_independent_actions() -> None:
    api = FakeApi(script={"create a": [RemoteError(400, "MSS.00000003", "Invalid parameter: group_name")]})
    store = Store()
    plan = Plan((create("a"), create("b"), start()))
    result = asyncio.run(executor(api, store).execute(plan, declared(group("a"), group("b"), job_inputs())))
    failed = [r for r in result.results if not r.ok]
    assert len(failed) == 1 and failed[0].message == "MSS.00000003: Invalid parameter: group_name"
    assert failed[0].address == g("a")
    assert sorted(r.address for r in result.results if r.ok) == [g("b"), j("live")]
    assert (
        result.summary_line()
        == "Apply finished with errors: 2 created, 0 updated, 0 restarted, 0 stopped or deleted."
    )


def test_a_live_job_is_not_restarted_without_permission_and_the_rest_is_done() -> None:
    api = FakeApi(jobs={"j9": ROOM})
    store = Store()
    # As the planner makes it (kinds/live_job.plan_job): a restart interrupts the stream.
    restart = ResourceChange(
        j("live"),
        RESTART,
        Reason(ReasonCode.RESTART_REQUIRED, forced_by=("video_config",)),
        remote_id="j9",
        room_id=ROOM,
        interrupts_stream=True,
    )
    result = asyncio.run(
        executor(api, store).execute(Plan((create("a"), restart)), declared(group("a"), job_inputs()))
    )
    skipped = [r for r in result.results if r.skipped]
    assert len(skipped) == 1 and "would interrupt the broadcast" in skipped[0].message
    assert api.jobs == {"j9": ROOM} and "stop" not in api.calls
    assert any(r.ok and r.address == g("a") for r in result.results)


def test_adopt_records_completes_intents_the_plan_matched_and_refreshes_stale_groups() -> None:
    store = Store()
    desired = declared(*(group(n) for n in ("a", "b", "c", "d")))
    managed = {
        g("a"): ManagedRecord(g("a"), PENDING, fingerprint="old"),
        g("b"): ManagedRecord(g("b"), "gb", fingerprint="", update_time="t0"),
        g("c"): ManagedRecord(
            g("c"), "gc", fingerprint=desired[g("c")].value.fingerprint, update_time="t-gc"
        ),
        g("d"): ManagedRecord(g("d"), PENDING),
        j("live"): ManagedRecord(j("live"), PENDING, ROOM, field_fingerprints={"x": "1"}),
        j("other"): ManagedRecord(j("other"), PENDING, "room-2"),
    }

    def noop(name: str, remote_id: str) -> ResourceChange:
        return ResourceChange(g(name), (Action.NOOP,), Reason(ReasonCode.MATCHES), remote_id=remote_id)

    plan = Plan(
        (
            noop("a", "ga"),  # an intent whose group exists and matches: adopted
            noop("b", "gb"),  # imported (no fingerprint) and matching: refreshed
            noop("c", "gc"),  # up to date: left alone
            create("d"),  # an intent whose create never happened: left for this apply's create
            ResourceChange(
                j("live"),
                (Action.NOOP,),
                Reason(ReasonCode.RUNNING, remote_state="PROCESSING"),
                remote_id="j7",
                room_id=ROOM,
            ),
            start("other", "room-2"),
        )
    )
    # The live views the plan was made from (update_times of the groups, the room's active job).
    live: Mapping[str, Any] = {
        rule_group.NAME: LiveGroups(tuple(LiveGroup(f"g{n}", n, f"t-g{n}") for n in ("a", "b", "c"))),
        live_job.NAME: LiveJobs((LiveJob("j7", ROOM, "PROCESSING"),)),
    }
    notes = executor(FakeApi(), store).adopt_records(plan, managed, desired, live)
    assert notes == [
        "InteractionRuleGroup/a: recorded group_id ga, created by an interrupted apply",
        "SmartLiveJob/live: recorded job j7, started by an interrupted apply",
    ]
    assert [w[1] for w in store.writes] == [g("a"), g("b"), j("live")]
    a, b, job = (store.records[k] for k in (g("a"), g("b"), j("live")))
    assert (a.remote_id, a.fingerprint, a.update_time) == ("ga", desired[g("a")].value.fingerprint, "t-ga")
    assert (b.fingerprint, b.update_time) == (desired[g("b")].value.fingerprint, "t-gb")
    assert (job.remote_id, dict(job.field_fingerprints)) == ("j7", {"x": "1"})


def test_forget_gone_drops_only_undeclared_records_of_objects_that_no_longer_exist() -> None:
    store = Store()
    managed = {
        g("gone"): ManagedRecord(g("gone"), "g1"),
        g("alive"): ManagedRecord(g("alive"), "g2"),
        g("declared"): ManagedRecord(g("declared"), "g3"),
        j("ended"): ManagedRecord(j("ended"), "j1", ROOM),
        j("intent"): ManagedRecord(j("intent"), PENDING, ROOM),
    }
    # What exists: group g2 only, and no active job.
    live: Mapping[str, Any] = {
        rule_group.NAME: LiveGroups((LiveGroup("g2", "alive"),)),
        live_job.NAME: LiveJobs(()),
    }
    notes = executor(FakeApi(), store).forget_gone(managed, {g("declared")}, live)
    assert notes == [
        "InteractionRuleGroup/gone: forgotten, no group_id g1 exists any more",
        "SmartLiveJob/ended: forgotten, no active job j1 exists any more",
    ]
    assert executor(FakeApi(), Store()).forget_gone(managed, set(), live, targets=[g("alive")]) == []


def test_start_limiter_spaces_starts_evenly_below_the_rate_and_pauses_after_a_429() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 4))
        now[0] += seconds + 0.01  # every wake-up is 10 ms late: the next start keeps its full interval

    async def run() -> None:
        limiter = Pacer(4.0, clock=lambda: now[0], sleep=sleep)
        for _ in range(3):
            await limiter.wait()
        limiter.pause(2.0)
        await limiter.wait()

    asyncio.run(run())
    step = round((1 + START_SPACING_MARGIN) / 4, 4)
    assert slept == [step, step, 2.0]
    # Any one-second window holds at most 4 starts: 4 intervals span more than a second.
    assert 4 * step > 1.0


def test_delete_of_a_group_already_gone_counts_as_done() -> None:
    api = FakeApi(script={"delete": [RemoteError(404, "MSS.10001001", "not found")]})
    store = Store(records={g("old"): ManagedRecord(g("old"), "g5")})
    delete = ResourceChange(g("old"), (Action.DELETE,), Reason(ReasonCode.PRUNED), remote_id="g5")
    result = asyncio.run(executor(api, store).execute(Plan((delete,)), {}))
    assert result.results[0].ok and result.results[0].message == "deleted (group_id g5)"
    assert g("old") not in store.records


@pytest.mark.parametrize("rate", [4.0, 3.0])
def test_limiter_interval_follows_the_configured_rate(rate: float) -> None:
    assert Pacer(rate).interval == pytest.approx((1 + START_SPACING_MARGIN) / rate)


def restart_of(
    name: str, job_id: str, room: str, code: ReasonCode = ReasonCode.RESTART_REQUIRED
) -> ResourceChange:
    """A restart as the planner makes it (kinds/live_job.plan_job): it interrupts the stream."""
    return ResourceChange(
        j(name),
        RESTART,
        Reason(code, forced_by=("video_config",)),
        remote_id=job_id,
        room_id=room,
        interrupts_stream=True,
    )


@dataclass
class RecordingLimiter:
    """A start limiter that notes each slot it hands out among the API's calls, to see their order."""

    calls: list[str]

    async def wait(self) -> None:
        self.calls.append("start-slot")

    def pause(self, seconds: float) -> None:
        self.calls.append("pause")


def test_a_restart_takes_its_start_slot_before_the_stop_and_starts_right_after_it() -> None:
    api = FakeApi(jobs={"j9": ROOM})
    store = Store()
    run = executor(api, store, allow_restart=True)
    run.limiters["StartSmartLive"] = RecordingLimiter(api.calls)
    result = asyncio.run(run.execute(Plan((restart_of("live", "j9", ROOM),)), declared(job_inputs())))
    assert [r.message for r in result.results] == ["restarted: job j9 stopped, job j1 started"]
    # The room's jobs are listed and the slot taken while the old job still runs; then stop, start.
    assert api.calls == ["list-jobs", "start-slot", "stop", "start"]
    assert store.of(j("live")) == [("put", PENDING), ("put", "j1")]  # the intent after the stop, as before


def test_a_restart_throttled_after_its_stop_waits_for_a_new_slot() -> None:
    api = FakeApi(jobs={"j9": ROOM}, script={"start": [throttled()]})
    run = executor(api, Store(), allow_restart=True)
    run.limiters["StartSmartLive"] = RecordingLimiter(api.calls)
    result = asyncio.run(run.execute(Plan((restart_of("live", "j9", ROOM),)), declared(job_inputs())))
    assert result.results[0].ok
    assert api.calls == ["list-jobs", "start-slot", "stop", "start", "pause", "start-slot", "start"]


def test_replace_requested_is_the_consent_the_restart_guard_asks_for() -> None:
    api = FakeApi(jobs={"j9": ROOM})
    change = restart_of("live", "j9", ROOM, ReasonCode.REPLACE_REQUESTED)
    result = asyncio.run(executor(api, Store()).execute(Plan((change,)), declared(job_inputs())))
    assert result.results[0].ok and api.jobs == {"j1": ROOM}


def test_stop_begins_no_new_action_and_reports_every_other_one_as_not_done() -> None:
    api = FakeApi()
    store = Store()
    run = Executor(
        api,  # type: ignore[arg-type]
        store,
        TARGET,
        ApplyOptions(parallelism=1, applied_by="tester"),
        fingerprint=fp,
        on_result=lambda _result: run.stop(),  # Ctrl-C as the first action finishes
    )
    names = ("a", "b", "c")
    result = asyncio.run(
        run.execute(Plan(tuple(create(n) for n in names)), declared(*(group(n) for n in names)))
    )
    assert [r.address for r in result.results] == [g("a")]
    assert [(n.address, n.verb, n.cut_off) for n in result.not_done] == [
        (g("b"), "create", False),
        (g("c"), "create", False),
    ]
    assert result.interrupted and result.summary_line().startswith("Apply interrupted: 1 created")
    document = result.as_json()
    assert document["interrupted"] and document["summary"]["not_done"] == 2
    assert document["not_done"][0] == {
        "address": str(g("b")),
        "verb": "create",
        "remote_id": "",
        "cut_off": False,
    }
    assert list(api.groups.values()) == ["a"]
    assert store.records[g("a")].remote_id == "g1"  # what was done is recorded


def test_force_cuts_off_the_actions_in_flight_and_keeps_what_they_recorded() -> None:
    async def scenario() -> tuple[Executor, Store]:
        hold = asyncio.Event()  # the create's answer never comes
        api = FakeApi()
        store = Store()
        run = executor(api, store)

        async def never(_body: models.InteractionRuleGroup) -> str:
            hold.set()
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        api.create_rule_group = never  # type: ignore[method-assign]
        running = asyncio.create_task(run.execute(Plan((create("a"),)), declared(group("a"))))
        await hold.wait()
        run.stop()
        run.force()
        result = await running
        assert [(n.address, n.cut_off) for n in result.not_done] == [(g("a"), True)]
        assert result.interrupted and not result.results
        return run, store

    _, store = asyncio.run(scenario())
    assert store.of(g("a")) == [("put", PENDING)]  # the intent stays: the next apply looks the group up


def test_a_lost_lock_stops_the_run_and_nothing_more_is_written_anywhere() -> None:
    """The lock is taken while b's create is on its way: b's answer is not recorded (its intent stays,
    for the next apply to adopt), c is never sent, and the run says why it stopped."""
    api, store = FakeApi(), Store()

    def lose_the_lock() -> None:
        store.lost = True

    api.script["create b"] = [lose_the_lock]
    run = Executor(
        api,  # type: ignore[arg-type]
        store,
        TARGET,
        ApplyOptions(parallelism=1, applied_by="tester"),
        fingerprint=fp,
    )
    names = ("a", "b", "c")
    result = asyncio.run(
        run.execute(Plan(tuple(create(n) for n in names)), declared(*(group(n) for n in names)))
    )

    assert result.lock_lost == "its database session ended"
    assert [r.address for r in result.results] == [g("a")]
    # b's write was sent (it may be half done: cut off); c was never begun.
    assert [(n.address, n.cut_off) for n in result.not_done] == [(g("b"), True), (g("c"), False)]
    assert sorted(api.groups.values()) == ["a", "b"] and api.calls.count("create") == 2
    assert store.of(g("b")) == [("put", PENDING)] and store.of(g("c")) == []
    assert result.summary_line().startswith("Apply stopped (the state lock was lost): 1 created")
    assert result.as_json()["lock_lost"] == "its database session ended"


def test_at_most_parallelism_actions_run_at_once() -> None:
    async def scenario() -> int:
        api = FakeApi()
        running = peak = 0

        async def create_group(body: models.InteractionRuleGroup) -> str:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0)
            running -= 1
            return f"g-{body.group_name}"

        api.create_rule_group = create_group  # type: ignore[method-assign]
        run = Executor(api, Store(), TARGET, ApplyOptions(parallelism=3), fingerprint=fp)  # type: ignore[arg-type]
        names = [f"n{i}" for i in range(10)]
        result = await run.execute(
            Plan(tuple(create(n) for n in names)), declared(*(group(n) for n in names))
        )
        assert len(result.results) == 10 and not result.failed
        return peak

    assert asyncio.run(scenario()) == 3
