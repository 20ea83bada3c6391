"""`smartlive import ADDRESS REMOTE_ID`: adopt an existing rule group or running job into the state store.

Import changes nothing on the service. It reads the object, checks that it is what the address says,
and records it, under the apply lock, as managed by smartlive: `apply --prune` may then delete or stop
it once no manifest declares it. The record carries no fingerprint of an applied spec, since smartlive
applied none: the next plan compares the group in full, and shows a job's fields that the service never
returns (video_config, play_policy, output_urls, ...) as not verifiable rather than inventing a change.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import exitcodes
from reconciler.commands._target import add_target_arguments, open_api, target_from_args
from reconciler.commands.apply import parse_duration
from reconciler.errors import UserError

if TYPE_CHECKING:
    from reconciler.cloud.api import MetaStudioApi
    from reconciler.cloud.config import Target
    from reconciler.engine.planner import ManagedRecord
    from reconciler.state import StateStore

ORDER = 35
GROUP_KIND = "InteractionRuleGroup"
JOB_KIND = "SmartLiveJob"
KINDS = {GROUP_KIND: "group_id", JOB_KIND: "job_id"}


class ImportRefused(UserError):
    """The object cannot be imported as asked (unknown id, wrong kind or name, already managed)."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from reconciler.state import add_state_arguments

    parser = subparsers.add_parser(
        "import",
        help="adopt an existing rule group or running job into the state store",
        description="Record an object that already exists on the service as managed by smartlive, "
        "under the apply lock. Nothing on the service changes. A rule group is named by its group_id "
        "and imported under its own name (InteractionRuleGroup/NAME); a job must be WAITING or "
        "PROCESSING and is imported under the name of the manifest that declares it.",
    )
    parser.add_argument(
        "address",
        metavar="ADDRESS",
        help="InteractionRuleGroup/NAME (the group's name) or SmartLiveJob/NAME (the job manifest's name)",
    )
    parser.add_argument(
        "remote_id", metavar="REMOTE_ID", help="the group_id of a rule group, or the job_id of a running job"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace the record of an address already managed under another remote id",
    )
    parser.add_argument(
        "--lock-timeout",
        type=parse_duration,
        default=0.0,
        metavar="DURATION",
        help="wait this long for a running apply's lock (e.g. 30s; default 0: fail at once)",
    )
    add_target_arguments(parser)
    add_state_arguments(parser)
    parser.set_defaults(func=run)


def parse_address(address: str) -> tuple[str, str]:
    kind, slash, name = address.partition("/")
    if not slash or not name.strip() or kind not in KINDS:
        raise ImportRefused(
            f"{address!r} is not an address smartlive can import: use InteractionRuleGroup/NAME (a rule "
            "group, by its group_name) or SmartLiveJob/NAME (a running job, by its manifest's name)"
        )
    return kind, name


async def _group_record(
    api: MetaStudioApi, target: Target, address: str, name: str, group_id: str
) -> ManagedRecord:
    from reconciler.engine.planner import ManagedRecord
    from reconciler.errors import AuthError, RemoteError

    try:
        group = await api.show_rule_group(group_id)
    except AuthError:
        raise
    except RemoteError as exc:
        if exc.status in (400, 404):
            raise ImportRefused(
                f"no rule group {group_id} in project {target.project_id} "
                f"({exc.code or 'HTTP ' + str(exc.status)}: {exc.error_msg})"
            ) from None
        raise
    actual = group.group_name or ""
    if actual != name:
        raise ImportRefused(
            f"rule group {group_id} is named {actual!r}, not {name!r}: smartlive matches rule groups by name, "
            f"so import it as {GROUP_KIND}/{actual}"
        )
    namesakes = sorted(
        g.group_id or "" for g in await api.list_rule_groups(group_name=name) if g.group_name == name
    )
    if len(namesakes) > 1:
        raise ImportRefused(
            f"{len(namesakes)} rule groups are named {name!r} ({', '.join(namesakes)}): plan could not tell "
            "them apart; delete or rename the others first"
        )
    return ManagedRecord(address, GROUP_KIND, group_id, update_time=group.update_time or "")


async def _job_record(api: MetaStudioApi, target: Target, address: str, job_id: str) -> ManagedRecord:
    from reconciler.engine.planner import ManagedRecord

    active = [job for job in await api.list_project_jobs() if job.job_id == job_id]
    if not active:
        raise ImportRefused(
            f"no running job {job_id} in project {target.project_id}: only a WAITING or PROCESSING job can "
            "be imported (for a job that has ended, apply starts a new one)"
        )
    return ManagedRecord(address, JOB_KIND, job_id, room_id=active[0].room_id or "")


def _check_unmanaged(store: StateStore, target: str, record: ManagedRecord, force: bool) -> bool:
    """False when the address already records this very object (nothing to do); raises when the address
    or the object is managed otherwise."""
    from reconciler.engine.apply import PENDING

    id_name = KINDS[record.kind]
    for other in store.records(target).values():
        if (
            other.address != record.address
            and other.kind == record.kind
            and other.remote_id == record.remote_id
        ):
            raise ImportRefused(
                f"{record.kind} {record.remote_id} is already managed as {other.address}; one object has one "
                f"address (`smartlive state rm {other.address}` first to move it)"
            )
    existing = store.get(target, record.address)
    if existing is None or existing.remote_id == PENDING:  # an interrupted apply's intent: replaced
        return True
    if existing.kind == record.kind and existing.remote_id == record.remote_id:
        return False
    if not force:
        raise ImportRefused(
            f"{record.address} is already managed as {existing.kind} {KINDS.get(existing.kind, 'id')} "
            f"{existing.remote_id} (applied {existing.applied_at} by {existing.applied_by or 'unknown'}); "
            f"pass --force to record {id_name} {record.remote_id} instead"
        )
    return True


def run(args: argparse.Namespace) -> int:
    from reconciler.state import LockHolder, open_store, whoami

    kind, name = parse_address(args.address)
    target = target_from_args(args)
    store = open_store(args.state, workdir=Path.cwd())

    async def lookup() -> ManagedRecord:
        async with open_api(target, args.parallelism) as api:
            if kind == GROUP_KIND:
                return await _group_record(api, target, args.address, name, args.remote_id)
            return await _job_record(api, target, args.address, args.remote_id)

    try:
        with store.lock(target.key, timeout=args.lock_timeout, holder=LockHolder.current("import")):
            record = asyncio.run(lookup())
            id_name = KINDS[kind]
            if not _check_unmanaged(store, target.key, record, args.force):
                print(f"{args.address} is already managed as {id_name} {record.remote_id}: nothing to do.")
                return exitcodes.OK
            store.put(target.key, record, whoami())
    finally:
        store.close()
    where = f" in room {record.room_id}" if record.room_id else ""
    print(f"Imported {args.address} ({id_name} {record.remote_id}{where}) into the state of {target.key}.")
    if kind == GROUP_KIND:
        print(
            "smartlive manages it now: plan compares it with its manifest, and `apply --prune` deletes it "
            "once no manifest declares it."
        )
    else:
        print(
            "smartlive manages it now: plan compares it with its manifest, and `apply --prune` stops it once "
            "no manifest declares it. The fields the service never returns (video_config, play_policy, "
            "output_urls, stream_keys, ...) show as not verifiable until apply next starts or refreshes it."
        )
    return exitcodes.OK
