"""The engine's generic machinery with kinds of its own: references become `depends_on`, apply runs the
graph level by level, deletes wait for their referrers, a failure skips exactly its dependents, and
validate's set checks report undeclared references and cycles. Nothing here names a built-in kind: the
engine must work for any kind behind the protocol."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from reconciler.engine.graph import DependencyCycleError, dependents, levels
from reconciler.engine.kind import (
    Adoption,
    Applied,
    ApplyContext,
    BuildContext,
    Desired,
    PlanContext,
    ReadRequest,
)
from reconciler.engine.plan import Action, Reason, ReasonCode, ResourceChange
from reconciler.engine.planner import PlanInput, PlanOptions, make_plan
from reconciler.engine.references import reference_cycles, undeclared_references
from reconciler.errors import RemoteError
from reconciler.manifest import codes
from reconciler.manifest.registry import KindSpec, Manifest, ResourceRef, SetCheck, SourceLocation
from reconciler.manifest.secrets import Secret
from reconciler.resources import Address, ManagedRecord, Reference
from reconciler.runs.apply import ApplyOptions, Executor

BASE = "Base"
USER = "User"


@dataclass
class Calls:
    order: list[str] = field(default_factory=list)
    fail: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Value:
    name: str
    #: Names of Base resources this one references (User kind only).
    uses: tuple[str, ...] = ()


class FakeKind:
    """A kind whose live view is the set of names that exist; apply records the call order."""

    remote_id_name = "id"
    live_noun = "id"
    matched_by_name = False

    def __init__(self, name: str, calls: Calls, referenced: frozenset[str] = frozenset()) -> None:
        self.name = name
        self.calls = calls
        self.referenced_kinds = referenced

    def document(self) -> KindSpec:
        raise NotImplementedError

    def set_checks(self) -> tuple[SetCheck, ...]:
        return ()

    def references(self, manifest: Manifest[Any]) -> Iterable[Reference]:
        return ()

    def secret_references(self, manifest: Manifest[Any]) -> Iterable[tuple[str, Secret]]:
        return ()

    def build(self, manifest: Manifest[Any], ctx: BuildContext) -> Desired[Value]:
        raise NotImplementedError

    async def read(self, api: Any, request: ReadRequest) -> frozenset[str]:
        return frozenset()

    def match(
        self, desired: Desired[Value], live: frozenset[str], record: ManagedRecord | None, ctx: PlanContext
    ) -> Sequence[str]:
        return [desired.address.name] if desired.address.name in live else []

    def plan(
        self, desired: Desired[Value], matched: Sequence[str], record: ManagedRecord | None, ctx: PlanContext
    ) -> ResourceChange:
        # What a referring resource can know at plan time: the referenced ids that exist already.
        after = {"uses": [ctx.remote_id(Address(BASE, used)) for used in desired.value.uses]}
        if matched:
            return ResourceChange(
                desired.address, (Action.NOOP,), Reason(ReasonCode.MATCHES), after=after, remote_id=matched[0]
            )
        return ResourceChange(desired.address, (Action.CREATE,), Reason(ReasonCode.ABSENT), after=after)

    def prune(self, record: ManagedRecord, live: frozenset[str]) -> ResourceChange | None:
        if record.address.name not in live:
            return None
        return ResourceChange(
            record.address, (Action.DELETE,), Reason(ReasonCode.PRUNED), remote_id=record.remote_id
        )

    def sequence(self, changes: Sequence[ResourceChange]) -> Mapping[Address, tuple[Address, ...]]:
        return {}

    def live_material(self, live: frozenset[str]) -> Any:
        return sorted(live)

    def live_ids(self, live: frozenset[str]) -> Collection[str]:
        return live

    def adopt(
        self,
        change: ResourceChange,
        record: ManagedRecord,
        desired: Desired[Value] | None,
        live: frozenset[str],
    ) -> Adoption | None:
        return None

    async def apply(
        self, change: ResourceChange, desired: Desired[Value] | None, ctx: ApplyContext
    ) -> Applied:
        await asyncio.sleep(0)
        name = str(change.address)
        if name in self.calls.fail:
            raise RemoteError(400, "MSS.00000003", f"{name} refused")
        resolved = []
        if desired is not None:
            resolved = [ctx.resolve(Address(BASE, used)) for used in desired.value.uses]
        self.calls.order.append(f"{change.actions[0]} {name}")
        return Applied(f"done {resolved}", remote_id=f"id-{change.address.name}")

    async def settle(self, ctx: ApplyContext, written: Mapping[Address, Desired[Value]]) -> None:
        return None

    async def import_record(self, api: Any, address: Address, remote_id: str) -> ManagedRecord:
        raise NotImplementedError


def base(name: str) -> Desired[Value]:
    return Desired(Address(BASE, name), Value(name))


def user(name: str, *uses: str) -> Desired[Value]:
    address = Address(USER, name)
    refs = tuple(Reference(address, ("spec", "uses", i), Address(BASE, u)) for i, u in enumerate(uses))
    return Desired(address, Value(name, uses), references=refs)


def kinds(calls: Calls) -> tuple[FakeKind, FakeKind]:
    return FakeKind(BASE, calls), FakeKind(USER, calls, referenced=frozenset({BASE}))


def test_a_reference_becomes_depends_on_and_apply_runs_the_referenced_change_first() -> None:
    calls = Calls()
    base_kind, user_kind = kinds(calls)
    # The referring kind comes first in the inputs: order must come from the graph, not from the kinds.
    inputs = [
        PlanInput(user_kind, [user("u1", "b1"), user("u2")], frozenset()),
        PlanInput(base_kind, [base("b1")], frozenset()),
    ]
    plan = make_plan(inputs)
    by_address = {c.address: c for c in plan.changes}
    assert by_address[Address(USER, "u1")].depends_on == (Address(BASE, "b1"),)
    assert by_address[Address(USER, "u2")].depends_on == ()
    assert [[str(c.address) for c in level] for level in levels(plan.actionable)] == [
        ["Base/b1", "User/u2"],
        ["User/u1"],
    ]

    executor = Executor(None, None, "t", ApplyOptions(), kinds=[base_kind, user_kind])  # type: ignore[arg-type]
    desired = {d.address: d for d in (user("u1", "b1"), user("u2"), base("b1"))}
    result = asyncio.run(executor.execute(plan, desired))
    assert calls.order.index("create Base/b1") < calls.order.index("create User/u1")
    # The resolver gave u1 the id its reference's create returned in this very run.
    u1 = next(r for r in result.results if r.address == Address(USER, "u1"))
    assert u1.ok and u1.message == "done ['id-b1']"


def test_a_referring_kind_is_planned_after_what_it_references_and_sees_its_ids() -> None:
    base_kind, user_kind = kinds(Calls())
    inputs = [
        PlanInput(user_kind, [user("u1", "b1", "b2")], frozenset()),
        PlanInput(base_kind, [base("b1"), base("b2")], frozenset({"b1"})),
    ]
    (u1,) = [c for c in make_plan(inputs).changes if c.kind == USER]
    # b1 exists (its id is known at plan time); b2 is to be created: known only after apply.
    assert u1.after == {"uses": ["b1", None]}


def test_a_failure_skips_exactly_its_dependents_and_reports_them() -> None:
    calls = Calls(fail={"Base/b1"})
    base_kind, user_kind = kinds(calls)
    inputs = [
        PlanInput(base_kind, [base("b1"), base("b2")], frozenset()),
        PlanInput(user_kind, [user("u1", "b1"), user("u2", "b2"), user("u3")], frozenset()),
    ]
    plan = make_plan(inputs)
    executor = Executor(None, None, "t", ApplyOptions(), kinds=[base_kind, user_kind])  # type: ignore[arg-type]
    desired = {d.address: d for d in (base("b1"), base("b2"), user("u1", "b1"), user("u2", "b2"), user("u3"))}
    result = asyncio.run(executor.execute(plan, desired))
    outcome = {str(r.address): (r.ok, r.skipped) for r in result.results}
    assert outcome == {
        "Base/b1": (False, False),
        "Base/b2": (True, False),
        "User/u1": (False, True),
        "User/u2": (True, False),
        "User/u3": (True, False),
    }
    skipped = next(r for r in result.results if str(r.address) == "User/u1")
    assert "depends on Base/b1" in skipped.message
    assert "create User/u1" not in calls.order


def test_a_delete_waits_for_every_change_of_a_kind_that_may_reference_it() -> None:
    calls = Calls()
    base_kind, user_kind = kinds(calls)
    managed = {
        Address(BASE, "old"): ManagedRecord(Address(BASE, "old"), "id-old"),
        Address(USER, "gone"): ManagedRecord(Address(USER, "gone"), "id-gone"),
    }
    inputs = [
        PlanInput(base_kind, [], frozenset({"old"})),
        PlanInput(user_kind, [user("u1")], frozenset({"gone"})),
    ]
    plan = make_plan(inputs, managed=managed, options=PlanOptions(prune=True))
    by_address = {c.address: c for c in plan.changes}
    assert by_address[Address(BASE, "old")].actions == (Action.DELETE,)
    assert set(by_address[Address(BASE, "old")].depends_on) == {Address(USER, "u1"), Address(USER, "gone")}
    executor = Executor(None, None, "t", ApplyOptions(), kinds=[base_kind, user_kind])  # type: ignore[arg-type]
    asyncio.run(executor.execute(plan, {Address(USER, "u1"): user("u1")}))
    assert calls.order[-1] == "delete Base/old"


def test_levels_refuse_a_cycle_and_dependents_are_transitive() -> None:
    a, b, c = Address(BASE, "a"), Address(BASE, "b"), Address(BASE, "c")
    reason = Reason(ReasonCode.ABSENT)
    chain = [
        ResourceChange(a, (Action.CREATE,), reason),
        ResourceChange(b, (Action.CREATE,), reason, depends_on=(a,)),
        ResourceChange(c, (Action.CREATE,), reason, depends_on=(b,)),
    ]
    assert dependents(chain)[a] == frozenset({b, c})
    looped = [*chain[1:], ResourceChange(a, (Action.CREATE,), reason, depends_on=(c,))]
    with pytest.raises(DependencyCycleError, match="cycle"):
        levels(looped)


def _ref(kind: str, name: str, line: int) -> ResourceRef:
    return ResourceRef(kind, name, SourceLocation("set.yaml", 0, line))


def test_validate_reports_an_undeclared_reference_at_the_referring_field() -> None:
    summaries = [
        (_ref(BASE, "b1", 1), ()),
        (_ref(USER, "u1", 5), ((("spec", "uses", 0), BASE, "b1"), (("spec", "uses", 1), BASE, "missing"))),
    ]
    ((where, finding),) = list(undeclared_references(summaries))
    assert where.name == "u1"
    assert finding.code == codes.REFERENCE_UNDECLARED
    assert finding.path == ("spec", "uses", 1)
    assert "Base/missing" in finding.message
    assert list(undeclared_references(summaries[:1])) == []


def test_validate_reports_a_reference_cycle_once() -> None:
    summaries = [
        (_ref(USER, "a", 1), ((("spec", "uses", 0), USER, "b"),)),
        (_ref(USER, "b", 9), ((("spec", "uses", 0), USER, "a"),)),
        (_ref(USER, "c", 20), ((("spec", "uses", 0), USER, "a"),)),
    ]
    findings = list(reference_cycles(summaries))
    assert len(findings) == 1
    assert findings[0][1].code == codes.REFERENCE_CYCLE
    assert "User/a" in findings[0][1].message and "User/b" in findings[0][1].message
    assert list(reference_cycles(summaries[2:])) == []
