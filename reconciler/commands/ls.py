"""`smartlive ls KIND`: the target's remote objects of one kind, and which stack manages each, if any.

What `kubectl get` is to a cluster: every rule group, room or active job the service lists, managed or
not, so that `smartlive import` has ids to take. Each kind lists itself (Kind.listing, from the service's
list requests alone); the state store's records say which are managed. Nothing on the service changes,
no lock is taken, and nothing secret is shown: only ids, names, states and addresses.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler import exitcodes
from reconciler.commands._environment import use_environment
from reconciler.commands._help import examples
from reconciler.commands._target import (
    add_target_arguments,
    api_from_args,
    target_from_args,
    time_limits,
)

if TYPE_CHECKING:
    from reconciler.engine.kind import Kind, Listed
    from reconciler.resources import ManagedRecord

ORDER = 40
#: The MANAGED BY cell of an object no record names, as `state list` shows a missing stack.
UNMANAGED = "-"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from reconciler.state import add_state_arguments

    parser = subparsers.add_parser(
        "ls",
        help="list the target's rule groups, rooms or active jobs, and the stack managing each",
        description="List every remote object of one kind on the target (for jobs: the WAITING and "
        "PROCESSING ones), with its id, name and state, and the stack and address that manage it, or '-' "
        "for an object smartlive does not manage: its id is what `smartlive import` takes. Nothing on "
        "the service changes. KIND is a manifest kind, in any case, or its short name: "
        "InteractionRuleGroup (group, groups), SmartLiveRoom (room, rooms), SmartLiveJob (job, jobs). "
        "A job has no name of its own: NAME is its room's.",
        **examples(
            "smartlive ls groups --local                               # every rule group, managed or not",
            "smartlive ls SmartLiveRoom --region cn-north-4 --format json",
            "smartlive ls jobs --local                                 # the running jobs, by room",
        ),
    )
    parser.add_argument(
        "kind",
        metavar="KIND",
        help="InteractionRuleGroup, SmartLiveRoom or SmartLiveJob (any case), or groups, rooms, jobs",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    add_target_arguments(parser)
    add_state_arguments(parser)
    parser.set_defaults(func=run)


def chosen_kind(text: str) -> Kind[Any, Any]:
    """The kind KIND names (its name or a short name, any case); a usage error naming the valid ones."""
    from reconciler.errors import UsageError
    from reconciler.kinds import RESOURCE_KINDS

    wanted = text.casefold()
    for kind in RESOURCE_KINDS:
        if wanted in (kind.name.casefold(), *kind.short_names):
            return kind
    valid = ", ".join(f"{kind.name} ({', '.join(kind.short_names)})" for kind in RESOURCE_KINDS)
    raise UsageError(f"unknown KIND {text!r}: one of {valid}")


def run(args: argparse.Namespace) -> int:
    import asyncio

    from reconciler.state import open_store

    kind = chosen_kind(args.kind)
    use_environment(args)
    target = target_from_args(args)
    limits = time_limits(args)

    async def listed() -> list[Listed]:
        async with api_from_args(args, target, limits) as api:
            return list(await kind.listing(api))

    objects = sorted(asyncio.run(listed()), key=lambda o: (o.name, o.remote_id))
    store = open_store(args.state, workdir=Path.cwd())
    try:
        records = store.records(target.key)
    finally:
        store.close()
    managing = {r.remote_id: r for r in records.values() if r.kind == kind.name}
    rows = [_row(kind.name, o, managing.get(o.remote_id)) for o in objects]
    if args.format == "json":
        print(json.dumps(rows, indent=2, sort_keys=True))
        return exitcodes.OK
    if not rows:
        print(f"No {kind.name} found on {target.key}.")
        return exitcodes.OK
    table = [("ID", "NAME", "STATE", "MANAGED BY")]
    table += [
        (row["id"], row["name"] or "-", row["state"] or "-", _managed_by(row["address"], row["stack"]))
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]) - 1)]
    for line in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1])
    return exitcodes.OK


def _row(kind: str, listed: Listed, record: ManagedRecord | None) -> dict[str, Any]:
    """One object as --format json shows it: the same keys for every kind; None where there is nothing
    (a group's state, an unmanaged object's address and stack, a record from before stacks' stack)."""
    return {
        "kind": kind,
        "id": listed.remote_id,
        "name": listed.name,
        "state": listed.state or None,
        "address": str(record.address) if record is not None else None,
        "stack": (record.stack or None) if record is not None else None,
    }


def _managed_by(address: str | None, stack: str | None) -> str:
    if address is None:
        return UNMANAGED
    return f"{address} (stack {stack})" if stack else f"{address} (no stack)"
