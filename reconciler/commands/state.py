"""`smartlive state list|show|rm|mv|unlock`: look at and correct what smartlive has recorded as applied.

None of these touches the remote service: `rm` only forgets, `unlock` only frees the apply lock.
With --stack (or SMARTLIVE_STACK) they see that stack's records and those from before stacks only;
without, every record of the target (an address has one record per target, whatever its stack).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.commands._environment import use_environment
from reconciler.commands._help import examples
from reconciler.commands._stack import add_stack_argument, checked, named_stack
from reconciler.commands._target import add_target_arguments, target_from_args
from reconciler.errors import LockError

if TYPE_CHECKING:
    from reconciler.state import LockHolder, StateStore, StoredRecord

ORDER = 50
#: Fingerprints are shown this short: enough to see that one changed, useless to anyone else.
FINGERPRINT_CHARS = 12


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "state",
        help="inspect the state store: what smartlive applied and manages",
        description="Inspect and correct the state store. Nothing here changes the remote service.",
        **examples(
            "smartlive state list --local                              # what smartlive manages on the emulator",
            "smartlive state show SmartLiveJob/store-landscape --local  # every field recorded for one resource",
            "smartlive state mv InteractionRuleGroup/faq InteractionRuleGroup/faq-shop --local",
        ),
    )
    sub = parser.add_subparsers(dest="state_command", metavar="SUBCOMMAND")
    sub.required = True

    listing = sub.add_parser(
        "list",
        help="list the managed resources of a target",
        **examples(
            "smartlive state list --local                       # the embedded emulator's records",
            "smartlive state list --region cn-north-4 --format json --stack shop-a",
        ),
    )
    listing.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    _common(listing)
    listing.set_defaults(func=run_list)

    show = sub.add_parser(
        "show",
        help="show everything recorded for one resource",
        **examples("smartlive state show InteractionRuleGroup/welcome --local"),
    )
    show.add_argument("address", metavar="ADDRESS", help="e.g. InteractionRuleGroup/greetings")
    _common(show)
    show.set_defaults(func=run_show)

    remove = sub.add_parser(
        "rm",
        help="forget a resource (the remote object is left as it is, and no longer managed)",
        **examples("smartlive state rm SmartLiveJob/old-show --region cn-north-4   # the job keeps running"),
    )
    remove.add_argument("address", metavar="ADDRESS")
    _common(remove)
    remove.set_defaults(func=run_rm)

    move = sub.add_parser(
        "mv",
        help="move a record to another address (a renamed manifest), touching nothing on the service",
        description="Move the record of OLD to NEW, as Terraform's state mv / moved block: after renaming a "
        "manifest, plan matches the remote object to its new name instead of creating another and (with "
        "--prune) deleting or stopping the old one. Both addresses must be of the same kind.",
        **examples(
            "smartlive state mv SmartLiveJob/store SmartLiveJob/flagship --local   # a renamed manifest",
            "smartlive state mv InteractionRuleGroup/welcome --stack shop-a --to-stack shop-b",
        ),
    )
    move.add_argument("old", metavar="OLD", help="the recorded address, e.g. SmartLiveJob/store")
    move.add_argument(
        "new", metavar="NEW", nargs="?", help="the new address, e.g. SmartLiveJob/flagship (default: OLD)"
    )
    move.add_argument(
        "--to-stack",
        metavar="NAME",
        help="give the record to this stack (a manifest moved to another manifest set)",
    )
    _common(move)
    move.set_defaults(func=run_mv)

    unlock = sub.add_parser(
        "unlock",
        help="show or free a target's apply lock",
        **examples(
            "smartlive state unlock --region cn-north-4                  # who holds the lock, since when",
            "smartlive state unlock --state postgresql://ci@db/smartlive --region cn-north-4 --force",
        ),
    )
    unlock.add_argument(
        "--force",
        action="store_true",
        help="break a lock whose holder is gone (PostgreSQL: ends the database session holding it)",
    )
    _common(unlock)
    unlock.set_defaults(func=run_unlock)


def _common(parser: argparse.ArgumentParser) -> None:
    from reconciler.state import add_state_arguments

    add_stack_argument(
        parser,
        "only this stack's records, and those from before stacks (also SMARTLIVE_STACK; default: every "
        "stack's)",
    )
    add_state_arguments(parser)
    add_target_arguments(parser)


@contextmanager
def _opened(args: argparse.Namespace) -> Iterator[tuple[StateStore, str]]:
    from reconciler.state import open_store

    use_environment(args)
    target = target_from_args(args).key
    named_stack(args)  # a bad name is refused before the store is opened
    store = open_store(args.state, workdir=Path.cwd())
    try:
        yield store, target
    finally:
        store.close()


def _in_scope(record: StoredRecord, stack: str | None) -> bool:
    """Whether --stack lets a command see the record: its own, and those from before stacks."""
    from reconciler.resources import NO_STACK

    return stack is None or record.stack in (stack, NO_STACK)


def _stack_cell(stack: str) -> str:
    return stack or "-"


def _short(fp: str) -> str:
    return fp[:FINGERPRINT_CHARS] if fp else "-"


def run_list(args: argparse.Namespace) -> int:
    use_environment(args)  # the project's stack, when it names one
    stack = named_stack(args)
    with _opened(args) as (store, target):
        records = [r for r in store.stored_records(target).values() if _in_scope(r, stack)]
    if args.format == "json":
        rows = [
            {
                "address": str(r.address),
                "kind": r.kind,
                "remote_id": r.remote_id,
                "room_id": r.room_id,
                "update_time": r.update_time,
                "applied_at": r.applied_at,
                "applied_by": r.applied_by,
                "stack": r.stack,
            }
            for r in records
        ]
        doc = {"format_version": "1", "target": target, "store": store.location, "resources": rows}
        print(json.dumps(doc, indent=2, sort_keys=True))
        return 0
    scope = f' (stack "{stack}")' if stack is not None else ""
    if not records:
        print(f"No resources recorded for {target}{scope} in {store.location}.")
        return 0
    table = [("ADDRESS", "KIND", "REMOTE ID", "STACK", "APPLIED AT", "APPLIED BY")]
    table += [
        (str(r.address), r.kind, r.remote_id, _stack_cell(r.stack), r.applied_at, r.applied_by)
        for r in records
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1])
    plural = "s" if len(records) != 1 else ""
    print(f"\n{len(records)} resource{plural} recorded for {target}{scope} in {store.location}.")
    return 0


def _get(store: StateStore, target: str, text: str, stack: str | None) -> StoredRecord:
    from reconciler.resources import Address, AddressError
    from reconciler.state import StateError

    try:
        address = Address.parse(text)
    except AddressError as exc:
        raise StateError(str(exc)) from None
    record = store.get(target, address)
    if record is None:
        raise StateError(
            f"no resource {address} in the state of {target} ({store.location}); "
            "`smartlive state list` shows what is recorded"
        )
    if not _in_scope(record, stack):
        raise StateError(
            f'{address} is managed by stack "{record.stack}", not "{stack}": '
            f"pass --stack {shlex.quote(record.stack)} to work on it"
        )
    return record


def run_show(args: argparse.Namespace) -> int:
    with _opened(args) as (store, target):
        r = _get(store, target, args.address, named_stack(args))
    fields = [
        ("address", str(r.address)),
        ("kind", r.kind),
        ("stack", r.stack or "- (recorded before stacks)"),
        ("remote_id", r.remote_id),
        ("room_id", r.room_id or "-"),
        ("update_time", r.update_time or "-"),
        ("applied_at", r.applied_at),
        ("applied_by", r.applied_by or "-"),
        ("fingerprint", _short(r.fingerprint)),
    ]
    for name, value in fields:
        print(f"{name + ':':<20}{value}")
    if r.field_fingerprints:
        print("field_fingerprints:")
        width = max(len(name) for name in r.field_fingerprints) + 1
        for name, fp in sorted(r.field_fingerprints.items()):
            print(f"  {name + ':':<{width}} {_short(fp)}")
    else:
        print(f"{'field_fingerprints:':<20}-")
    return 0


def run_rm(args: argparse.Namespace) -> int:
    from reconciler.state import LockHolder

    # Under the lock: beside a running apply the removal could be written right back.
    with (
        _opened(args) as (store, target),
        store.lock(target, timeout=0, holder=LockHolder.current("state rm")),
    ):
        record = _get(store, target, args.address, named_stack(args))
        store.remove(target, record.address)
    print(f"Removed {record.address} ({record.kind} {record.remote_id}) from the state of {target}.")
    again = ["smartlive", "import", str(record.address), record.remote_id]
    if record.stack:
        again += ["--stack", record.stack]
    print(
        "The remote object was not touched: smartlive no longer manages it, so `apply --prune` leaves it "
        f"alone. `{' '.join(shlex.quote(w) for w in again)}` adopts it again."
    )
    return 0


def run_mv(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from reconciler.resources import Address, AddressError
    from reconciler.state import LockHolder, StateError

    try:
        new = Address.parse(args.new or args.old)
    except AddressError as exc:
        raise StateError(str(exc)) from None
    to_stack = checked(args.to_stack, "--to-stack") if args.to_stack is not None else None
    # Under the lock: an apply running beside it could write the old record right back.
    with (
        _opened(args) as (store, target),
        store.lock(target, timeout=0, holder=LockHolder.current("state mv")),
    ):
        record = _get(store, target, args.old, named_stack(args))
        stack = record.stack if to_stack is None else to_stack
        if new.kind != record.kind:
            raise StateError(f"{record.address} is a {record.kind}; it cannot move to a {new.kind} address")
        if new == record.address and stack == record.stack:
            raise StateError(f"nothing to move: name a NEW address or another stack (--to-stack) for {new}")
        if new != record.address and store.get(target, new) is not None:
            raise StateError(f"{new} is already recorded; `smartlive state rm {new}` first if it is stale")
        store.put(target, replace(record.as_managed(), address=new, stack=stack), record.applied_by)
        if new != record.address:
            store.remove(target, record.address)
    moved = f'"{_stack_cell(record.stack)}" to stack "{stack}"'
    print(
        f"Moved {record.address} to {new} ({record.kind} {record.remote_id})"
        + (f", from stack {moved}" if stack != record.stack else "")
        + "; the service was not touched."
    )
    return 0


def _alive_here(holder: LockHolder) -> bool:
    if holder.pid <= 0 or holder.host != socket.gethostname():
        return False
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_unlock(args: argparse.Namespace) -> int:
    with _opened(args) as (store, target):
        holder = store.lock_info(target)
        if holder is None:
            if args.force:
                store.force_unlock(target)  # nothing live to break: only clears stale holder records
            print(f"No lock is held on {target} ({store.location}).")
            return 0
        if not args.force:
            how = (
                "If that process is gone, `smartlive state unlock --force` ends the database session that "
                "still holds the lock."
                if store.can_break_locks
                else "The lock is released the moment that process exits; let it finish or stop it."
            )
            raise LockError(f"{target} is locked by {holder.describe()}. {how}")
        if store.can_break_locks and _alive_here(holder):
            # Breaking the lock under a live apply would let a second apply run beside it.
            raise LockError(
                f"{target} is locked by {holder.describe()}, which is still running on this host: stop it "
                f"(kill {holder.pid}) rather than breaking its lock"
            )
        store.force_unlock(target)
    print(f"Released the lock on {target} held by {holder.describe()}.")
    return 0
