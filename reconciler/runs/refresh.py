"""`--refresh-only`: bring the state store up to date with what exists, without one write to the service.

What the store records can drift from what runs when someone acts outside smartlive: a job restarted in
the console runs under another job_id, an object deleted by hand is gone. A refresh-only run corrects the
records from what the plan already found, for every kind alike, and touches nothing else:

- a record whose declared resource the plan matched to another remote object (the room's active job now
  has another id) is recorded under that id. What the new object was made with is not known, so the
  record keeps no fingerprint of it: the next plan reads it back and shows what it cannot compare as
  "? may change", as after an import, instead of trusting what smartlive applied to the old one;
- a record whose object the plan did not find any more is dropped;
- nothing is created, and a declared object that no record names is not adopted (`smartlive import` is
  for that).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from reconciler.engine.kind import Kind
from reconciler.engine.plan import Plan
from reconciler.resources import Address, ManagedRecord


@dataclass(frozen=True)
class StoreEdit:
    """One correction of the state store: `after` None drops the record."""

    before: ManagedRecord
    after: ManagedRecord | None
    #: What the remote id is called ("job_id") and what a live object is called ("active job").
    id_name: str
    live_noun: str

    @property
    def address(self) -> Address:
        return self.before.address

    def line(self) -> str:
        """`~ SmartLiveJob/x: job_id J1 -> J2 (...)` or `- SmartLiveJob/x: forgotten, ...`, for the user."""
        old = self.before.remote_id or "(none yet)"
        if self.after is None:
            return f"- {self.address}: forgotten, no {self.live_noun} {old} exists any more"
        return (
            f"~ {self.address}: {self.id_name} {old} -> {self.after.remote_id} "
            "(changed outside smartlive; what it runs with is read back, not taken from what was applied)"
        )


def store_edits(
    plan: Plan,
    managed: Mapping[Address, ManagedRecord],
    kinds: Collection[Kind[Any, Any]],
    targets: Collection[Address] = (),
) -> list[StoreEdit]:
    """The corrections the plan implies, by address. Each change's remote_id is the object that is the
    resource now (declared: the one it matched; undeclared: the one --prune would remove, which exists);
    a record with no change, or a change with no remote object, names nothing that exists."""
    by_name = {kind.name: kind for kind in kinds}
    changes = {c.address: c for c in plan.changes}
    edits = []
    for address, record in sorted(managed.items()):
        kind = by_name.get(address.kind)
        if kind is None or (targets and address not in targets):
            continue  # a kind this build does not know, or not asked for: left as it is
        change = changes.get(address)
        now = change.remote_id or "" if change is not None else ""
        if now == record.remote_id:
            continue
        after = None
        if change is not None and now:
            after = replace(
                record,
                remote_id=now,
                room_id=change.room_id or record.room_id,
                fingerprint="",
                field_fingerprints={},
                update_time="",
            )
        edits.append(StoreEdit(record, after, kind.remote_id_name, kind.live_noun))
    return edits


def summary_line(edits: Collection[StoreEdit], *, done: bool) -> str:
    updated = sum(1 for e in edits if e.after is not None)
    forgotten = len(edits) - updated
    if not edits:
        return "The state store matches MetaStudio: no record to update or forget."
    if done:
        return (
            f"Refresh complete: {updated} record(s) updated, {forgotten} forgotten; "
            "nothing was sent to MetaStudio."
        )
    return (
        f"Refresh-only plan: {updated} record(s) to update, {forgotten} to forget; "
        "apply --refresh-only writes them to the state store, and nothing to MetaStudio."
    )
