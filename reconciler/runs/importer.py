"""`smartlive import`'s rules: adopt an existing remote object into the state store, under the current
stack, changing nothing on the service. The kind reads the object and checks it is what the address says
(`Kind.import_record`); this module checks that neither the address nor the object is managed already,
and records it. The record carries no fingerprint of an applied spec, since smartlive applied none: the
next plan compares the object in full (a job by reading its configuration back), and shows what it still
cannot compare (a secret the service masks) as "? may change".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from reconciler.cloud.api import MetaStudioApi
from reconciler.engine.kind import Desired, Fingerprinter, ImportRefused
from reconciler.engine.stacks import address_conflict
from reconciler.kinds import RESOURCE_KINDS, resource_kind
from reconciler.resources import NO_STACK, Address, AddressError, ManagedRecord
from reconciler.state.base import StateStore


@dataclass(frozen=True)
class Imported:
    record: ManagedRecord
    #: False when the address already recorded this very object: nothing was written.
    written: bool
    #: What the remote id is called ("group_id", "job").
    id_name: str


def parse_address(text: str) -> Address:
    """An address of a kind that can be imported, or ImportRefused naming the ones that can."""
    names = " or ".join(f"{kind.name}/NAME" for kind in RESOURCE_KINDS)
    try:
        address = Address.parse(text)
    except AddressError:
        address = None
    if address is None or resource_kind(address.kind) is None:
        raise ImportRefused(f"{text!r} is not an address smartlive can import: use {names}")
    return address


def _check_unmanaged(
    store: StateStore, target: str, record: ManagedRecord, force: bool, id_name: str, stack: str
) -> bool:
    """False when the address already records this very object (nothing to do); raises when the address
    or the object is managed otherwise, or by another stack (whatever --force says)."""
    for other in store.records(target).values():
        if (
            other.address != record.address
            and other.kind == record.kind
            and other.remote_id == record.remote_id
        ):
            by = f' by stack "{other.stack}"' if other.stack not in (stack, NO_STACK) else ""
            raise ImportRefused(
                f"{record.kind} {record.remote_id} is already managed as {other.address}{by}; one object has "
                f"one address (`smartlive state mv {other.address} {record.address}` moves its record)"
            )
    existing = store.get(target, record.address)
    if existing is not None and existing.stack not in (stack, NO_STACK):
        raise ImportRefused(address_conflict(record.address, existing.stack, stack))
    if existing is None or existing.is_intent:  # an interrupted apply's intent: replaced
        return True
    if existing.kind == record.kind and existing.remote_id == record.remote_id:
        return existing.stack != stack  # a record no stack owned is given to the one named
    if not force:
        raise ImportRefused(
            f"{record.address} is already managed as {existing.kind} {id_name} {existing.remote_id} "
            f"(applied {existing.applied_at} by {existing.applied_by or 'unknown'}); "
            f"pass --force to record {id_name} {record.remote_id} instead"
        )
    return True


def _kept(record: ManagedRecord) -> tuple[Any, ...]:
    """What an adoption may bring up to date in a record of the same object."""
    return (record.fingerprint, dict(record.field_fingerprints), record.update_time, record.room_id)


def _owner(store: StateStore, target: str, address: Address) -> str:
    """The stack an import that names none records under: the address's, if it has a record (its id
    may change with --force, its owner does not), else none yet."""
    existing = store.get(target, address)
    return existing.stack if existing is not None else NO_STACK


async def import_object(
    api: MetaStudioApi,
    store: StateStore,
    target: str,
    address: Address,
    remote_id: str,
    *,
    force: bool = False,
    applied_by: str = "",
    stack: str = NO_STACK,
    declared: tuple[Desired[Any], Fingerprinter] | None = None,
) -> Imported:
    """Read, check and record one object under `stack`; the caller holds the target's lock. With no
    stack named, the address's record keeps its owner, and a new record has none: the first stack that
    declares it owns it from its next apply. `declared`: a declaration made from the object and the
    store's fingerprint function (`smartlive export --adopt`): the record then holds what an apply of it
    would (Kind.adopted)."""
    kind = resource_kind(address.kind)
    if kind is None:
        raise ImportRefused(f"{address.kind} is not a kind smartlive manages")
    owner = stack if stack != NO_STACK else _owner(store, target, address)
    record = replace(await kind.import_record(api, address, remote_id), stack=owner)
    if declared is not None:
        record = kind.adopted(record, *declared)
    written = _check_unmanaged(store, target, record, force, kind.remote_id_name, owner)
    if not written and declared is not None:
        existing = store.get(target, address)
        written = existing is None or _kept(existing) != _kept(record)
    if written:
        store.put(target, record, applied_by)
    return Imported(record, written, kind.remote_id_name)
