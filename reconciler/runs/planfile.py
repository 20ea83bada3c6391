"""Saved plans (`plan --out FILE`, `apply FILE`): what apply needs to refuse a stale plan.

A saved plan holds the plan as rendered JSON (secrets already masked), the fingerprint of the live state
it was made from, a digest of the manifests, their paths, the stack, the plan options and the secret
references the manifests hold (`${env:NAME}`, `${file:PATH}`); secret values are never written (unlike a Terraform plan
file). Apply re-reads both: if the
manifests or the live state moved, the plan is stale.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.engine.plan import Plan
from reconciler.errors import StalePlanError, UserError

KIND = "smartlive-plan"
#: 2.0: the embedded plan is the JSON plan 2.0 (reason codes, depends_on).
FORMAT_VERSION = "2.0"


@dataclass(frozen=True)
class SavedPlan:
    target: str
    #: The stack it was made for (engine/stacks.py): `apply FILE` applies it as that stack.
    stack: str
    live_fingerprint: str
    manifest_digest: str
    paths: tuple[str, ...]
    prune: bool
    targets: tuple[str, ...]
    plan: dict[str, Any]
    #: --replace addresses: applying the plan replaces them as planned.
    replace: tuple[str, ...] = ()
    #: address -> "field: ${env:NAME}" for each secret reference the plan depends on (never a value): what
    #: the environment of `apply FILE` must provide.
    secret_references: dict[str, list[str]] = field(default_factory=dict)
    #: Where the plan was made for (never a credential): `apply FILE` goes there unless told otherwise.
    endpoint: str = ""
    project_id: str = ""
    local: bool = False

    @property
    def actions(self) -> dict[str, list[str]]:
        return {c["address"]: c["actions"] for c in self.plan.get("resource_changes", [])}


def plan_actions(plan: Plan) -> dict[str, list[str]]:
    return {str(c.address): [str(a) for a in c.actions] for c in plan.changes}


def save(path: Path, saved: SavedPlan) -> None:
    body = {
        "kind": KIND,
        "format_version": FORMAT_VERSION,
        "target": saved.target,
        "stack": saved.stack,
        "live_fingerprint": saved.live_fingerprint,
        "manifest_digest": saved.manifest_digest,
        "paths": list(saved.paths),
        "options": {"prune": saved.prune, "targets": list(saved.targets), "replace": list(saved.replace)},
        "plan": saved.plan,
        "secret_references": saved.secret_references,
        "where": {"endpoint": saved.endpoint, "project_id": saved.project_id, "local": saved.local},
    }
    # Written whole or not at all, and readable by its owner only: a plan names endpoints and ids.
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(body, out, indent=2, sort_keys=True, ensure_ascii=False)
        out.write("\n")
    os.replace(tmp, path)


def is_saved_plan(path: Path) -> bool:
    """A plan file, whatever its name (plan.out, tfplan-like names): told by its content, not its suffix."""
    if not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return f'"kind": "{KIND}"'.encode() in head or f'"kind":"{KIND}"'.encode() in head


def load(path: Path) -> SavedPlan:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: not a readable saved plan ({type(exc).__name__})") from None
    if not isinstance(body, dict) or body.get("kind") != KIND:
        raise UserError(f"{path}: not a smartlive plan file")
    if body.get("format_version") != FORMAT_VERSION:
        raise UserError(f"{path}: plan format {body.get('format_version')!r} is not {FORMAT_VERSION!r}")
    if not isinstance(body.get("stack"), str):
        # Made before stacks: what its --prune meant then is not what it means now.
        raise StalePlanError(
            f"{path}: the saved plan names no stack (an older smartlive made it); run plan again"
        )
    options = body.get("options") or {}
    where = body.get("where") or {}
    return SavedPlan(
        target=str(body["target"]),
        stack=body["stack"],
        live_fingerprint=str(body["live_fingerprint"]),
        manifest_digest=str(body["manifest_digest"]),
        paths=tuple(body["paths"]),
        prune=bool(options.get("prune")),
        targets=tuple(options.get("targets") or ()),
        plan=dict(body["plan"]),
        replace=tuple(options.get("replace") or ()),
        secret_references={
            str(k): [str(r) for r in v] for k, v in (body.get("secret_references") or {}).items()
        },
        endpoint=str(where.get("endpoint") or ""),
        project_id=str(where.get("project_id") or ""),
        local=bool(where.get("local")),
    )


def check_target(saved: SavedPlan, target: str) -> None:
    """Refuse a plan made for another target before anything is read from this one."""
    if saved.target != target:
        raise StalePlanError(
            f"Saved plan is stale: it was made for {saved.target.split('|')[0]}, not this target"
        )


def stack_of(saved: SavedPlan, named: str | None) -> str:
    """The stack `apply FILE` runs as: the plan's; a different one named on the command line is refused
    before anything is read (the plan's prune and ownership were decided for its own stack)."""
    if named is not None and named != saved.stack:
        raise UserError(
            f'the saved plan was made for stack "{saved.stack}", not "{named}": apply it without --stack '
            f"(or SMARTLIVE_STACK), or plan again with --stack {shlex.quote(named)}"
        )
    return saved.stack


def check_fresh(saved: SavedPlan, *, target: str, manifest_digest: str, plan: Plan) -> None:
    """Refuse a plan that no longer describes what apply would do."""
    check_target(saved, target)
    if saved.manifest_digest != manifest_digest:
        raise StalePlanError("Saved plan is stale: the manifests changed since it was made; run plan again")
    if saved.live_fingerprint != plan.live_fingerprint:
        raise StalePlanError(
            "Saved plan is stale: the live state changed since it was made (groups or active jobs differ); "
            "run plan again"
        )
    if saved.actions != plan_actions(plan):
        raise StalePlanError("Saved plan is stale: the actions it would take differ now; run plan again")
