"""What an apply or an import writes for its stack (engine/stacks.py says what a stack sees).

Kinds build their records without a stack: a stack is the run's, not the resource's. `StackSink` stamps
it on every record the run writes, so an apply cannot write a record another stack would see as its
own; `claim_legacy` rewrites, under the current stack, the records from before stacks that the plan
declares, so that a later --prune of this stack may remove them once they are no longer declared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from reconciler.engine.plan import Plan
from reconciler.resources import NO_STACK, Address, ManagedRecord
from reconciler.runs.apply import RecordSink


@dataclass(frozen=True)
class StackSink:
    """A state store whose every put records the stack's name."""

    store: RecordSink
    stack: str

    def put(self, target: str, record: ManagedRecord, applied_by: str) -> None:
        self.store.put(target, replace(record, stack=self.stack), applied_by)

    def remove(self, target: str, address: Address) -> bool:
        return self.store.remove(target, address)

    def check_lock(self, target: str) -> None:
        self.store.check_lock(target)


def claim_legacy(
    sink: StackSink,
    target: str,
    plan: Plan,
    records: Mapping[Address, ManagedRecord] | None,
    applied_by: str,
) -> tuple[str, ...]:
    """Record under `sink.stack` the legacy records of the resources the plan declares (after --target);
    one line saying how many, none when there were none."""
    if records is None:
        return ()
    declared = {c.address for c in plan.changes if not c.is_orphan}
    legacy = [r for a, r in sorted(records.items()) if r.stack == NO_STACK and a in declared]
    for record in legacy:
        sink.put(target, record, applied_by)
    if not legacy:
        return ()
    one = len(legacy) == 1
    return (
        f"{len(legacy)} {'record' if one else 'records'} written before stacks now "
        f'{"belongs" if one else "belong"} to stack "{sink.stack}", which declares '
        f"{'it' if one else 'them'}",
    )
