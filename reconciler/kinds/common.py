"""Building blocks the kinds share: what --prune plans for an object that still exists, what --replace
plans for an object updated in place, and a delete that counts an object already gone as deleted. A kind module uses them; none of them names a kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import replace
from typing import Any, Final

from reconciler.engine.kind import Applied, ApplyContext, PlanContext
from reconciler.engine.plan import Action, FieldChange, Reason, ReasonCode, ResourceChange
from reconciler.errors import OutcomeUnknownError, RemoteError
from reconciler.resources import ManagedRecord

#: "Job state does not allow this operation" (a job that has ended, a room that still has an active job).
JOB_STATE_CONFLICT: Final = "MSS.20020001"
#: Stands for the old value of a field the service does not show: only its fingerprint was kept.
PREVIOUSLY_APPLIED: Final = "(previously applied value)"


def view_mode_for(video_config: Mapping[str, Any] | None) -> str:
    """Seed 003: view_mode is derived from the resolution; the default is VERTICAL."""
    if video_config and int(video_config.get("width") or 0) > int(video_config.get("height") or 0):
        return "LANDSCAPE"
    return "VERTICAL"


def answered_id(remote_id: str | None, id_name: str, operation: str) -> str:
    """The id a create or start answered with. An answer without one (an empty 200, a proxy's blank
    page) says nothing of what happened: the outcome is unknown, and the caller's `until_known` looks
    the object up as it does for a lost answer. Never a success recorded with an empty id."""
    if not remote_id:
        raise OutcomeUnknownError(
            f"{operation} answered without a {id_name}; the change may or may not have been made"
        )
    return remote_id


def fingerprint_changes(
    wanted: Mapping[str, str],
    recorded: Mapping[str, str],
    *,
    after: Callable[[str], Any],
    forces_restart: Callable[[str], bool] = lambda _name: False,
    left_to_service: Collection[str] = (),
) -> list[FieldChange]:
    """The fields the service never shows whose fingerprint (HMAC of the resolved value) differs from
    the one the state store kept of what was applied, sorted by name. `after` gives the value a change
    shows; a field in `left_to_service` that is no longer declared is the service's to derive again,
    not a change."""
    changes = []
    for name in sorted(set(wanted) | set(recorded)):
        if name in left_to_service and name not in wanted:
            continue
        if wanted.get(name) != recorded.get(name):
            before = PREVIOUSLY_APPLIED if name in recorded else None
            changes.append(FieldChange(name, before, after(name), forces_restart(name)))
    return changes


def update_requested(change: ResourceChange, ctx: PlanContext) -> ResourceChange:
    """A resource named with --replace that exists and is updated in place: its whole declared body is
    written again (an update, even when nothing differs). Never a delete and create: the new object would
    have another id, and whatever refers to the old one would be left pointing at nothing."""
    if not ctx.replace_requested(change.address) or not change.remote_id:
        return change  # not requested, or nothing to replace: it is created anyway
    if change.actions not in ((Action.NOOP,), (Action.UPDATE,)):
        return change
    return replace(change, actions=(Action.UPDATE,), reason=Reason(ReasonCode.REPLACE_REQUESTED))


def pruned_delete(record: ManagedRecord, before: dict[str, Any] | None) -> ResourceChange:
    """The delete --prune plans for a managed object no manifest declares any more."""
    return ResourceChange(
        record.address, (Action.DELETE,), Reason(ReasonCode.PRUNED), before=before, remote_id=record.remote_id
    )


async def delete_remote(
    ctx: ApplyContext,
    change: ResourceChange,
    id_name: str,
    delete: Callable[[str], Awaitable[None]],
    existing_ids: Callable[[], Awaitable[Collection[str]]],
) -> Applied:
    """Delete the change's object and forget its record. A refusal (400, 404) for an object no longer
    listed means it is gone already (perhaps by our own lost delete): the goal is reached."""
    remote_id = change.remote_id or ""

    async def attempt() -> None:
        try:
            await ctx.patient(lambda: delete(remote_id))
        except RemoteError as exc:
            if exc.status not in (400, 404) or remote_id in await existing_ids():
                raise

    await ctx.until_known(f"{change.address}: delete", attempt)
    await ctx.forget(change.address)
    return Applied(f"deleted ({id_name} {remote_id})", remote_id)
