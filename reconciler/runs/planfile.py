"""Saved plans (`plan --out FILE`, `apply FILE`): what apply needs to refuse a stale plan.

A saved plan holds the plan as rendered JSON (secrets already masked), the fingerprint of the live state
it was made from, a digest of the manifests, their paths, the stack, the plan options and the secret
references the manifests hold (`${env:NAME}`, `${file:PATH}`); secret values are never written (unlike a Terraform plan
file). Apply re-reads both: if the
manifests or the live state moved, the plan is stale.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from reconciler.atomic_file import replace_atomically
from reconciler.engine.plan import Plan
from reconciler.engine.stacks import stack_name_problem
from reconciler.errors import StalePlanError, UserError
from reconciler.redaction import one_line

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
    #: The environment of the project file it was made in (docs/environments.md); None: none selected.
    #: `apply FILE` runs in it, and refuses to run in another, as Terraform refuses another workspace's plan.
    environment: str | None = None

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
        "environment": saved.environment,
    }
    text = json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    check_writable(path)
    # Written whole or not at all, and readable by its owner only: a plan names endpoints and ids.
    try:
        replace_atomically(path, text.encode("utf-8"))
    except OSError as exc:
        raise UserError(_unwritable(path, exc.strerror or str(exc))) from None


def check_writable(path: Path) -> None:
    """Refuse at once (before plan reads anything) a path a plan cannot be saved to: a missing
    directory, or a directory where the file should be. Other failures (permissions, a full disk) are
    found by `save` itself, with the same message."""
    if not path.parent.is_dir():
        raise UserError(_unwritable(path, f"there is no directory {path.parent}"))
    if path.is_dir():
        raise UserError(_unwritable(path, "it is a directory; name a file, e.g. " + str(path / "plan.out")))


def _unwritable(path: Path, why: str) -> str:
    return f"cannot save the plan to {path}: {why}"


#: What tells a plan file from a manifest in its first bytes (`save` writes its keys sorted, so both come
#: before the embedded plan).
_MARKERS = (f'"{KIND}"'.encode(), b'"live_fingerprint"')
#: JSON's names for what a file holds instead of an object.
_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def is_saved_plan(path: Path) -> bool:
    """A plan file, whatever its name (plan.out, tfplan-like names): told by its content, not its suffix."""
    if not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    # The kind, or failing that (an edit broke it) the key only a plan file has: an edited plan is then
    # refused as a plan, with why, rather than read as a manifest.
    return any(marker in head for marker in _MARKERS)


def _stack_name(name: str) -> str:
    problem = stack_name_problem(name)
    if problem is not None:
        raise ValueError(problem)
    return name


class _Strict(BaseModel):
    # Every type exactly as `save` writes it: an edited "prune": "no" must not read as True. Keys this
    # version does not know are ignored.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class _Options(_Strict):
    prune: bool
    targets: list[str]
    replace: list[str]


class _Where(_Strict):
    endpoint: str
    project_id: str
    local: bool


class _Change(_Strict):
    """The part of each planned change that apply compares with its own plan (`SavedPlan.actions`)."""

    address: str
    actions: list[str]


class _EmbeddedPlan(_Strict):
    resource_changes: list[_Change]


class _File(_Strict):
    target: str
    stack: Annotated[str, AfterValidator(_stack_name)]
    live_fingerprint: str
    manifest_digest: str
    paths: Annotated[list[str], Field(min_length=1)]
    options: _Options
    plan: _EmbeddedPlan
    secret_references: dict[str, list[str]]
    where: _Where
    #: Absent from plans made before environments: none was selected then.
    environment: str | None = None


def load(path: Path) -> SavedPlan:
    """The saved plan at `path`, or one line saying why it is not one: the one reader of plan files.
    Every shape an edit, a truncation or another tool can leave (not JSON, not an object, a key missing
    or of another type) is refused here, before apply reads or locks anything."""
    body = _json_object(path)
    if body.get("kind") != KIND:
        raise UserError(_unreadable(path, f'its "kind" is not "{KIND}"'))
    if body.get("format_version") != FORMAT_VERSION:
        version = str(body.get("format_version"))[:20]
        raise UserError(
            _unreadable(path, f"format version {version!r}, not {FORMAT_VERSION!r}; run plan again")
        )
    if "stack" not in body:
        # Made before stacks: what its --prune meant then is not what it means now.
        raise StalePlanError(
            _unreadable(path, "it names no stack (an older smartlive made it); run plan again")
        )
    try:
        parsed = _File.model_validate(body)
    except ValidationError as exc:
        raise UserError(_unreadable(path, _first_problem(exc))) from None
    return SavedPlan(
        target=parsed.target,
        stack=parsed.stack,
        live_fingerprint=parsed.live_fingerprint,
        manifest_digest=parsed.manifest_digest,
        paths=tuple(parsed.paths),
        prune=parsed.options.prune,
        targets=tuple(parsed.options.targets),
        plan=dict(body["plan"]),
        replace=tuple(parsed.options.replace),
        secret_references={k: list(v) for k, v in parsed.secret_references.items()},
        endpoint=parsed.where.endpoint,
        project_id=parsed.where.project_id,
        local=parsed.where.local,
        environment=parsed.environment,
    )


def _json_object(path: Path) -> dict[str, Any]:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(_unreadable(path, exc.strerror or type(exc).__name__)) from None
    except UnicodeDecodeError as exc:
        raise UserError(_unreadable(path, f"not UTF-8 (byte {exc.start})")) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise UserError(_unreadable(path, f"not JSON: {exc.msg} ({where})")) from None
    except RecursionError:
        raise UserError(_unreadable(path, "not JSON (nested too deeply)")) from None
    if not isinstance(body, dict):
        held = _JSON_TYPES.get(type(body), "null")
        raise UserError(_unreadable(path, f"it holds {held}, not a JSON object"))
    return body


def _first_problem(exc: ValidationError) -> str:
    """The first thing wrong, as `where: what` (`options.prune: Input should be a valid boolean`)."""
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"]) or "the file"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {error['msg']}{more}"


def _unreadable(path: Path, why: str) -> str:
    # The path as the user wrote it, then why: never the file's content beyond a short value, and on
    # one line whatever a key of the file holds.
    return one_line(f"{path} is not a readable saved plan: {why}")


def check_target(saved: SavedPlan, target: str) -> None:
    """Refuse a plan made for another target before anything is read from this one."""
    if saved.target != target:
        raise StalePlanError(
            f"Saved plan is stale: it was made for {saved.target.split('|')[0]}, not this target"
        )


def environment_of(saved: SavedPlan, requested: str | None, source: str) -> str | None:
    """The environment `apply FILE` runs in: the plan's. One named otherwise (--env, SMARTLIVE_ENV) is
    refused before anything is read: its variables, target and state are not those the plan was made with."""
    if requested is not None and requested != saved.environment:
        made = f'environment "{saved.environment}"' if saved.environment else "no environment"
        raise UserError(
            f'the saved plan was made in {made}, not "{requested}" ({source}): apply it without {source}, '
            f"or plan again with --env {shlex.quote(requested)}"
        )
    return saved.environment


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
