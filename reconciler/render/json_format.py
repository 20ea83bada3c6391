"""The machine plan: a documented, versioned JSON document (docs/planning.md, "Output formats").

Stable byte for byte: keys sorted, resources sorted by address, field changes by path, two-space
indent, a trailing newline. Bump FORMAT_VERSION's minor for added fields, its major for anything a
consumer could trip on (a removed or renamed field, a changed meaning).
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.engine.plan import Plan, ResourceChange

from . import common
from .context import RenderContext

#: 2.0: `reason` is a code (ReasonCode), its sentence is `description`; `reason_detail` and `depends_on`
#: are new; `unverifiable` lists only fields that may differ (never on a create, start or restart), with
#: `unverifiable_because` and the summary's `unverifiable` count; `moved_from` and the summary's `move`.
#: 2.1: `stack`, `summary.import`, reasons `unmanaged` and `orphaned_no_stack`.
#: 2.2: `environment`, when the plan was made in an environment of smartlive.yaml.
FORMAT_VERSION = "2.2"


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan as plain JSON-ready data; every managed resource, no-ops included, so tooling sees all."""
    summary = plan.summary
    return {
        "format_version": FORMAT_VERSION,
        "live_fingerprint": plan.live_fingerprint,
        "notes": list(plan.notes),
        "resource_changes": [_resource(change) for change in common.ordered(plan)],
        "stack": plan.stack,
        "summary": {
            "create": summary.create,
            "update": summary.update,
            "restart": summary.restart,
            "destroy": summary.destroy,
            "import": summary.unmanaged,
            "has_changes": summary.has_changes,
            "unverifiable": summary.unverifiable,
            "move": summary.move,
        },
    }


def _resource(change: ResourceChange) -> dict[str, Any]:
    return {
        "address": str(change.address),
        "kind": change.kind,
        "name": change.name,
        "actions": [action.value for action in change.actions],
        "reason": change.reason.code.value,
        "reason_detail": _reason_detail(change),
        "description": common.describe(change, with_address=False, escape=False),
        "depends_on": [str(a) for a in change.depends_on],
        "live_commands": [{"command": c.command, "job_id": c.job_id} for c in change.live_commands],
        "deferred": {"fields": list(change.deferred), "jobs": list(change.deferred_jobs)},
        "before": change.before,
        "after": change.after,
        "changes": [
            {"path": fc.path, "before": fc.before, "after": fc.after, "forces_restart": fc.forces_restart}
            for fc in change.changes
        ],
        "remote_id": change.remote_id,
        "room_id": change.room_id,
        "unverifiable": list(change.unverifiable),
        "unverifiable_because": change.unverifiable_because,
        "moved_from": str(change.moved_from) if change.moved_from is not None else None,
        "interrupts_stream": change.interrupts_stream,
    }


def _reason_detail(change: ResourceChange) -> dict[str, Any]:
    """The reason's facts that are set (Terraform's JSON plan carries its action_reason the same way)."""
    reason = change.reason
    detail: dict[str, Any] = {
        "forced_by": list(reason.forced_by),
        "remote_state": reason.remote_state,
        "version": reason.version,
        "caused_by": [str(a) for a in reason.caused_by],
        "stack": reason.stack,
    }
    return {k: v for k, v in detail.items() if v}


def render_json(
    plan: Plan, *, color: bool = False, verbose: bool = False, context: RenderContext | None = None
) -> str:
    """`color` and `verbose` are accepted for the registry's sake and ignored: JSON is never coloured and
    always complete. It carries the stack, and the environment when the context names one (where it was
    made for is the caller's to record)."""
    del color, verbose
    # ensure_ascii=False keeps Chinese rule names readable. json escapes C0 controls itself (so a raw
    # newline is layout) but leaves DEL, C1 and bidi overrides raw; those can only occur inside strings,
    # and clean() turns them into valid \uXXXX escapes, so a plan piped to a terminal cannot drive it.
    # allow_nan=False: NaN is not JSON, and a value holding one is a normalizer bug to surface.
    document = plan_document(plan)
    if context is not None and context.environment:
        document["environment"] = context.environment
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    return common.clean(text, keep="\n") + "\n"
