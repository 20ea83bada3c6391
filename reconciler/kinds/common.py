"""Building blocks the kinds share: what --prune plans for an object that still exists, and a delete
that counts an object already gone as deleted. A kind module uses them; none of them names a kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any, Final

from reconciler.engine.kind import Applied, ApplyContext
from reconciler.engine.plan import Action, Reason, ReasonCode, ResourceChange
from reconciler.errors import RemoteError
from reconciler.resources import ManagedRecord

#: "Job state does not allow this operation" (a job that has ended, a room that still has an active job).
JOB_STATE_CONFLICT: Final = "MSS.20020001"


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
