"""Desired + live (+ what was applied) -> Plan. A pure function: no I/O, no clock, no printing.

Jobs are matched to live jobs by room: at most one running job may be declared per room (validate
enforces it), and a room with two active jobs where one is declared is an error, not a guess.
Groups are matched by group_name; two live groups with one declared name are an error too.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from reconciler.engine import normalize
from reconciler.engine.diff import diff
from reconciler.engine.plan import (
    GROUP_KIND,
    JOB_KIND,
    RESTART,
    SENSITIVE,
    Action,
    FieldChange,
    Plan,
    ResourceChange,
)
from reconciler.errors import UserError

#: Paths of a job's canonical form that hold secrets; they render as SENSITIVE everywhere.
JOB_SECRET_PATHS = frozenset({"stream_keys", "interaction_callback_url", "live_event_callback_config.key"})
#: Stands for the old value of a field the service does not return: only its fingerprint was kept.
PREVIOUSLY_APPLIED = "(previously applied value)"


class AmbiguityError(UserError):
    """The live state admits more than one reading of a declared resource."""


@dataclass(frozen=True)
class DesiredGroup:
    name: str
    canonical: dict[str, Any]
    #: Digest of the canonical form, compared with the state store's record for the read cache.
    fingerprint: str = ""


@dataclass(frozen=True)
class DesiredJob:
    name: str
    room_id: str
    state: Literal["running", "stopped"]
    observed: dict[str, Any]
    #: Fields the service never returns, canonical, secrets still as references.
    blind: dict[str, Any]
    #: field -> HMAC of the resolved value; None when no state store can verify them.
    blind_fingerprints: Mapping[str, str] | None = None
    #: The whole canonical request (secrets as references): what `after` shows, masked.
    canonical: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveGroup:
    group_id: str
    group_name: str
    update_time: str = ""
    #: None when the group was not read because the state store shows it unchanged since apply.
    canonical: dict[str, Any] | None = None


@dataclass(frozen=True)
class LiveJob:
    job_id: str
    room_id: str
    state: str
    observed: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ManagedRecord:
    """What the state store remembers of a resource this tool created or imported."""

    address: str
    kind: str
    remote_id: str
    room_id: str = ""
    fingerprint: str = ""
    field_fingerprints: Mapping[str, str] = field(default_factory=dict)
    update_time: str = ""


@dataclass(frozen=True)
class PlanOptions:
    prune: bool = False
    targets: frozenset[str] = frozenset()


def group_address(name: str) -> str:
    return f"{GROUP_KIND}/{name}"


def job_address(name: str) -> str:
    return f"{JOB_KIND}/{name}"


def mask_job(canonical: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(canonical))
    for path in JOB_SECRET_PATHS:
        *parents, leaf = path.split(".")
        node: Any = out
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and leaf in node:
            node[leaf] = SENSITIVE
    return out


def live_fingerprint(groups: Sequence[LiveGroup], jobs: Sequence[LiveJob]) -> str:
    """Digest of what a saved plan depends on: group ids and versions, active job ids per room.

    A job moving from WAITING to PROCESSING does not make a plan stale; a new or vanished job does.
    """
    material = {
        "groups": sorted([g.group_name, g.group_id, g.update_time] for g in groups),
        "jobs": sorted([j.room_id, j.job_id] for j in jobs),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _plan_group(desired: DesiredGroup, live: Sequence[LiveGroup]) -> ResourceChange:
    address = group_address(desired.name)
    if len(live) > 1:
        ids = ", ".join(sorted(g.group_id for g in live))
        raise AmbiguityError(f"{address}: {len(live)} live rule groups are named {desired.name!r} ({ids})")
    if not live:
        return ResourceChange(
            address,
            GROUP_KIND,
            desired.name,
            (Action.CREATE,),
            f"{address} will be created",
            after=desired.canonical,
        )
    current = live[0]
    if current.canonical is None:
        return ResourceChange(
            address,
            GROUP_KIND,
            desired.name,
            (Action.NOOP,),
            f"{address} is unchanged since it was applied (update_time {current.update_time})",
            remote_id=current.group_id,
        )
    changes = diff(current.canonical, desired.canonical)
    if not changes:
        return ResourceChange(
            address,
            GROUP_KIND,
            desired.name,
            (Action.NOOP,),
            f"{address} matches",
            before=current.canonical,
            after=desired.canonical,
            remote_id=current.group_id,
        )
    return ResourceChange(
        address,
        GROUP_KIND,
        desired.name,
        (Action.UPDATE,),
        f"{address} will be updated in place ({len(changes)} field{'s' if len(changes) != 1 else ''})",
        before=current.canonical,
        after=desired.canonical,
        changes=changes,
        remote_id=current.group_id,
    )


def _mask_change(change: FieldChange) -> FieldChange:
    head = change.path.split("[", 1)[0]
    if head in JOB_SECRET_PATHS or change.path in JOB_SECRET_PATHS:
        return FieldChange(
            change.path,
            SENSITIVE if change.before is not None else None,
            SENSITIVE if change.after is not None else None,
            change.forces_restart,
        )
    return change


def _blind_changes(
    desired: DesiredJob, record: ManagedRecord | None
) -> tuple[list[FieldChange], tuple[str, ...]]:
    """Changes in the fields the service never returns, from the state store's fingerprints."""
    if desired.blind_fingerprints is None or record is None or not record.field_fingerprints:
        # No record of what was applied (e.g. an imported job): nothing to compare, nothing invented.
        return [], tuple(sorted(desired.blind))
    recorded = record.field_fingerprints
    changes = []
    for name in sorted(set(desired.blind_fingerprints) | set(recorded)):
        if desired.blind_fingerprints.get(name) != recorded.get(name):
            after = desired.blind.get(name)
            before = PREVIOUSLY_APPLIED if name in recorded else None
            changes.append(FieldChange(name, before, after, name not in normalize.JOB_OUTPUT_FIELDS))
    return changes, ()


def _plan_job(desired: DesiredJob, active: Sequence[LiveJob], record: ManagedRecord | None) -> ResourceChange:
    address = job_address(desired.name)
    after = mask_job(desired.canonical or {**desired.observed, **desired.blind})
    if len(active) > 1:
        ids = ", ".join(sorted(j.job_id for j in active))
        raise AmbiguityError(
            f"{address}: room {desired.room_id} has {len(active)} active jobs ({ids}); "
            "stop the extra ones or import the right one with `smartlive import`"
        )
    base = ResourceChange(address, JOB_KIND, desired.name, (Action.NOOP,), "", room_id=desired.room_id)
    if not active:
        if desired.state == "stopped":
            return replace(base, reason=f"{address} is stopped")
        return replace(
            base,
            actions=(Action.START,),
            reason=f"{address} will be started in room {desired.room_id}",
            after=after,
        )
    job = active[0]
    base = replace(
        base,
        before={"job_id": job.job_id, "state": job.state, **mask_job(job.observed)},
        remote_id=job.job_id,
    )
    if desired.state == "stopped":
        return replace(
            base,
            actions=(Action.STOP,),
            reason=f"{address} is declared stopped: job {job.job_id} ({job.state}) will be stopped "
            "(interrupts the live stream)",
        )
    matching_record = record if record is not None and record.remote_id == job.job_id else None
    live_observed = normalize.comparable_live_fields(job.observed, desired.observed)
    observed = [
        _mask_change(c) for c in diff(live_observed, desired.observed, forces_restart=lambda _p: True)
    ]
    blind, unverifiable = _blind_changes(desired, matching_record)
    changes = tuple(sorted(observed + [_mask_change(c) for c in blind], key=lambda c: c.path))
    base = replace(base, after=after, unverifiable=unverifiable, changes=changes)
    if not changes:
        return replace(base, reason=f"{address} is running as job {job.job_id}")
    if not any(c.forces_restart for c in changes):
        return replace(
            base,
            actions=(Action.REFRESH_OUTPUT,),
            reason=f"{address}: only the output changed; REFRESH_OUTPUT_URL without restarting job {job.job_id}",
        )
    forced = ", ".join(c.path for c in changes if c.forces_restart)
    return replace(
        base,
        actions=RESTART,
        reason=f"{address} must be restarted: {forced} changed (interrupts the live stream)",
    )


def make_plan(
    *,
    desired_groups: Sequence[DesiredGroup],
    desired_jobs: Sequence[DesiredJob],
    live_groups: Sequence[LiveGroup],
    live_jobs: Sequence[LiveJob],
    managed: Mapping[str, ManagedRecord] | None = None,
    options: PlanOptions = PlanOptions(),
) -> Plan:
    """Compare and decide. `managed` is None when no state store is in use."""
    changes: list[ResourceChange] = []
    notes: list[str] = []
    groups_by_name: dict[str, list[LiveGroup]] = defaultdict(list)
    for group in live_groups:
        groups_by_name[group.group_name].append(group)
    for desired_group in desired_groups:
        changes.append(_plan_group(desired_group, groups_by_name.get(desired_group.name, [])))

    active_by_room: dict[str, list[LiveJob]] = defaultdict(list)
    for job in live_jobs:
        active_by_room[job.room_id].append(job)
    records = managed or {}
    for desired_job in desired_jobs:
        address = job_address(desired_job.name)
        changes.append(
            _plan_job(desired_job, active_by_room.get(desired_job.room_id, []), records.get(address))
        )

    if options.prune:
        if managed is None:
            notes.append(
                "--prune planned nothing: without a state store smartlive does not know which objects it manages."
            )
        else:
            changes.extend(_prune(desired_groups, desired_jobs, live_groups, live_jobs, managed))

    if options.targets:
        unknown = options.targets - {c.address for c in changes}
        if unknown:
            notes.append("--target matched nothing for: " + ", ".join(sorted(unknown)))
        changes = [c for c in changes if c.address in options.targets]
    changes.sort(key=lambda c: c.address)
    return Plan(tuple(changes), live_fingerprint(live_groups, live_jobs), tuple(notes))


def _prune(
    desired_groups: Sequence[DesiredGroup],
    desired_jobs: Sequence[DesiredJob],
    live_groups: Sequence[LiveGroup],
    live_jobs: Sequence[LiveJob],
    managed: Mapping[str, ManagedRecord],
) -> list[ResourceChange]:
    """Delete or stop what this tool manages and the manifests no longer declare; nothing else."""
    declared = {group_address(g.name) for g in desired_groups} | {job_address(j.name) for j in desired_jobs}
    live_group_ids = {g.group_id: g for g in live_groups}
    live_job_ids = {j.job_id: j for j in live_jobs}
    out = []
    for address, record in sorted(managed.items()):
        if address in declared:
            continue
        name = address.split("/", 1)[1]
        if record.kind == GROUP_KIND and record.remote_id in live_group_ids:
            out.append(
                ResourceChange(
                    address,
                    GROUP_KIND,
                    name,
                    (Action.DELETE,),
                    f"{address} is no longer declared and is managed by smartlive: it will be deleted (--prune)",
                    before=live_group_ids[record.remote_id].canonical,
                    remote_id=record.remote_id,
                )
            )
        elif record.kind == JOB_KIND and record.remote_id in live_job_ids:
            job = live_job_ids[record.remote_id]
            out.append(
                ResourceChange(
                    address,
                    JOB_KIND,
                    name,
                    (Action.STOP,),
                    f"{address} is no longer declared and was started by smartlive: job {job.job_id} will be stopped "
                    "(--prune; interrupts the live stream)",
                    before={"job_id": job.job_id, "state": job.state},
                    remote_id=job.job_id,
                    room_id=job.room_id,
                )
            )
    return out
