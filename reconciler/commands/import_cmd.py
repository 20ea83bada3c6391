"""`smartlive import ADDRESS REMOTE_ID`: adopt an existing rule group or running job into the state store.

Import changes nothing on the service. It reads the object, checks that it is what the address says,
and records it, under the apply lock, as managed by smartlive: `apply --prune` may then delete or stop
it once no manifest declares it. The record carries no fingerprint of an applied spec, since smartlive
applied none: the next plan compares the group in full, reads a job's configuration back, and shows what
it still cannot compare (stream keys, the callback key) as "? may change" rather than inventing a change.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import exitcodes
from reconciler.commands._environment import use_environment
from reconciler.commands._help import examples
from reconciler.commands._lock import add_lock_timeout_argument
from reconciler.commands._stack import add_stack_argument, named_stack
from reconciler.commands._target import (
    add_target_arguments,
    api_from_args,
    target_from_args,
    time_limits,
)
from reconciler.resources import NO_STACK

if TYPE_CHECKING:
    from reconciler.runs.importer import Imported

ORDER = 35


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from reconciler.state import add_state_arguments

    parser = subparsers.add_parser(
        "import",
        help="adopt an existing rule group, room or running job into the state store",
        description="Record an object that already exists on the service as managed by smartlive, "
        "under the apply lock. Nothing on the service changes. A rule group is named by its group_id "
        "and imported under its own name (InteractionRuleGroup/NAME); a job must be WAITING or "
        "PROCESSING and is imported under the name of the manifest that declares it.",
        **examples(
            "smartlive import InteractionRuleGroup/welcome GROUP_ID --stack shop-a   # by its group_id",
            "smartlive import SmartLiveRoom/flagship-store ROOM_ID --stack shop-a    # a room made in the console",
            "smartlive import SmartLiveJob/store-landscape JOB_ID --local            # a WAITING or PROCESSING job",
        ),
    )
    parser.add_argument(
        "address",
        metavar="ADDRESS",
        help="InteractionRuleGroup/NAME (the group's name), SmartLiveRoom/NAME or SmartLiveJob/NAME (the "
        "manifest's name)",
    )
    parser.add_argument(
        "remote_id",
        metavar="REMOTE_ID",
        help="the group_id of a rule group, the room_id of a room, or the job_id of a running job",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace the record of an address already managed under another remote id",
    )
    add_lock_timeout_argument(parser)
    add_stack_argument(
        parser,
        "the stack to record it under, as plan names it (also SMARTLIVE_STACK; default: none yet, and "
        "the first stack that declares it owns it from its next apply)",
    )
    add_target_arguments(parser)
    add_state_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from reconciler.runs.importer import import_object, parse_address
    from reconciler.state import LockHolder, open_store, whoami

    address = parse_address(args.address)
    use_environment(args)
    target = target_from_args(args)
    stack = named_stack(args) or NO_STACK
    limits = time_limits(args)
    store = open_store(args.state, workdir=Path.cwd())

    async def adopt() -> Imported:
        async with api_from_args(args, target, limits) as api:
            return await import_object(
                api,
                store,
                target.key,
                address,
                args.remote_id,
                force=args.force,
                applied_by=whoami(),
                stack=stack,
            )

    try:
        with store.lock(target.key, timeout=args.lock_timeout, holder=LockHolder.current("import")):
            imported = asyncio.run(adopt())
    finally:
        store.close()
    record = imported.record
    if not imported.written:
        print(f"{address} is already managed as {imported.id_name} {record.remote_id}: nothing to do.")
        return exitcodes.OK
    where = f" in room {record.room_id}" if record.room_id else ""
    owner = (
        f'stack "{record.stack}"'
        if record.stack != NO_STACK
        else "no stack yet (the first stack that declares it owns it from its next apply)"
    )
    print(
        f"Imported {address} ({imported.id_name} {record.remote_id}{where}) into the state of {target.key}, {owner}."
    )
    print(
        "smartlive manages it now: plan compares it with its manifest (what the service shows masked or not at "
        "all is '? may change' until apply next writes it), and `apply --prune` removes it once no manifest "
        "declares it."
    )
    return exitcodes.OK
