"""SmartLiveJob: a running (or stopped) smart-live job, matched to the live one by its room.

At most one running job may be declared per room (validate S002), and a room with two active jobs where
one is declared is an error, not a guess. The job APIs return only some of what a job was started with
(API.md): those fields ("observed") are compared with the live job; the others ("blind": video_config,
play_policy, output_urls, ...) only through the fingerprints the state store kept of what was applied.

The manifest spec is the StartSmartLive body, with one deliberate difference: secret fields
(stream_keys, live_event_callback_config.key, interaction_callback_url) hold references, resolved only
by ``LiveJobManifest.to_start_request``.

Live state: one paged project-wide list filtered to the active states; per-room lists only where the
project-wide list is unavailable. Apply: start (after an intent record; a lost answer is looked up among
the room's active jobs), stop (a job already ended counts as stopped), restart (stop, then start), and
REFRESH_OUTPUT_URL when only the output changed. Starts are spaced by the run's StartSmartLive limiter; a
restart takes its start's slot before it stops the old job, so the room is dark only for its own stop and
start.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reconciler.api import models
from reconciler.engine import normalize
from reconciler.engine.diff import diff
from reconciler.engine.export_names import slug, unique
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
    Limiter,
    Listed,
    MissingReferenceError,
    PlanContext,
    ReadRequest,
    SharedReads,
    gather,
)
from reconciler.engine.plan import (
    RESTART,
    SENSITIVE,
    Action,
    FieldChange,
    Reason,
    ReasonCode,
    ResourceChange,
)
from reconciler.errors import AuthError, ManifestError, RemoteError
from reconciler.kinds import active_jobs
from reconciler.kinds.common import JOB_STATE_CONFLICT, answered_id, fingerprint_changes, view_mode_for
from reconciler.kinds.job_export import UNSHOWN_NOTE, job_spec
from reconciler.kinds.smart_live_room import NAME as ROOM_KIND
from reconciler.kinds.smart_live_room import RoomManifest
from reconciler.manifest import codes
from reconciler.manifest.diagnostics import Finding, format_loc
from reconciler.manifest.lint_jobs import LIVE_CODEC, lint_live_job
from reconciler.manifest.registry import KindSpec, Manifest, ResourceRef, SetCheck
from reconciler.manifest.secrets import CallbackKey, ReferenceOrLiteral, Secret, StreamKey, resolved_wire
from reconciler.resources import PENDING, Address, ManagedRecord, Reference

if TYPE_CHECKING:  # the HTTP stack loads only where a plan or apply runs, not for validate
    from reconciler.cloud.api import MetaStudioApi

NAME: Final = "SmartLiveJob"
#: Annotation: "true" lets apply restart this running job when its configuration changed, without
#: --allow-restart on the command line.
ALLOW_RESTART: Final = "smartlive.io/allow-restart"
#: The StartSmartLive operation, whose calls the run spaces below the tenant's rate.
START_OPERATION: Final = "StartSmartLive"


def address(name: str) -> Address:
    """The address of the SmartLiveJob manifest called `name` (events report finds its job by it)."""
    return Address(NAME, name)


# Manifest -------------------------------------------------------------------------------------------

CallbackUrl = Annotated[Secret, ReferenceOrLiteral(max_length=2048)]
_FORBID: Final = ConfigDict(extra="forbid")


class LiveEventCallBackConfigSpec(BaseModel):
    """The live events posted to an HTTPS callback, and how the callback is signed; key is a secret
    reference, ${env:NAME} or ${file:PATH}."""

    # LiveEventCallBackConfig as written in a manifest: the key is a reference, not the secret.
    api_model: ClassVar[type[BaseModel]] = models.LiveEventCallBackConfig
    model_config = _FORBID

    live_event_type_callback_url: str | None = Field(default=None, max_length=2048)
    auth_type: models.AuthType | None = None
    key: CallbackKey | None = None
    callback_event_type: list[models.CallbackEventType] | None = None


class LiveJobSpec(BaseModel):
    """The job: the room it runs in (room or room_id), whether it runs (state), and the body of
    StartSmartLive, the API operation that starts it."""

    # The StartSmartLive body verbatim; a unit test keeps these fields in step with StartSmartLiveReq.
    api_model: ClassVar[type[BaseModel]] = models.StartSmartLiveReq
    model_config = _FORBID

    room: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        description="metadata.name of the SmartLiveRoom the job runs in",
    )
    room_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="the id of a room made elsewhere (instead of room)",
    )
    state: Literal["running", "stopped"] = Field(
        default="running", description="running: apply starts the job; stopped: apply stops it"
    )
    video_config: models.VideoConfig | None = None
    play_policy: models.PlayPolicy | None = None
    output_urls: list[str] | None = Field(default=None, max_length=1)
    stream_keys: list[StreamKey] | None = Field(default=None, max_length=1)
    interaction_callback_url: CallbackUrl | None = None
    live_event_callback_config: LiveEventCallBackConfigSpec | None = None
    rtc_callback_config: models.RTCLiveEventCallBackConfig | None = None
    view_mode: models.ViewMode | None = None
    co_streamer_config: models.CoStreamerConfig | None = None
    job_run_config: models.LiveJobRunConfig | None = None

    @model_validator(mode="after")
    def _one_room(self) -> LiveJobSpec:
        if (self.room is None) == (self.room_id is None):
            raise ValueError(
                "give the room the job runs in: room (a declared SmartLiveRoom) or room_id, exactly one"
            )
        return self


#: Spec fields that are not StartSmartLive body fields.
_NOT_IN_BODY: Final = frozenset({"room", "room_id", "state"})


@dataclass(frozen=True)
class LiveJobManifest(Manifest[LiveJobSpec]):
    """A declared live job: which room, whether it should run, and the StartSmartLive body."""

    @property
    def room_id(self) -> str:
        """The room's id when the manifest gives it (room_id), else "" (it names a declared room)."""
        return self.spec.room_id or ""

    @property
    def room(self) -> Address | None:
        """The declared room the job runs in (room), else None."""
        return Address(ROOM_KIND, self.spec.room) if self.spec.room is not None else None

    @property
    def state(self) -> Literal["running", "stopped"]:
        return self.spec.state

    @property
    def allow_restart(self) -> bool:
        """The smartlive.io/allow-restart annotation is "true"."""
        return self.annotations.get(ALLOW_RESTART) == "true"

    def secret_references(self) -> Iterator[tuple[str, Secret]]:
        """(path, secret) for every secret field that is set; nothing is resolved."""
        for index, key in enumerate(self.spec.stream_keys or []):
            yield f"spec.stream_keys[{index}]", key
        if self.spec.interaction_callback_url is not None:
            yield "spec.interaction_callback_url", self.spec.interaction_callback_url
        callback = self.spec.live_event_callback_config
        if callback is not None and callback.key is not None:
            yield "spec.live_event_callback_config.key", callback.key

    def request_with_references(self) -> dict[str, Any]:
        """The StartSmartLive body as written: secrets stay references."""
        body: dict[str, Any] = self.spec.model_dump(mode="json", exclude_none=True, exclude=set(_NOT_IN_BODY))
        return body

    def to_start_request(self, environ: Mapping[str, str] | None = None) -> models.StartSmartLiveReq:
        """The StartSmartLive body with every secret resolved (from ``environ``, default os.environ).

        ManifestError if a secret is unavailable or its value breaks an API limit (key over 32
        characters, ...); messages name the field and the reference, never a value."""
        try:
            body = resolved_wire(self.spec, environ, exclude=_NOT_IN_BODY)
        except ManifestError as exc:
            raise ManifestError(f"SmartLiveJob {self.name!r} ({self.source}): {exc}") from None
        try:
            return models.StartSmartLiveReq.model_validate(body)
        except ValidationError as exc:
            problems = "; ".join(
                f"{format_loc(('spec', *error['loc']))}: {error['msg']}"
                for error in exc.errors(include_url=False, include_input=False, include_context=False)
            )
            raise ManifestError(f"SmartLiveJob {self.name!r} ({self.source}): {problems}") from None


def running_room(resource: Manifest[Any]) -> tuple[str, str, str] | None:
    """(how the room is named, its id or name, the field) of a SmartLiveJob declared running, else None."""
    if isinstance(resource, LiveJobManifest) and resource.state == "running":
        if resource.spec.room is not None:
            return ("SmartLiveRoom", resource.spec.room, "room")
        return ("room", resource.room_id, "room_id")
    return None


def duplicate_rooms(summaries: Sequence[tuple[ResourceRef, Any]]) -> Iterator[tuple[ResourceRef, Finding]]:
    """At most one SmartLiveJob per room may be declared running: apply would start them all."""
    running: dict[tuple[str, str], ResourceRef] = {}
    for ref, room in summaries:
        if room is None:
            continue
        how, which, field_name = room
        seen = running.setdefault((how, which), ref)
        if seen is not ref:
            yield (
                ref,
                Finding(
                    codes.ROOM_RUNNING_TWICE,
                    f"{how} {which} already has running SmartLiveJob {seen.name!r} ({seen.source}); "
                    "declare at most one running job per room",
                    ("spec", field_name),
                ),
            )


# Canonical forms ------------------------------------------------------------------------------------

_JOB_PLACES: Final = {
    "VideoConfig": "video_config.",
    "SubtitleConfig": "video_config.subtitle_config.",
    "PlayPolicy": "play_policy.",
    "LiveExitConfig": "play_policy.live_exit_config.",
    "LiveEventCallBackConfig": "live_event_callback_config.",
    "VoiceConfig": "co_streamer_config.voice_config.",
}
#: Documented defaults of StartSmartLiveReq (seed 003), by dotted path inside the request body.
JOB_DEFAULTS: Mapping[str, Any] = normalize.defaults_at(_JOB_PLACES)
#: Seed 003: "未携带配置则默认订阅LIVE_PROGRESS" - without a config the job subscribes LIVE_PROGRESS.
DEFAULT_RTC_CALLBACK = normalize.defaults_at({"RTCLiveEventCallBackConfig": ""})
#: StartSmartLiveReq fields the service never returns (API.md): compared through the state store only.
JOB_BLIND_FIELDS: Final = (
    "video_config",
    "play_policy",
    "output_urls",
    "stream_keys",
    "interaction_callback_url",
    "view_mode",
    "job_run_config",
)
#: Blind fields GET_LIVE_JOB_CONFIG_INFO shows in clear (it masks stream_keys and the callback key, and
#: has no interaction_callback_url or job_run_config): where no state record vouches for them, they are
#: compared with the running job's configuration, read back.
READABLE_BLIND_FIELDS: Final = ("video_config", "play_policy", "output_urls", "view_mode")
#: Objects the service runs with its documented defaults when the configuration has none.
_DEFAULTED_OBJECTS: Final = ("video_config", "play_policy")
#: Fields a running job shows, compared with the live value directly.
JOB_OBSERVED_FIELDS: Final = ("live_event_callback_config", "rtc_callback_config", "co_streamer_config")
_OBSERVED_DEFAULTS = {k: v for k, v in JOB_DEFAULTS.items() if k.split(".", 1)[0] in JOB_OBSERVED_FIELDS}
#: A change confined to these is applied with REFRESH_OUTPUT_URL, without restarting the stream.
JOB_OUTPUT_FIELDS: Final = frozenset({"output_urls", "stream_keys"})
#: The callback key is a secret: it is compared through its fingerprint, never with a live value.
SECRET_OBSERVED_PATHS: Final = frozenset({"live_event_callback_config.key"})
#: Paths of a job's canonical form that hold secrets; they render as SENSITIVE everywhere.
JOB_SECRET_PATHS: Final = frozenset(
    {"stream_keys", "interaction_callback_url", "live_event_callback_config.key"}
)
#: Fields the service derives when a request leaves them out (view_mode, from the resolution).
_DERIVED: Final = frozenset({"view_mode"})


def normalize_job_request(body: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical StartSmartLiveReq: observed fields and blind fields, defaults filled.

    An observed field the body leaves out (rtc_callback_config, say) is not filled in: the job then runs
    with its room's value, which only the room knows (see declared_observed_fields)."""
    out: dict[str, Any] = normalize.clean(dict(body))
    normalize.fill(out, JOB_DEFAULTS)
    if "video_config" in out:
        # Derived from the job's resolution; without a video_config the room's canvas decides it.
        out.setdefault("view_mode", view_mode_for(out["video_config"]))
    return out


def observed_job_fields(job: Mapping[str, Any]) -> dict[str, Any]:
    """The comparable part of a job, from either side (request body or SmartLiveJob response)."""
    source: dict[str, Any] = normalize.clean({k: job.get(k) for k in JOB_OBSERVED_FIELDS})
    normalize.fill(source, _OBSERVED_DEFAULTS)
    source.setdefault("rtc_callback_config", dict(DEFAULT_RTC_CALLBACK))
    callback = source.get("live_event_callback_config")
    if isinstance(callback, dict):
        callback.pop("key", None)
    return source


def declared_observed_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """The observed fields a StartSmartLiveReq body declares, canonical, defaults filled inside them.

    A job started without live_event_callback_config, rtc_callback_config or co_streamer_config runs with
    its room's (and only without a room value with the documented default), so a field the manifest
    leaves out is not compared: restarting the job would not change it. As `kubectl diff` leaves alone
    the fields a manifest does not set."""
    declared = normalize.clean(dict(body))
    return {k: v for k, v in observed_job_fields(declared).items() if k in declared}


def comparable_live_fields(live: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a live job's observed fields to compare with `desired` (declared_observed_fields):
    the fields the manifest declares; the others are the room's."""
    return {k: v for k, v in live.items() if k in desired}


def blind_job_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    canonical = normalize_job_request(body)
    out: dict[str, Any] = {k: canonical[k] for k in JOB_BLIND_FIELDS if k in canonical}
    callback = canonical.get("live_event_callback_config")
    if isinstance(callback, dict) and "key" in callback:
        # Not comparable with a live value (see SECRET_OBSERVED_PATHS), so tracked with the blind ones.
        out["live_event_callback_config.key"] = callback["key"]
    return out


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


# Values ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobDeclaration:
    """A SmartLiveJob manifest reduced to what planning and apply need."""

    name: str
    room_id: str
    state: Literal["running", "stopped"]
    #: StartSmartLiveReq fields as written, secret references unresolved.
    request: Mapping[str, Any]
    allow_restart: bool = False


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
class DesiredJobInputs:
    """A desired job and how to build its request: secrets are resolved only when it is (re)started or
    refreshed (apply's environment may differ from plan's)."""

    job: DesiredJob
    manifest: LiveJobManifest | None = None
    #: The declared room the job runs in; its id is known at plan time if it exists, else after apply.
    room: Address | None = None

    def build_request(self, environ: Mapping[str, str] | None = None) -> models.StartSmartLiveReq:
        if self.manifest is None:
            return models.StartSmartLiveReq.model_validate({})
        return self.manifest.to_start_request(environ)


@dataclass(frozen=True)
class LiveJob:
    job_id: str
    room_id: str
    state: str
    observed: dict[str, Any] = field(default_factory=dict)
    #: READABLE_BLIND_FIELDS of the job's effective configuration, canonical; None when not read back.
    config: dict[str, Any] | None = None
    #: Why reading the configuration back failed (the service's answer), when it did.
    config_error: str = ""


def readable_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The READABLE_BLIND_FIELDS of a GET_LIVE_JOB_CONFIG_INFO answer, canonical as a request's."""
    out: dict[str, Any] = normalize.clean({k: config[k] for k in READABLE_BLIND_FIELDS if k in config})
    if "video_config" in out:  # an answer without view_mode runs with the one its resolution gives
        out.setdefault("view_mode", view_mode_for(out["video_config"]))
    for name in _DEFAULTED_OBJECTS:
        out.setdefault(name, {})  # absent: the job runs with the documented defaults, filled below
    normalize.fill(out, JOB_DEFAULTS)
    return out


def desired_job(
    declaration: JobDeclaration,
    *,
    resolve: Any = None,
    fingerprint: Any = None,
) -> DesiredJob:
    """`resolve` turns the request with references into the request with values (for fingerprints)."""
    canonical = normalize_job_request(declaration.request)
    observed = declared_observed_fields(declaration.request)
    blind = blind_job_fields(declaration.request)
    fingerprints: dict[str, str] | None = None
    if fingerprint is not None:
        if resolve is not None:
            resolved_blind = blind_job_fields(resolve(declaration.request))
        else:  # the secrets are not available here: every other field is the same resolved or not
            resolved_blind = {n: v for n, v in blind.items() if n not in JOB_SECRET_PATHS}
        fingerprints = {name: fingerprint(value) for name, value in resolved_blind.items()}
    return DesiredJob(
        declaration.name, declaration.room_id, declaration.state, observed, blind, fingerprints, canonical
    )


def live_job(job: models.SmartLiveJob) -> LiveJob:
    observed = observed_job_fields(job.model_dump(mode="json", exclude_none=True))
    return LiveJob(
        job_id=job.job_id or "", room_id=job.room_id or "", state=job.state or "", observed=observed
    )


@dataclass(frozen=True)
class LiveJobs:
    """The active jobs a plan read, indexed by room and by id."""

    jobs: tuple[LiveJob, ...]
    #: How the jobs were read, for the curious: "project" or "rooms".
    source: str = "project"
    #: Rooms a declared running job names by room_id that do not exist (a plan error).
    missing_rooms: frozenset[str] = frozenset()
    by_room: dict[str, list[LiveJob]] = field(init=False, repr=False, compare=False)
    by_id: dict[str, LiveJob] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_room: dict[str, list[LiveJob]] = {}
        for job in self.jobs:
            by_room.setdefault(job.room_id, []).append(job)
        object.__setattr__(self, "by_room", by_room)
        object.__setattr__(self, "by_id", {j.job_id: j for j in self.jobs})


async def read_back_configs(
    api: MetaStudioApi, live: LiveJobs, rooms: Collection[str]
) -> tuple[LiveJob, ...]:
    """The active jobs, those in `rooms` with their configuration read back (GET_LIVE_JOB_CONFIG_INFO).

    A refusal is kept with the job, not raised: planning shows the fields it would have compared as
    "? may change" and says why (a job that ended meanwhile, a command the service does not offer)."""

    async def one(job: LiveJob) -> LiveJob:
        if job.room_id not in rooms:
            return job
        try:
            info = await api.job_config(job.room_id, job.job_id)
        except AuthError:
            raise
        except RemoteError as exc:
            return replace(job, config_error=f"GET_LIVE_JOB_CONFIG_INFO: {exc}")
        return replace(job, config=readable_config(info.model_dump(mode="json", exclude_none=True)))

    return tuple(await gather(one(job) for job in live.jobs))


async def read_active_jobs(
    api: MetaStudioApi, rooms: Iterable[str], shared: SharedReads | None = None
) -> LiveJobs:
    """The active jobs (active_jobs.py), normalized for planning."""
    active = await active_jobs.read_active_jobs(api, rooms, shared)
    return LiveJobs(tuple(live_job(job) for job in active.jobs), active.source)


# Plan -----------------------------------------------------------------------------------------------


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


def vouched(desired: DesiredJob, record: ManagedRecord | None) -> bool:
    """The state store speaks for the job's blind fields: it kept fingerprints of what was applied, and
    this plan has fingerprints to compare with them."""
    return desired.blind_fingerprints is not None and record is not None and bool(record.field_fingerprints)


def needs_config(desired: DesiredJob, record: ManagedRecord | None) -> bool:
    """Planning the job wants its configuration read back: the store does not speak for a declared
    field that GET_LIVE_JOB_CONFIG_INFO shows."""
    return not vouched(desired, record) and any(n in READABLE_BLIND_FIELDS for n in desired.blind)


def _blind_changes(
    desired: DesiredJob, record: ManagedRecord | None, job: LiveJob
) -> tuple[list[FieldChange], tuple[str, ...]]:
    """Changes in the fields the job APIs never return, and the declared ones that could not be compared.

    Where the state store vouches, through the fingerprints of what was applied: a field declared or
    dropped since counts as changed (the job runs with what it was started with), and a secret whose
    value is not available here cannot be compared. Else, with the running job's configuration read
    back, for the fields it shows. What neither covers is unverifiable ("? may change"), never equal."""
    wanted = desired.blind_fingerprints
    if wanted is not None and record is not None and record.field_fingerprints:
        unknown = frozenset(n for n in desired.blind if n not in wanted)
        changes = fingerprint_changes(
            wanted,
            {n: h for n, h in record.field_fingerprints.items() if n not in unknown},
            after=desired.blind.get,
            forces_restart=_forces_restart,
            # view_mode left out is derived by the service (from the room's resolution): no change.
            left_to_service=_DERIVED,
        )
        return changes, tuple(sorted(unknown))
    config = job.config
    readable = [n for n in desired.blind if n in READABLE_BLIND_FIELDS] if config is not None else []
    read_back: list[FieldChange] = []
    if config is not None and readable:
        live = {n: config.get(n) for n in readable}
        read_back = list(diff(live, {n: desired.blind[n] for n in readable}, forces_restart=_forces_restart))
    return read_back, tuple(sorted(n for n in desired.blind if n not in readable))


def _forces_restart(path: str) -> bool:
    return path.split("[", 1)[0].split(".", 1)[0] not in JOB_OUTPUT_FIELDS


def plan_job(desired: DesiredJob, active: Sequence[LiveJob], record: ManagedRecord | None) -> ResourceChange:
    address = Address(NAME, desired.name)
    after = mask_job(desired.canonical or {**desired.observed, **desired.blind})
    if len(active) > 1:
        ids = ", ".join(sorted(j.job_id for j in active))
        raise AmbiguityError(
            f"{address}: room {desired.room_id} has {len(active)} active jobs ({ids}); "
            "stop the extra ones or import the right one with `smartlive import`"
        )
    # A room yet to be created has no id yet: null in the plan, known after apply.
    base = ResourceChange(
        address, (Action.NOOP,), Reason(ReasonCode.STOPPED), room_id=desired.room_id or None
    )
    if not active:
        if desired.state == "stopped":
            return base
        return replace(base, actions=(Action.START,), reason=Reason(ReasonCode.NOT_RUNNING), after=after)
    job = active[0]
    base = replace(
        base,
        reason=Reason(ReasonCode.RUNNING, remote_state=job.state),
        before={"job_id": job.job_id, "state": job.state, **mask_job(job.observed)},
        remote_id=job.job_id,
    )
    if desired.state == "stopped":
        return replace(
            base,
            actions=(Action.STOP,),
            reason=Reason(ReasonCode.DECLARED_STOPPED, remote_state=job.state),
            interrupts_stream=True,
        )
    matching_record = record if record is not None and record.remote_id == job.job_id else None
    live_observed = comparable_live_fields(job.observed, desired.observed)
    observed = [
        _mask_change(c) for c in diff(live_observed, desired.observed, forces_restart=lambda _p: True)
    ]
    blind, unverifiable = _blind_changes(desired, matching_record, job)
    changes = tuple(sorted(observed + [_mask_change(c) for c in blind], key=lambda c: c.path))
    base = replace(
        base,
        after=after,
        unverifiable=unverifiable,
        unverifiable_because=job.config_error if unverifiable else "",
        changes=changes,
    )
    if not changes:
        return base
    forced = tuple(c.path for c in changes if c.forces_restart)
    if not forced:
        # REFRESH_OUTPUT_URL writes the whole output: what else could not be compared still may differ.
        left = tuple(n for n in unverifiable if n not in JOB_OUTPUT_FIELDS)
        return replace(
            base,
            actions=(Action.REFRESH_OUTPUT,),
            reason=Reason(ReasonCode.OUTPUT_ONLY),
            unverifiable=left,
            unverifiable_because=base.unverifiable_because if left else "",
        )
    # A restart starts the job with every declared field: nothing is left uncompared.
    return replace(
        base,
        actions=RESTART,
        reason=Reason(ReasonCode.RESTART_REQUIRED, forced_by=forced),
        interrupts_stream=True,
        unverifiable=(),
        unverifiable_because="",
    )


# The kind -------------------------------------------------------------------------------------------


class LiveJobKind:
    name = NAME
    remote_id_name = "job_id"
    live_noun = "active job"
    referenced_kinds: frozenset[str] = frozenset({ROOM_KIND})
    # Matched by its room, not by a name: the active job of the room a manifest names is that
    # declaration's, recorded or not (docs/stacks.md, "Jobs").
    matched_by_name = False
    short_names: tuple[str, ...] = ("job", "jobs")
    folder = "jobs"

    def document(self) -> KindSpec:
        return KindSpec(
            NAME,
            LiveJobSpec,
            LiveJobManifest,
            (lambda r: lint_live_job(r.spec),),
            "A MetaStudio smart-live job: the room it runs in, running or stopped, its StartSmartLive body.",
            annotations={ALLOW_RESTART: frozenset({"true", "false"})},
            narrowed=(LIVE_CODEC,),
        )

    def set_checks(self) -> tuple[SetCheck, ...]:
        return (SetCheck(duplicate_rooms, running_room), SetCheck(room_overrides, declared_room_fields))

    def references(self, manifest: Manifest[Any]) -> Iterable[Reference]:
        assert isinstance(manifest, LiveJobManifest)
        room = manifest.room
        return (Reference(address(manifest.name), ("spec", "room"), room),) if room is not None else ()

    def secret_references(self, manifest: Manifest[Any]) -> Iterable[tuple[str, Secret]]:
        assert isinstance(manifest, LiveJobManifest)
        return manifest.secret_references()

    def build(self, manifest: Manifest[Any], ctx: BuildContext) -> Desired[DesiredJobInputs]:
        assert isinstance(manifest, LiveJobManifest)
        address = Address(NAME, manifest.name)
        declaration = JobDeclaration(
            manifest.name,
            manifest.room_id,
            manifest.state,
            manifest.request_with_references(),
            manifest.allow_restart,
        )
        note = None
        resolved: dict[str, Any] | None = None
        if ctx.fingerprint is not None:
            try:
                resolved = models.to_wire(manifest.to_start_request(ctx.environ))
            except ManifestError as exc:
                # Plan still works where secrets are not available (a pull-request check, say): the other
                # fields are compared, the secrets shown as "? may change"; apply resolves them again
                # and fails there.
                note = f"{address}: its secrets are not available here ({exc}); they are not compared"
        built = desired_job(
            declaration,
            resolve=(lambda _request: resolved) if resolved is not None else None,
            fingerprint=ctx.fingerprint,
        )
        return Desired(
            address,
            DesiredJobInputs(built, manifest, manifest.room),
            references=tuple(self.references(manifest)),
            allow_interrupt=manifest.allow_restart,
            note=note,
        )

    async def read(self, api: MetaStudioApi, request: ReadRequest) -> LiveJobs:
        rooms = {r.room_id for r in request.records.values()}
        to_start: set[str] = set()
        for address in request.declared:
            desired = request.desired(address)
            if desired is not None and desired.value.job.room_id:
                rooms.add(desired.value.job.room_id)
                if desired.value.job.state == "running":
                    to_start.add(desired.value.job.room_id)
        live = await read_active_jobs(api, rooms, request.shared)
        # A room that runs a job exists; any other room a job would start in is looked up, so that a
        # room_id naming no room is a plan error, not a failed start.
        unknown = sorted(to_start - set(live.by_room))
        if len(unknown) > _SHOW_AT_MOST:  # many rooms to look up: the paged list is fewer requests
            listed = {room.room_id for room in await api.list_rooms()}
            missing = frozenset(room_id for room_id in unknown if room_id not in listed)
        else:
            found = await gather(_room_exists(api, room_id) for room_id in unknown)
            missing = frozenset(room_id for room_id, exists in zip(unknown, found, strict=True) if not exists)
        jobs = await read_back_configs(api, live, await self._rooms_to_read_back(request, live))
        return replace(live, jobs=jobs, missing_rooms=missing)

    async def _rooms_to_read_back(self, request: ReadRequest, live: LiveJobs) -> set[str]:
        """The rooms whose active job a declared job may be, where the store does not vouch for it.

        A job named by room_id is in that room; one naming a declared room is in one of the rooms the room
        kind read (those declared or managed): a few more reads than needed, never one missing."""
        rooms: set[str] = set()
        in_declared_rooms = False
        for address in request.declared:
            desired = request.desired(address)
            if desired is None or desired.value.job.state != "running":
                continue
            job = desired.value.job
            record = request.records.get(address)
            if record is not None and record.remote_id not in live.by_id:
                record = None  # its job has ended: the store speaks for no running job
            if request.refresh or needs_config(job, record):
                if job.room_id:
                    rooms.add(job.room_id)
                else:
                    in_declared_rooms = True
        if in_declared_rooms and request.view is not None:
            rooms |= {room.room_id for room in (await request.view(ROOM_KIND)).rooms}
        return rooms

    async def listing(self, api: MetaStudioApi) -> Sequence[Listed]:
        """The active jobs: the ones `smartlive import` takes. A job has no name of its own; its room's
        stands in (the room_id where the service gives no name)."""
        return [
            Listed(j.job_id or "", j.room_name or j.room_id or "", j.state or "")
            for j in await self._project_active(api)
        ]

    def live_material(self, live: LiveJobs) -> Any:
        # A job moving from WAITING to PROCESSING does not make a plan stale; a new or vanished job does.
        return sorted([j.room_id, j.job_id] for j in live.jobs)

    def live_ids(self, live: LiveJobs) -> Collection[str]:
        return set(live.by_id)

    def match(
        self,
        desired: Desired[DesiredJobInputs],
        live: LiveJobs,
        record: ManagedRecord | None,
        ctx: PlanContext,
    ) -> Sequence[LiveJob]:
        room_id = _room_id(desired.value, ctx)
        if room_id in live.missing_rooms:
            raise MissingReferenceError(
                f"{desired.source}: {desired.address}: room_id {room_id} names no room in this project; create "
                "the room first, or declare it as a SmartLiveRoom and name it with room:"
            )
        # A room yet to be created has no job: the job is started after the room.
        return live.by_room.get(room_id, []) if room_id else []

    def plan(
        self,
        desired: Desired[DesiredJobInputs],
        matched: Sequence[LiveJob],
        record: ManagedRecord | None,
        ctx: PlanContext,
    ) -> ResourceChange:
        job = desired.value.job
        change = plan_job(replace(job, room_id=_room_id(desired.value, ctx)), matched, record)
        return _restart_requested(change) if ctx.replace_requested(desired.address) else change

    def prune(self, record: ManagedRecord, live: LiveJobs) -> ResourceChange | None:
        job = live.by_id.get(record.remote_id)
        if job is None:
            return None
        return ResourceChange(
            record.address,
            (Action.STOP,),
            Reason(ReasonCode.PRUNED, remote_state=job.state),
            before={"job_id": job.job_id, "state": job.state},
            remote_id=job.job_id,
            room_id=job.room_id,
            interrupts_stream=True,
        )

    def sequence(self, changes: Sequence[ResourceChange]) -> Mapping[Address, tuple[Address, ...]]:
        """In one room, stops (a pruned or declared-stopped job) before starts and restarts: a room may
        allow one job only."""
        by_room: dict[str, list[ResourceChange]] = defaultdict(list)
        for change in changes:
            if not change.is_noop:
                by_room[change.room_id or ""].append(change)
        out: dict[Address, tuple[Address, ...]] = {}
        for room_changes in by_room.values():
            stops = tuple(sorted(c.address for c in room_changes if c.actions == (Action.STOP,)))
            for change in room_changes:
                if stops and change.actions != (Action.STOP,):
                    out[change.address] = stops
        return out

    def adopt(
        self,
        change: ResourceChange,
        record: ManagedRecord,
        desired: Desired[DesiredJobInputs] | None,
        live: LiveJobs,
    ) -> Adoption | None:
        """An intent whose room now has the one active job the plan matched: a start of ours whose
        answer, or whose state write, a crash cut off."""
        remote_id = change.remote_id or ""
        if record.is_intent and record.room_id == (change.room_id or ""):
            return Adoption(
                replace(record, remote_id=remote_id),
                f"{change.address}: recorded job {remote_id}, started by an interrupted apply",
            )
        return None

    # Apply --------------------------------------------------------------------------------------

    def _record(
        self, change: ResourceChange, inputs: DesiredJobInputs, job_id: str, ctx: ApplyContext
    ) -> ManagedRecord:
        desired = inputs.job
        return ManagedRecord(
            change.address,
            job_id,
            desired.room_id,
            fingerprint=ctx.fingerprint(desired.canonical) if ctx.fingerprint else "",
            field_fingerprints=dict(desired.blind_fingerprints or {}),
        )

    async def apply(
        self, change: ResourceChange, desired: Desired[DesiredJobInputs] | None, ctx: ApplyContext
    ) -> Applied:
        inputs = desired.value if desired is not None else None
        if inputs is not None and inputs.room is not None and not inputs.job.room_id:
            # The room it names is resolved now: it may have been created earlier in this very run.
            inputs = replace(inputs, job=replace(inputs.job, room_id=ctx.resolve(inputs.room)))
        room_id = change.room_id or (inputs.job.room_id if inputs is not None else "")
        if change.actions == (Action.STOP,):
            await self._stop(ctx, room_id, change.remote_id or "")
            if inputs is None:
                await ctx.forget(change.address)  # pruned: no longer managed
            return Applied(f"stopped (job {change.remote_id})", change.remote_id or "")
        assert inputs is not None, "a start, restart or refresh has a declaration"
        if change.is_restart:
            job_id, warnings = await self._restart(change, inputs, room_id, ctx)
            return Applied(
                f"restarted: job {change.remote_id} stopped, job {job_id} started", job_id, warnings
            )
        if change.actions == (Action.START,):
            job_id, warnings = await self._start(change, inputs, ctx)
            return Applied(f"started (job {job_id})", job_id, warnings)
        return await self._refresh(change, inputs, ctx)

    async def _active(self, ctx: ApplyContext, room_id: str) -> list[models.SmartLiveJob]:
        return [j for j in await ctx.api.list_room_jobs(room_id) if j.state in models.ACTIVE_JOB_STATES]

    async def _stop(self, ctx: ApplyContext, room_id: str, job_id: str) -> None:
        async def stop() -> None:
            try:
                await ctx.patient(lambda: ctx.api.stop_job(room_id, job_id))
            except RemoteError as exc:
                if exc.code != JOB_STATE_CONFLICT:
                    raise  # else it has already ended (perhaps by our own lost stop): the goal is reached

        await ctx.until_known(f"stop of job {job_id}", stop)

    async def _restart(
        self, change: ResourceChange, inputs: DesiredJobInputs, room_id: str, ctx: ApplyContext
    ) -> tuple[str, tuple[str, ...]]:
        """Stop, then start at once: the room is dark only for these two round trips. Whatever may wait
        is done while the old job still runs: the room's active jobs are noted (a lost start's lookup
        must tell the new job from them), the request is built, and the room's slot under the start
        limit is taken, so a stopped room never queues behind other rooms' starts."""
        old_job = change.remote_id or ""
        before = {j.job_id or "" for j in await self._active(ctx, room_id)} | {old_job}
        request = inputs.build_request()
        limiter = ctx.limiter(START_OPERATION)
        slot = None
        if limiter is not None:
            await limiter.wait()
            slot = _TakenSlot(limiter)
        await self._stop(ctx, room_id, old_job)
        return await self._start(change, inputs, ctx, request=request, before=before, limiter=slot)

    async def _start(
        self,
        change: ResourceChange,
        inputs: DesiredJobInputs,
        ctx: ApplyContext,
        *,
        request: models.StartSmartLiveReq | None = None,
        before: Collection[str] = (),
        limiter: Limiter | None = None,
    ) -> tuple[str, tuple[str, ...]]:
        """`before`: the room's jobs that are not the one this start makes (a restart's old job)."""
        room_id = inputs.job.room_id
        request = request if request is not None else inputs.build_request()
        await ctx.record(self._record(change, inputs, PENDING, ctx))  # the intent
        limiter = limiter if limiter is not None else ctx.limiter(START_OPERATION)
        warnings: tuple[str, ...] = ()

        async def start() -> str:
            nonlocal warnings
            response = await ctx.patient(lambda: ctx.api.start_job(room_id, request), limiter=limiter)
            warnings = start_warnings(response)
            return answered_id(response.job_id, "job_id", START_OPERATION)

        async def lookup() -> str | None:
            appeared = [j for j in await self._active(ctx, room_id) if j.job_id not in before]
            return appeared[0].job_id or "" if appeared else None

        job_id = await ctx.until_known(f"{change.address}: start", start, lookup=lookup)
        await ctx.record(self._record(change, inputs, job_id, ctx))
        return job_id, warnings

    async def _refresh(self, change: ResourceChange, inputs: DesiredJobInputs, ctx: ApplyContext) -> Applied:
        request = inputs.build_request()
        params = {"output_urls": request.output_urls or [], "stream_keys": request.stream_keys or []}
        job_id = change.remote_id or ""
        room_id = inputs.job.room_id
        # Setting the same output again is idempotent.
        await ctx.until_known(
            f"{change.address}: refresh",
            lambda: ctx.patient(
                lambda: ctx.api.execute_command(room_id, job_id, "REFRESH_OUTPUT_URL", params)
            ),
        )
        await ctx.record(self._record(change, inputs, job_id, ctx))
        return Applied(f"output refreshed without restart (job {job_id})", job_id)

    async def settle(self, ctx: ApplyContext, written: Mapping[Address, Desired[DesiredJobInputs]]) -> None:
        return None

    # Export -------------------------------------------------------------------------------------

    async def export(self, api: MetaStudioApi, request: ExportRequest) -> Sequence[Exported]:
        """Each selected active job, named after its room (the exported room's metadata.name, else a slug
        of its room_name) with `-job` after it, naming its room by `room:` where the room is exported too,
        else by `room_id:` (job_export.py). A room with two active jobs is refused: plan could not tell
        which one a manifest is."""
        rooms = {room.remote_id: room for room in request.exported(ROOM_KIND)}
        jobs = sorted(
            await self._project_active(api), key=lambda j: (j.room_name or j.room_id or "", j.job_id or "")
        )
        by_room: dict[str, list[str]] = defaultdict(list)
        names: dict[str, str] = {}
        taken: set[str] = set()
        for job in jobs:
            room_id = job.room_id or ""
            by_room[room_id].append(job.job_id or "")
            room = rooms.get(room_id)
            base = room.address.name if room is not None else slug(job.room_name or room_id)
            names[job.job_id or ""] = unique(f"{base}-job", taken)
            taken.add(names[job.job_id or ""])
        chosen = [
            j
            for j in jobs
            if request.selected(address(names[j.job_id or ""]), j.room_name or j.room_id or "")
        ]

        async def one(job: models.SmartLiveJob) -> Exported:
            job_id, room_id = job.job_id or "", job.room_id or ""
            name, remote_name = names[job_id], job.room_name or room_id
            if len(by_room[room_id]) > 1:
                why = (
                    f"room {room_id} has {len(by_room[room_id])} active jobs ({', '.join(sorted(by_room[room_id]))}): "
                    "plan could not tell which one a manifest is; stop the extra ones first"
                )
                return Exported(address(name), job_id, remote_name, {}, refused=why)
            shown_room = (await api.show_room(room_id)).model_dump(mode="json", exclude_none=True)
            notes = [UNSHOWN_NOTE]
            try:
                config: dict[str, Any] | None = (await api.job_config(room_id, job_id)).model_dump(
                    mode="json", exclude_none=True
                )
            except AuthError:
                raise
            except RemoteError as exc:
                config = None
                notes.append(
                    f"{address(name)}: its configuration could not be read back (GET_LIVE_JOB_CONFIG_INFO: "
                    f"{exc}): its video_config, play_policy, output_urls and stream_keys are not written"
                )
            room = rooms.get(room_id)
            spec, secrets = job_spec(
                shown_room,
                job.model_dump(mode="json", exclude_none=True),
                config,
                name,
                room_entry={"room": room.address.name} if room is not None else {"room_id": room_id},
                defaults=JOB_DEFAULTS,
                rtc_default=DEFAULT_RTC_CALLBACK,
                callback_fields=frozenset(LiveEventCallBackConfigSpec.model_fields),
            )
            return Exported(address(name), job_id, remote_name, spec, secrets, tuple(notes))

        return await gather(one(j) for j in chosen)

    @staticmethod
    async def _project_active(api: MetaStudioApi) -> tuple[models.SmartLiveJob, ...]:
        """The active jobs: the project-wide list, else (where it is not offered) every room's."""
        active = await active_jobs.read_active_jobs(api, ())
        if active.source == "rooms":
            rooms = [room.room_id for room in await api.list_rooms() if room.room_id]
            active = await active_jobs.read_active_jobs(api, rooms)
        return active.jobs

    def adopted(
        self, record: ManagedRecord, desired: Desired[DesiredJobInputs], fingerprint: Fingerprinter
    ) -> ManagedRecord:
        # As a start records it: the fingerprints of the fields the service never shows, where resolved.
        job = desired.value.job
        return replace(
            record,
            fingerprint=fingerprint(job.canonical),
            field_fingerprints=dict(job.blind_fingerprints or {}),
        )

    async def import_record(self, api: MetaStudioApi, address: Address, remote_id: str) -> ManagedRecord:
        active = [job for job in await api.list_project_jobs() if job.job_id == remote_id]
        if not active:
            raise ImportRefused(
                f"no running job {remote_id} in project {api.http.target.project_id}: only a WAITING or PROCESSING job can "
                "be imported (for a job that has ended, apply starts a new one)"
            )
        return ManagedRecord(address, remote_id, room_id=active[0].room_id or "")


class _TakenSlot:
    """A start-limit slot a restart took before its stop: the start's first try goes at once on it; a try
    after a throttled answer waits for a new slot like any other call."""

    def __init__(self, limiter: Limiter) -> None:
        self._limiter = limiter
        self._taken = True

    async def wait(self) -> None:
        if self._taken:
            self._taken = False
            return
        await self._limiter.wait()

    def pause(self, seconds: float) -> None:
        self._limiter.pause(seconds)


def _restart_requested(change: ResourceChange) -> ResourceChange:
    """--replace of a job declared running that runs: restarted whatever differs (naming it is the
    consent the restart guard asks for). Not running, it is started anyway; declared stopped, stopped."""
    if not change.remote_id or change.actions == (Action.STOP,):
        return change
    reason = Reason(
        ReasonCode.REPLACE_REQUESTED,
        forced_by=change.reason.forced_by,
        remote_state=change.reason.remote_state,
    )
    return replace(change, actions=RESTART, reason=reason, interrupts_stream=True)


#: Fields a StartSmartLive body and a room body share: the job's value replaces the room's whole.
ROOM_DEFAULT_FIELDS: Final = (
    "video_config",
    "play_policy",
    "output_urls",
    "stream_keys",
    "live_event_callback_config",
    "rtc_callback_config",
    "view_mode",
    "co_streamer_config",
)


def declared_room_fields(resource: Manifest[Any]) -> tuple[str, str, tuple[str, ...]] | None:
    """("room", name, fields) of a room, ("job", the room it names, fields) of a job in a declared room:
    the shared fields each sets."""
    if isinstance(resource, RoomManifest):
        return (
            "room",
            resource.name,
            tuple(f for f in ROOM_DEFAULT_FIELDS if getattr(resource.spec, f) is not None),
        )
    if isinstance(resource, LiveJobManifest) and resource.spec.room is not None:
        fields = tuple(f for f in ROOM_DEFAULT_FIELDS if getattr(resource.spec, f) is not None)
        return ("job", resource.spec.room, fields)
    return None


def room_overrides(summaries: Sequence[tuple[ResourceRef, Any]]) -> Iterator[tuple[ResourceRef, Finding]]:
    """A job's StartSmartLive body overrides its room's defaults field by field (the API documents it):
    a warning names each field both declare, so the room's value is not mistaken for the broadcast's."""
    rooms = {name: set(fields) for ref, (side, name, fields) in _present(summaries) if side == "room"}
    for ref, (side, name, fields) in _present(summaries):
        if side != "job" or name not in rooms:
            continue
        for field_name in fields:
            if field_name in rooms[name]:
                yield (
                    ref,
                    Finding(
                        codes.ROOM_FIELD_OVERRIDDEN,
                        f"{field_name} overrides the one {Address(ROOM_KIND, name)} declares: this job runs with "
                        "the job's value, whole",
                        ("spec", field_name),
                        at_key=True,
                    ),
                )


def _present(summaries: Sequence[tuple[ResourceRef, Any]]) -> Iterator[tuple[ResourceRef, Any]]:
    return ((ref, summary) for ref, summary in summaries if summary is not None)


#: Up to this many rooms are looked up one by one; more, by listing the rooms (100 a page).
_SHOW_AT_MOST: Final = 5


async def _room_exists(api: MetaStudioApi, room_id: str) -> bool:
    try:
        await api.show_room(room_id)
    except AuthError:
        raise
    except RemoteError as exc:
        if exc.status in (400, 404):  # the service answers an unknown id with 400 MSS.10001001
            return False
        raise
    return True


def _room_id(inputs: DesiredJobInputs, ctx: PlanContext) -> str:
    """The id of the room a job runs in: given by room_id, or the declared room's, if it exists yet."""
    if inputs.room is None:
        return inputs.job.room_id
    return ctx.remote_id(inputs.room) or ""


#: What each StartSmartLive warning means (seed 003, table 16).
WARNING_MEANINGS: Final = {
    "TOO_LESSS_SCRIPT_ITEMS": "too few script paragraphs",
    "TOO_SHORT_SCRIPT_TIME": "the script paragraphs are too short in all",
    "TOO_LESS_DANMAKU_RULES": "too few comment (danmaku) interaction rules",
    "RANDOM_PLAY_CLOSED": "random play is off",
    "ROTATION_MODEL_CLOSED": "no presenter rotation is configured",
}


def start_warnings(response: models.StartSmartLiveResponse) -> tuple[str, ...]:
    """StartSmartLive's live_warning_info, one line each (never thrown away)."""
    out = []
    for warning in response.live_warning_info or []:
        kind = warning.warning_type or "(no warning_type)"
        meaning = WARNING_MEANINGS.get(kind)
        out.append(f"{kind}: {meaning}" if meaning else kind)
    return tuple(out)


KIND = LiveJobKind()
