"""Desired + live (+ what was applied) -> Plan. A pure function: no I/O, no clock, no printing.

Every kind plans its own resources (reconciler/engine/kind.py); this module loops over the kinds,
adds stack ownership (engine/stacks.py), prune, --target and the dependency edges, and orders the
result. It never names a kind.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reconciler.engine.kind import Desired, Kind, PlanContext, in_reference_order
from reconciler.engine.plan import Action, Plan, Reason, ReasonCode, ResourceChange
from reconciler.engine.stacks import Ownership, StackConflictError, object_conflict
from reconciler.resources import NO_STACK, Address, ManagedRecord


@dataclass(frozen=True)
class PlanOptions:
    prune: bool = False
    targets: frozenset[Address] = frozenset()
    #: --replace: declared resources to write again even when nothing differs.
    replace: frozenset[Address] = frozenset()
    #: The stack planned (engine/stacks.py): prune sees its records only, another stack's are its own.
    stack: str = NO_STACK


@dataclass(frozen=True)
class PlanInput:
    """One kind's share of a plan: its declarations and its live view."""

    kind: Kind[Any, Any]
    desired: Sequence[Desired[Any]]
    live: Any


def live_fingerprint(inputs: Sequence[PlanInput]) -> str:
    """Digest of what a saved plan depends on: each kind's ids and versions (its live_material)."""
    material = {i.kind.name: i.kind.live_material(i.live) for i in inputs}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def make_plan(
    inputs: Sequence[PlanInput],
    *,
    managed: Mapping[Address, ManagedRecord] | None = None,
    options: PlanOptions = PlanOptions(),
) -> Plan:
    """Compare and decide. `managed` is every stack's records of the target (None when no state store
    is in use: then nothing is known to be managed, and a namesake is matched as before stacks)."""
    owners = Ownership(options.stack, managed or {})
    owners.check_declared(d.address for i in inputs for d in i.desired)
    # Only this stack's records (and those from before stacks) follow a renamed manifest.
    records, moves, notes = _follow_moves(inputs, owners.visible)
    recorded_ids = {(r.kind, r.remote_id) for r in records.values()}
    changes: list[ResourceChange] = []
    conflicts: list[str] = []
    planned: dict[Address, ResourceChange] = {}
    for item in _in_reference_order(inputs):
        ctx = PlanContext(dict(planned), replace=options.replace)
        for desired in item.desired:
            record = records.get(desired.address)
            matched = item.kind.match(desired, item.live, record, ctx)
            change = item.kind.plan(desired, matched, record, ctx)
            owner = owners.owner_of(change.kind, change.remote_id)
            if owner is not None:
                conflicts.append(
                    object_conflict(change.address, item.kind.remote_id_name, change.remote_id or "", owner)
                )
            elif (
                managed is not None
                and record is None
                and item.kind.matched_by_name
                and change.remote_id
                # Recorded under another address of this stack: a rename, which _claimed_moves follows.
                and (change.kind, change.remote_id) not in recorded_ids
            ):
                change = _unmanaged(change, options.stack)
            if desired.references:
                change = replace(change, depends_on=tuple(sorted({r.target for r in desired.references})))
            changes.append(change)
            planned[change.address] = change
    if conflicts:
        raise StackConflictError("\n".join(conflicts))
    changes, records = _claimed_moves(changes, records, moves)
    owners = Ownership(options.stack, {**owners.foreign, **records})

    if options.prune:
        if managed is None:
            notes.append(
                "--prune planned nothing: without a state store smartlive does not know which objects it manages."
            )
        else:
            changes.extend(_prune(inputs, owners.own))
    elif managed is not None:
        # Without --prune they are kept, but a plan never hides them (the JSON plan lists them too).
        changes.extend(_kept(c) for c in _prune(inputs, owners.own))
    # Records from before stacks that this stack does not declare may be another stack's: never pruned.
    changes.extend(_kept(c, ReasonCode.ORPHANED_NO_STACK) for c in _prune(inputs, owners.legacy))

    changes = _with_dependencies(inputs, changes)
    if options.targets:
        unknown = options.targets - {c.address for c in changes}
        if unknown:
            notes.append("--target matched nothing for: " + ", ".join(sorted(str(a) for a in unknown)))
        kept = _with_what_they_need(options.targets, changes)
        added = kept - options.targets
        if added:
            notes.append(
                "--target also plans what the targets depend on: " + ", ".join(sorted(str(a) for a in added))
            )
        changes = [c for c in changes if c.address in kept]
    changes.sort(key=lambda c: c.address)
    return Plan(tuple(changes), live_fingerprint(inputs), tuple(notes), stack=options.stack)


def _follow_moves(
    inputs: Sequence[PlanInput], managed: Mapping[Address, ManagedRecord]
) -> tuple[dict[Address, ManagedRecord], dict[Address, Address], list[str]]:
    """The records as the plan sees them once each renamed manifest (smartlive.io/previous-name) has
    taken over its previous address's record; the moves (new -> old); notes on moves not made."""
    declared = {d.address: d for i in inputs for d in i.desired}
    records = dict(managed)
    moves: dict[Address, Address] = {}
    notes: list[str] = []
    for address, desired in declared.items():
        old = desired.moved_from
        if old is None or old == address or old not in records:
            continue
        if old in declared:
            notes.append(f"{address}: its previous name {old} is still declared; no record was moved")
            continue
        previous, current = records[old], records.get(address)
        if current is not None and current.remote_id != previous.remote_id:
            notes.append(
                f"{address}: not moved from {old}: both are recorded, for different objects; "
                f"`smartlive state rm` the stale one"
            )
            continue
        # A record at the new address for the same object is what an interrupted move left: finish it.
        records[address] = current or replace(previous, address=address)
        del records[old]
        moves[address] = old
    return records, moves, notes


def _claimed_moves(
    changes: list[ResourceChange], records: dict[Address, ManagedRecord], moves: Mapping[Address, Address]
) -> tuple[list[ResourceChange], dict[Address, ManagedRecord]]:
    """Mark the moves; and move the record of an undeclared address whose object a declared resource of
    the same kind now matches (a renamed job manifest matches its room's running job): its object is
    still declared, so --prune must not stop or delete it."""
    claimed = {(c.kind, c.remote_id): c.address for c in changes if c.remote_id and c.address not in moves}
    declared = {c.address for c in changes}
    moves = dict(moves)
    for address, record in sorted(records.items()):
        claimant = claimed.get((address.kind, record.remote_id))
        if address in declared or claimant is None or record.is_intent or claimant in moves:
            continue
        own = records.get(claimant)
        if own is None or own.remote_id != record.remote_id:  # its own record is of an object gone since
            records[claimant] = replace(record, address=claimant)
        del records[address]
        moves[claimant] = address
    if not moves:
        return changes, records
    return [replace(c, moved_from=moves[c.address]) if c.address in moves else c for c in changes], records


def _with_what_they_need(targets: frozenset[Address], changes: Sequence[ResourceChange]) -> set[Address]:
    """The targets and, transitively, the changes they depend on that do something (a room the targeted
    job runs in, a group the targeted room imports), as Terraform's -target includes dependencies: a
    target is never planned without what apply needs to have done before it."""
    by_address = {c.address: c for c in changes}
    kept = set(targets)
    pending = [a for a in targets if a in by_address]
    while pending:
        for dependency in by_address[pending.pop()].depends_on:
            needed = by_address.get(dependency)
            # An unmanaged dependency is kept too, so that apply refuses the target until it is imported.
            wanted = needed is not None and (not needed.is_noop or needed.is_unmanaged)
            if wanted and dependency not in kept:
                kept.add(dependency)
                pending.append(dependency)
    return kept


def _kept(change: ResourceChange, code: ReasonCode = ReasonCode.ORPHANED) -> ResourceChange:
    """What --prune would delete or stop, as a kept resource the plan shows."""
    return replace(change, actions=(Action.NOOP,), reason=Reason(code), interrupts_stream=False)


def _unmanaged(change: ResourceChange, stack: str) -> ResourceChange:
    """A declared resource whose namesake exists and is recorded by no stack: shown, with its id, as
    one to import; nothing is planned for it (a takeover would be silent), so apply refuses it."""
    return ResourceChange(
        change.address,
        (Action.NOOP,),
        Reason(ReasonCode.UNMANAGED, stack=stack),
        before=change.before,
        remote_id=change.remote_id,
        room_id=change.room_id,
    )


def _in_reference_order(inputs: Sequence[PlanInput]) -> list[PlanInput]:
    """The kinds in an order where every kind comes after the kinds its references point at, so that
    planning a resource can see the changes of what it references."""
    by_name = {i.kind.name: i for i in inputs}
    return [by_name[kind.name] for kind in in_reference_order([i.kind for i in inputs])]


def _prune(inputs: Sequence[PlanInput], managed: Mapping[Address, ManagedRecord]) -> list[ResourceChange]:
    """Delete or stop what this tool manages and the manifests no longer declare; nothing else."""
    declared = {d.address for i in inputs for d in i.desired}
    by_kind = {i.kind.name: i for i in inputs}
    out = []
    for address, record in sorted(managed.items()):
        item = by_kind.get(address.kind)
        if address in declared or item is None:
            continue
        change = item.kind.prune(record, item.live)
        if change is not None:
            out.append(change)
    return out


def _with_dependencies(inputs: Sequence[PlanInput], changes: list[ResourceChange]) -> list[ResourceChange]:
    """Add the edges the references do not give: each kind's own order among its changes, and deletes
    after every change of a kind that may have referenced them (Terraform's destroy order: whatever
    pointed at a resource is changed or removed before it goes)."""
    kinds = {i.kind.name: i.kind for i in inputs}
    extra: dict[Address, set[Address]] = defaultdict(set)
    by_kind: dict[str, list[ResourceChange]] = defaultdict(list)
    for change in changes:
        by_kind[change.kind].append(change)
    for name, own in by_kind.items():
        for address, before in kinds[name].sequence(own).items():
            extra[address].update(before)
    for change in changes:
        if not change.is_delete:
            continue
        for name, kind in kinds.items():
            if change.kind in kind.referenced_kinds:
                extra[change.address].update(c.address for c in by_kind.get(name, ()) if not c.is_noop)
    if not extra:
        return changes
    return [
        replace(c, depends_on=tuple(sorted(set(c.depends_on) | extra[c.address])))
        if c.address in extra
        else c
        for c in changes
    ]
