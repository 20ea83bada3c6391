"""SmartLiveRoom: a MetaStudio smart-live room, the show a job broadcasts and the rules it runs.

The spec is the room body with the API's field names. An entry of `interaction_rules` is a rule of its
own, or `{import: GROUP}`: the rules of the declared InteractionRuleGroup GROUP, copied into the room as
the service holds them (each copy carries the group's real group_id and group_name). A room holds what it
was last sent (API.md): keeping it in step with the groups it imports is this kind's work, so a group's
change is a change of every room that imports it, planned and applied after the group's.

Matching: the room the state store recorded, else the one live room of the same room_name.

Live state: the paged room list, a show of each room the plan needs, and the project's active jobs (a
room's change is carried into its running jobs).

Apply: create (after an intent record; a lost answer is looked up by room_name); an update sends each
running job the commands that carry the change without a restart (REWRITE_INTERACTION_RULES for rules,
REWRITE_PLAY_SCRIPT for scene scripts) and then the whole-room PUT: commands first, so that a failure
anywhere leaves the room differing from its declaration and the next plan does all of it again. Other
room fields reach a running job at its next start (the plan says so). A room with an active job is never
deleted: its jobs are stopped first (they depend on it), under the restart guard. Room writes are paced
at CreateSmartLiveRoom and UpdateSmartLiveRoom's published limit, 1/s.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from reconciler.api import models
from reconciler.engine import normalize
from reconciler.engine.diff import diff
from reconciler.engine.export_names import namesakes_refused, slug, unique
from reconciler.engine.kind import (
    Adoption,
    AmbiguityError,
    Applied,
    ApplyContext,
    BuildContext,
    Desired,
    Exported,
    ExportRequest,
    Fingerprinter,
    ImportRefused,
    Listed,
    PlanContext,
    ReadRequest,
    gather,
)
from reconciler.engine.plan import (
    SENSITIVE,
    Action,
    FieldChange,
    LiveCommand,
    Reason,
    ReasonCode,
    ResourceChange,
)
from reconciler.errors import AuthError, ManifestError, RemoteError
from reconciler.kinds import active_jobs, rule_group
from reconciler.kinds.common import (
    JOB_STATE_CONFLICT,
    answered_id,
    delete_remote,
    fingerprint_changes,
    pruned_delete,
    update_requested,
)
from reconciler.kinds.room_export import room_spec
from reconciler.kinds.room_lint import lint_room
from reconciler.manifest.diagnostics import format_loc
from reconciler.manifest.lint_jobs import LIVE_CODEC
from reconciler.manifest.registry import KindSpec, Manifest, SetCheck
from reconciler.manifest.secrets import CallbackKey, Secret, StreamKey, resolved_wire
from reconciler.resources import PENDING, Address, ManagedRecord, Reference

if TYPE_CHECKING:  # the HTTP stack loads only where a plan or apply runs, not for validate
    from reconciler.cloud.api import MetaStudioApi

NAME: Final = "SmartLiveRoom"
#: Where a reference to a group not created yet stands in a plan: Terraform's "known after apply".
KNOWN_AFTER_APPLY: Final = "(known after apply)"
REWRITE_RULES: Final = "REWRITE_INTERACTION_RULES"
REWRITE_SCRIPTS: Final = "REWRITE_PLAY_SCRIPT"
#: The canonical fields a rule rewrite carries: the rules, and the order of those that tie.
_RULE_FIELDS: Final = frozenset({"interaction_rules", normalize.RULE_ORDER})
#: Fields the service fills in or derives, never compared.
_SERVER_FIELDS: Final = frozenset(
    {
        "room_id",
        "create_time",
        "update_time",
        "room_state",
        "confirm_state",
        "script_version",
        "cover_url",
        "thumbnail",
        "error_info",
        "model_infos",
    }
)
#: Filled by the service when a body leaves them out (the emulator: NORMAL, and the view_mode of the
#: resolution): compared only when the manifest declares them.
_FILLED_WHEN_ABSENT: Final = ("room_type", "view_mode")
#: Where each model with documented defaults sits in a room body.
_ROOM_PLACES: Final = {
    "VideoConfig": "video_config.",
    "SubtitleConfig": "video_config.subtitle_config.",
    "PlayPolicy": "play_policy.",
    "LiveExitConfig": "play_policy.live_exit_config.",
    "LiveEventCallBackConfig": "live_event_callback_config.",
    "VoiceConfig": "co_streamer_config.voice_config.",
    "LiveRoomInteractionConfig": "interaction_config.",
}
ROOM_DEFAULTS: Final = normalize.defaults_at(_ROOM_PLACES)

# Manifest -------------------------------------------------------------------------------------------


class ImportEntry(BaseModel):
    """{import: GROUP}: the rules of a declared InteractionRuleGroup, copied into the room."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    import_: str = Field(
        alias="import",
        min_length=1,
        max_length=256,
        description="metadata.name of an InteractionRuleGroup: its rules are copied into the room",
    )
    enabled_scenes: list[Annotated[str, Field(min_length=1, max_length=256)]] | None = Field(
        default=None, max_length=100, description="the scenes the imported rules are enabled in"
    )


class InlineRule(models.InteractionRuleInfo):
    """A rule of the room's own (not imported): the API's rule, with the scenes it is enabled in."""

    api_model: ClassVar[type[BaseModel]] = models.LiveRoomInteractionRuleInfo

    enabled_scenes: list[Annotated[str, Field(min_length=1, max_length=256)]] | None = Field(
        default=None, max_length=100
    )


def _entry_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "import" if "import" in value else "rule"
    return "import" if isinstance(value, ImportEntry) else "rule"


RoomRuleEntry = Annotated[
    Annotated[ImportEntry, Tag("import")] | Annotated[InlineRule, Tag("rule")], Discriminator(_entry_kind)
]


class RoomCallbackSpec(models.LiveRoomEventCallBackConfig):
    """The live events posted to an HTTPS callback, and how the callback is signed; key is a secret
    reference, ${env:NAME} or ${file:PATH}."""

    key: CallbackKey | None = None  # type: ignore[assignment]


class RoomSpec(models.CreateSmartLiveRoomReq):
    """The room: the body of CreateSmartLiveRoom (and UpdateSmartLiveRoom), with room_name defaulting to
    metadata.name, secrets as references (${env:NAME}, ${file:PATH}) and rules inline or imported from
    an InteractionRuleGroup ({import: GROUP})."""

    # A unit test keeps the fields in step with CreateSmartLiveRoomReq.
    room_name: str | None = Field(  # type: ignore[assignment]
        default=None, min_length=1, max_length=256, description="the room's name (default: metadata.name)"
    )
    interaction_rules: list[RoomRuleEntry] | None = None  # type: ignore[assignment]
    stream_keys: list[StreamKey] | None = Field(default=None, max_length=1)  # type: ignore[assignment]
    live_event_callback_config: RoomCallbackSpec | None = None


#: The fields a room manifest's spec takes.
_SPEC_FIELDS: Final = frozenset(RoomSpec.model_fields)


@dataclass(frozen=True)
class RoomManifest(Manifest[RoomSpec]):
    """A declared room."""

    @property
    def room_name(self) -> str:
        return self.spec.room_name or self.name

    def imports(self) -> Iterator[tuple[int, Address]]:
        """(entry index, group address) of every `{import: GROUP}` entry."""
        for index, entry in enumerate(self.spec.interaction_rules or []):
            if isinstance(entry, ImportEntry):
                yield index, Address(rule_group.NAME, entry.import_)

    def secret_references(self) -> Iterator[tuple[str, Secret]]:
        for index, key in enumerate(self.spec.stream_keys or []):
            yield f"spec.stream_keys[{index}]", key
        callback = self.spec.live_event_callback_config
        if callback is not None and callback.key is not None:
            yield "spec.live_event_callback_config.key", callback.key

    def body(
        self, environ: Mapping[str, str] | None, rules: list[dict[str, Any]]
    ) -> models.CreateSmartLiveRoomReq:
        """The Create/UpdateSmartLiveRoom body: secrets resolved, `rules` as the room's rules.

        ManifestError when a secret is unavailable or breaks an API limit; messages name the field and
        the reference, never a value."""
        try:
            wire = resolved_wire(self.spec, environ, exclude=frozenset({"interaction_rules"}))
        except ManifestError as exc:
            raise ManifestError(f"{NAME} {self.name!r} ({self.source}): {exc}") from None
        wire["room_name"] = self.room_name
        if self.spec.interaction_rules is not None:
            wire["interaction_rules"] = rules
        try:
            return models.CreateSmartLiveRoomReq.model_validate(_wire(wire))
        except ValidationError as exc:
            problems = "; ".join(
                f"{format_loc(('spec', *error['loc']))}: {error['msg']}"
                for error in exc.errors(include_url=False, include_input=False, include_context=False)
            )
            raise ManifestError(f"{NAME} {self.name!r} ({self.source}): {problems}") from None


def _wire(value: Any) -> Any:
    """Models inside resolved_wire's output (a nested spec model) as plain JSON data."""
    if isinstance(value, BaseModel):
        return models.to_wire(value)
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


# Values ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoomRule:
    """One rule of the room, in order: canonical, and the group it is copied from (None: inline)."""

    rule: dict[str, Any]
    group: Address | None = None


@dataclass(frozen=True)
class DesiredRoom:
    manifest: RoomManifest
    room_name: str
    #: The canonical body without rules and secrets (secrets are compared through fingerprints).
    body: dict[str, Any]
    rules: tuple[RoomRule, ...]
    #: field -> HMAC of the resolved secret; None when no state store can verify them.
    secret_fingerprints: Mapping[str, str] | None = None
    #: The secret fields the manifest sets (shown as sensitive).
    secrets: tuple[str, ...] = ()

    def rules_with_ids(self, group_id: Callable[[Address], str | None]) -> list[dict[str, Any]]:
        """The room's rules as the API takes them: copies carry their group's id and name."""
        out = []
        for entry in self.rules:
            rule = dict(entry.rule)
            if entry.group is not None:
                rule["group_id"] = group_id(entry.group) or KNOWN_AFTER_APPLY
                rule["group_name"] = entry.group.name
            out.append(rule)
        return out

    def canonical(self, group_id: Callable[[Address], str | None]) -> dict[str, Any]:
        out = dict(self.body)
        out["interaction_rules"] = normalize.normalize_rules(self.rules_with_ids(group_id))
        return normalize.with_rule_order(out)


@dataclass(frozen=True)
class LiveRoom:
    room_id: str
    room_name: str
    update_time: str
    canonical: dict[str, Any]
    #: The room's active (WAITING or PROCESSING) jobs.
    jobs: tuple[str, ...] = ()


@dataclass(frozen=True)
class LiveRooms:
    """The rooms a plan read, indexed by id and by name."""

    rooms: tuple[LiveRoom, ...] = ()
    by_name: dict[str, list[LiveRoom]] = field(init=False, repr=False, compare=False)
    by_id: dict[str, LiveRoom] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, list[LiveRoom]] = {}
        for room in self.rooms:
            by_name.setdefault(room.room_name, []).append(room)
        object.__setattr__(self, "by_name", by_name)
        object.__setattr__(self, "by_id", {r.room_id: r for r in self.rooms})


def canonical_room(body: Mapping[str, Any]) -> dict[str, Any]:
    """A room body (request or show answer) for comparison: server fields and secrets out, defaults in,
    rules keyed by name."""
    out: dict[str, Any] = normalize.clean({k: v for k, v in body.items() if k not in _SERVER_FIELDS})
    out.pop("stream_keys", None)
    callback = out.get("live_event_callback_config")
    if isinstance(callback, dict):
        callback.pop("key", None)
        if not callback:
            out.pop("live_event_callback_config")
    platform = out.get("relation_live_platform_info")
    if isinstance(platform, dict):  # the answer adds platform details the request does not carry
        out["relation_live_platform_info"] = {
            k: v for k, v in platform.items() if k in ("platform_id", "live_id")
        }
    normalize.fill(out, ROOM_DEFAULTS)
    out["interaction_rules"] = normalize.normalize_rules(out.get("interaction_rules") or [])
    return normalize.with_rule_order(out)


def mask_room(canonical: Mapping[str, Any], secrets: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(canonical))
    for path in secrets:
        if path == "stream_keys":
            out["stream_keys"] = [SENSITIVE]
        elif path == "live_event_callback_config.key":
            out.setdefault("live_event_callback_config", {})["key"] = SENSITIVE
    return out


# Reading --------------------------------------------------------------------------------------------


async def read_rooms(api: MetaStudioApi, request: ReadRequest) -> LiveRooms:
    names = set()
    for address in request.declared:
        desired = request.desired(address)
        if desired is not None:
            names.add(desired.value.room_name)
    managed = {r.remote_id for r in request.records.values()}
    if not names and not managed:
        return LiveRooms()  # no room declared or managed: nothing to read
    summaries = await api.list_rooms()
    wanted = [s for s in summaries if s.room_id and (s.room_name in names or s.room_id in managed)]
    # The job kind's own read: one project-wide list for both kinds (per room where it is not offered).
    active = await active_jobs.read_active_jobs(api, [s.room_id or "" for s in wanted], request.shared)
    running: dict[str, list[str]] = defaultdict(list)
    for job in active.jobs:
        running[job.room_id or ""].append(job.job_id or "")

    async def one(summary: models.SmartLiveRoomBaseInfo) -> LiveRoom:
        room_id = summary.room_id or ""
        detail = await api.show_room(room_id)
        canonical = canonical_room(detail.model_dump(mode="json", exclude_none=True))
        name = detail.room_name or summary.room_name or ""
        return LiveRoom(room_id, name, detail.update_time or "", canonical, tuple(sorted(running[room_id])))

    return LiveRooms(tuple(await gather(one(s) for s in wanted)))


# Planning -------------------------------------------------------------------------------------------


def _secret_changes(
    desired: DesiredRoom, record: ManagedRecord | None
) -> tuple[list[FieldChange], tuple[str, ...]]:
    """Changes of the secrets, which the service shows masked, from the state store's fingerprints."""
    if desired.secret_fingerprints is None or record is None or record.is_intent:
        return [], tuple(sorted(desired.secrets))
    wanted = desired.secret_fingerprints
    changes = fingerprint_changes(
        wanted, record.field_fingerprints, after=lambda name: SENSITIVE if name in wanted else None
    )
    return changes, ()


def _comparable(live: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The live room as the manifest can see it: fields the service fills in when a body leaves them out
    are compared only when declared."""
    return {k: v for k, v in live.items() if k not in _FILLED_WHEN_ABSENT or k in desired}


def _live_commands(room: LiveRoom, changes: Sequence[FieldChange]) -> tuple[LiveCommand, ...]:
    """The commands that carry a change of the room's rules or scene scripts into its running jobs."""
    heads = {c.path.split("[", 1)[0].split(".", 1)[0] for c in changes}
    commands = []
    for job_id in room.jobs:
        if heads & _RULE_FIELDS:
            commands.append(LiveCommand(REWRITE_RULES, job_id))
        if "scene_scripts" in heads:
            commands.append(LiveCommand(REWRITE_SCRIPTS, job_id))
    return tuple(commands)


def _caused_by(changes: Sequence[FieldChange], desired: DesiredRoom, ctx: PlanContext) -> tuple[Address, ...]:
    """The imported groups whose own change this room's rule changes carry."""
    keys = {
        c.path.split("]", 1)[0].removeprefix("interaction_rules[")
        for c in changes
        if c.path.startswith("interaction_rules[")
    }
    ordered = normalize.normalize_rules([r.rule for r in desired.rules])
    groups = set()
    for key, entry in zip(ordered, desired.rules, strict=True):
        change = ctx.change(entry.group) if entry.group is not None else None
        if key in keys and entry.group is not None and change is not None and not change.is_noop:
            groups.add(entry.group)
    return tuple(sorted(groups))


def plan_room(
    address: Address,
    desired: DesiredRoom,
    matched: Sequence[LiveRoom],
    record: ManagedRecord | None,
    ctx: PlanContext,
) -> ResourceChange:
    wanted = desired.canonical(ctx.remote_id)
    after = mask_room(wanted, desired.secrets)
    if len(matched) > 1:
        ids = ", ".join(sorted(r.room_id for r in matched))
        raise AmbiguityError(f"{address}: {len(matched)} live rooms are named {desired.room_name!r} ({ids})")
    if not matched:
        return ResourceChange(address, (Action.CREATE,), Reason(ReasonCode.ABSENT), after=after)
    room = matched[0]
    live = _comparable(room.canonical, wanted)
    secret_changes, unverifiable = _secret_changes(
        desired, record if record and record.remote_id == room.room_id else None
    )
    changes = tuple(sorted([*diff(live, wanted), *secret_changes], key=lambda c: c.path))
    base = ResourceChange(
        address,
        (Action.NOOP,),
        Reason(ReasonCode.MATCHES),
        before=mask_room(room.canonical, desired.secrets),
        after=after,
        remote_id=room.room_id,
        unverifiable=unverifiable,
    )
    if not changes:
        return base
    # What no command carries into a running job waits for its next start.
    carried = {*_RULE_FIELDS, "scene_scripts"}
    deferred = (
        sorted({c.path.split("[", 1)[0].split(".", 1)[0] for c in changes} - carried) if room.jobs else []
    )
    return replace(
        base,
        actions=(Action.UPDATE,),
        reason=Reason(ReasonCode.FIELDS_DIFFER, caused_by=_caused_by(changes, desired, ctx)),
        changes=changes,
        live_commands=_live_commands(room, changes),
        deferred=tuple(deferred),
        deferred_jobs=room.jobs if deferred else (),
    )


# The kind -------------------------------------------------------------------------------------------


class SmartLiveRoomKind:
    name = NAME
    remote_id_name = "room_id"
    live_noun = "room_id"
    referenced_kinds: frozenset[str] = frozenset({rule_group.NAME})
    matched_by_name = True
    short_names: tuple[str, ...] = ("room", "rooms")
    folder = "rooms"

    def document(self) -> KindSpec:
        return KindSpec(
            NAME,
            RoomSpec,
            RoomManifest,
            (lint_room,),
            "A MetaStudio smart-live room: the show (scene scripts, outputs, callbacks) and the interaction "
            "rules its jobs run, inline or imported from rule groups; metadata.name names it in the manifests.",
            narrowed=(LIVE_CODEC,),
        )

    def set_checks(self) -> tuple[SetCheck, ...]:
        return ()

    def references(self, manifest: Manifest[Any]) -> Iterable[Reference]:
        assert isinstance(manifest, RoomManifest)
        source = Address(NAME, manifest.name)
        return tuple(
            Reference(source, ("spec", "interaction_rules", index, "import"), group)
            for index, group in manifest.imports()
        )

    def secret_references(self, manifest: Manifest[Any]) -> Iterable[tuple[str, Secret]]:
        assert isinstance(manifest, RoomManifest)
        return manifest.secret_references()

    def build(self, manifest: Manifest[Any], ctx: BuildContext) -> Desired[DesiredRoom]:
        assert isinstance(manifest, RoomManifest)
        address = Address(NAME, manifest.name)
        rules: list[RoomRule] = []
        for entry in manifest.spec.interaction_rules or []:
            if isinstance(entry, ImportEntry):
                group = Address(rule_group.NAME, entry.import_)
                declared = ctx.lookup(group)
                copies = (
                    list(declared.value.canonical["interaction_rules"].values())
                    if declared is not None
                    else []
                )
                for copy in copies:
                    rule = dict(copy)
                    if entry.enabled_scenes is not None:
                        rule["enabled_scenes"] = list(entry.enabled_scenes)
                    rules.append(RoomRule(rule, group))
            else:
                rules.append(
                    RoomRule(normalize.normalize_rule(entry.model_dump(mode="json", exclude_none=True)))
                )
        written = manifest.spec.model_dump(
            mode="json", exclude_none=True, exclude={"interaction_rules", "stream_keys"}, by_alias=True
        )
        written["room_name"] = manifest.room_name
        body = canonical_room(written)
        body.pop("interaction_rules", None)
        secrets = tuple(
            path.removeprefix("spec.").split("[", 1)[0] for path, _ in manifest.secret_references()
        )
        fingerprints, note = self._secret_fingerprints(manifest, ctx, address)
        value = DesiredRoom(
            manifest, manifest.room_name, body, tuple(rules), fingerprints, tuple(dict.fromkeys(secrets))
        )
        return Desired(address, value, references=tuple(self.references(manifest)), note=note)

    @staticmethod
    def _secret_fingerprints(
        manifest: RoomManifest, ctx: BuildContext, address: Address
    ) -> tuple[dict[str, str] | None, str | None]:
        if ctx.fingerprint is None:
            return None, None
        try:
            body = manifest.body(ctx.environ, []).model_dump(mode="json", exclude_none=True)
        except ManifestError as exc:
            return None, f"{address}: its secrets are not available here ({exc}); they are not verified"
        out = {}
        if body.get("stream_keys"):
            out["stream_keys"] = ctx.fingerprint(body["stream_keys"])
        key = (body.get("live_event_callback_config") or {}).get("key")
        if key:
            out["live_event_callback_config.key"] = ctx.fingerprint(key)
        return out, None

    async def read(self, api: MetaStudioApi, request: ReadRequest) -> LiveRooms:
        return await read_rooms(api, request)

    async def listing(self, api: MetaStudioApi) -> Sequence[Listed]:
        return [
            Listed(s.room_id, s.room_name or "", s.room_state or "")
            for s in await api.list_rooms()
            if s.room_id
        ]

    def live_material(self, live: LiveRooms) -> Any:
        return sorted([r.room_name, r.room_id, r.update_time] for r in live.rooms)

    def live_ids(self, live: LiveRooms) -> Collection[str]:
        return set(live.by_id)

    def match(
        self,
        desired: Desired[DesiredRoom],
        live: LiveRooms,
        record: ManagedRecord | None,
        ctx: PlanContext,
    ) -> Sequence[LiveRoom]:
        if record is not None and not record.is_intent:
            recorded = live.by_id.get(record.remote_id)
            if recorded is not None:
                return [recorded]
        return live.by_name.get(desired.value.room_name, [])

    def plan(
        self,
        desired: Desired[DesiredRoom],
        matched: Sequence[LiveRoom],
        record: ManagedRecord | None,
        ctx: PlanContext,
    ) -> ResourceChange:
        return update_requested(plan_room(desired.address, desired.value, matched, record, ctx), ctx)

    def prune(self, record: ManagedRecord, live: LiveRooms) -> ResourceChange | None:
        found = live.by_id.get(record.remote_id)
        return pruned_delete(record, found.canonical) if found is not None else None

    def sequence(self, changes: Sequence[ResourceChange]) -> Mapping[Address, tuple[Address, ...]]:
        return {}

    def adopt(
        self,
        change: ResourceChange,
        record: ManagedRecord,
        desired: Desired[DesiredRoom] | None,
        live: LiveRooms,
    ) -> Adoption | None:
        """An intent whose room the plan found by name: a create of ours whose answer, or whose state
        write, a crash cut off."""
        if record.is_intent and change.remote_id:
            return Adoption(
                replace(record, remote_id=change.remote_id),
                f"{change.address}: recorded room_id {change.remote_id}, created by an interrupted apply",
            )
        return None

    # Apply --------------------------------------------------------------------------------------

    def _record(self, desired: Desired[DesiredRoom], room_id: str) -> ManagedRecord:
        return ManagedRecord(
            desired.address, room_id, field_fingerprints=dict(desired.value.secret_fingerprints or {})
        )

    async def apply(
        self, change: ResourceChange, desired: Desired[DesiredRoom] | None, ctx: ApplyContext
    ) -> Applied:
        if change.actions == (Action.DELETE,):
            return await self._delete(change, ctx)
        assert desired is not None, "a create or update has a declaration"
        rules = desired.value.rules_with_ids(ctx.resolve)
        body = desired.value.manifest.body(None, rules)
        if change.actions == (Action.CREATE,):
            return await self._create(desired, body, ctx)
        return await self._update(change, desired, body, ctx)

    async def _create(
        self, desired: Desired[DesiredRoom], body: models.CreateSmartLiveRoomReq, ctx: ApplyContext
    ) -> Applied:
        await ctx.record(self._record(desired, PENDING))  # the intent (runs/apply.py's docstring)
        name = desired.value.room_name

        async def lookup() -> str | None:
            # The plan found no room of this name: one there now is our own lost create.
            found = [r for r in await ctx.api.list_rooms(room_name=name) if r.room_name == name]
            return found[0].room_id if found else None

        limiter = ctx.limiter("CreateSmartLiveRoom")

        async def create() -> str:
            room_id = await ctx.patient(lambda: ctx.api.create_room(body), limiter=limiter)
            return answered_id(room_id, "room_id", "CreateSmartLiveRoom")

        room_id = await ctx.until_known(f"{desired.address}: create", create, lookup=lookup)
        await ctx.record(self._record(desired, room_id))
        return Applied(f"created (room_id {room_id}, {len(body.interaction_rules or [])} rule(s))", room_id)

    async def _update(
        self,
        change: ResourceChange,
        desired: Desired[DesiredRoom],
        body: models.CreateSmartLiveRoomReq,
        ctx: ApplyContext,
    ) -> Applied:
        room_id = change.remote_id or ""
        rewritten = []
        for command in change.live_commands:
            what = "rules" if command.command == REWRITE_RULES else "scene scripts"
            if await self._command(ctx, room_id, command, body):
                rewritten.append(f"{what} rewritten in running job {command.job_id}")
            else:
                rewritten.append(f"job {command.job_id} has ended: no {what} to rewrite")
        limiter = ctx.limiter("UpdateSmartLiveRoom")
        # A whole-room PUT is idempotent: sending it again after a lost answer is safe.
        await ctx.until_known(
            f"{change.address}: update",
            lambda: ctx.patient(lambda: ctx.api.update_room(room_id, body), limiter=limiter),
        )
        await ctx.record(self._record(desired, room_id))
        done = [f"updated in place (room_id {room_id}, {len(change.changes)} field(s))", *rewritten]
        return Applied("; ".join(done), room_id)

    async def _command(
        self, ctx: ApplyContext, room_id: str, command: LiveCommand, body: models.CreateSmartLiveRoomReq
    ) -> bool:
        """Send one rewrite; False when the job ended meanwhile (nothing left to rewrite)."""
        wire = models.to_wire(body)
        field_name = "interaction_rules" if command.command == REWRITE_RULES else "scene_scripts"
        params = {field_name: wire.get(field_name) or []}

        async def send() -> bool:
            try:
                await ctx.patient(
                    lambda: ctx.api.execute_command(room_id, command.job_id, command.command, params)
                )
            except RemoteError as exc:
                if exc.code == JOB_STATE_CONFLICT:
                    return False
                raise
            return True

        # Rewriting with the same rules again is idempotent.
        return await ctx.until_known(f"{command.command} of job {command.job_id}", send)

    async def _delete(self, change: ResourceChange, ctx: ApplyContext) -> Applied:
        room_id = change.remote_id or ""
        active = [
            j.job_id for j in await ctx.api.list_room_jobs(room_id) if j.state in models.ACTIVE_JOB_STATES
        ]
        if active:
            raise RemoteError(
                400,
                JOB_STATE_CONFLICT,
                f"room {room_id} has active job(s) {', '.join(str(j) for j in active)}: a room is deleted only "
                "after its jobs stopped (declare them stopped, or prune them with --allow-restart)",
            )

        async def listed() -> set[str]:
            return {r.room_id or "" for r in await ctx.api.list_rooms()}

        return await delete_remote(ctx, change, "room_id", ctx.api.delete_room, listed)

    async def settle(self, ctx: ApplyContext, written: Mapping[Address, Desired[DesiredRoom]]) -> None:
        return None

    # Export -------------------------------------------------------------------------------------

    async def export(self, api: MetaStudioApi, request: ExportRequest) -> Sequence[Exported]:
        """Each selected room, named after its room_name (export_names.slug); rules from an exported group
        written back as `{import: GROUP}` (room_export.py). A room_name two rooms share is refused: plan
        could not tell them apart."""
        groups = {group.remote_id: group for group in request.exported(rule_group.NAME)}
        summaries = sorted(
            (s for s in await api.list_rooms() if s.room_id),
            key=lambda s: (s.room_name or "", s.room_id or ""),
        )
        names: dict[str, str] = {}
        taken: set[str] = set()
        ids_by_name: dict[str, list[str]] = defaultdict(list)
        for summary in summaries:
            room_id = summary.room_id or ""
            names[room_id] = unique(slug(summary.room_name or room_id), taken)
            taken.add(names[room_id])
            ids_by_name[summary.room_name or ""].append(room_id)
        chosen = [
            s for s in summaries if request.selected(Address(NAME, names[s.room_id or ""]), s.room_name or "")
        ]

        async def one(summary: models.SmartLiveRoomBaseInfo) -> Exported:
            room_id, room_name = summary.room_id or "", summary.room_name or ""
            address = Address(NAME, names[room_id])
            refused = namesakes_refused("rooms", room_name, ids_by_name[room_name])
            if refused:
                return Exported(address, room_id, room_name, {}, refused=refused)
            shown = (await api.show_room(room_id)).model_dump(mode="json", exclude_none=True)
            spec, secrets = room_spec(shown, address.name, _SPEC_FIELDS, ROOM_DEFAULTS, groups)
            return Exported(address, room_id, room_name, spec, secrets)

        return await gather(one(s) for s in chosen)

    def adopted(
        self, record: ManagedRecord, desired: Desired[DesiredRoom], fingerprint: Fingerprinter
    ) -> ManagedRecord:
        # As apply records it: the fingerprints of its secrets, where they resolved.
        return replace(record, field_fingerprints=dict(desired.value.secret_fingerprints or {}))

    async def import_record(self, api: MetaStudioApi, address: Address, remote_id: str) -> ManagedRecord:
        try:
            room = await api.show_room(remote_id)
        except AuthError:
            raise
        except RemoteError as exc:
            if exc.status in (400, 404):
                raise ImportRefused(
                    f"no room {remote_id} in project {api.http.target.project_id} "
                    f"({exc.code or 'HTTP ' + str(exc.status)}: {exc.error_msg})"
                ) from None
            raise
        return ManagedRecord(address, remote_id, update_time=room.update_time or "")


KIND = SmartLiveRoomKind()
