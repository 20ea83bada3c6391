"""The built-in kinds: InteractionRuleGroup and SmartLiveJob (spec models, resource types, lint).

Specs reuse the API models of reconciler/api/models.py, so a manifest's fields, ranges and enums are
exactly the API's. The one deliberate difference is in SmartLiveJob: secret fields (stream_keys,
live_event_callback_config.key, interaction_callback_url) hold references, not values, and are
resolved only by ``LiveJobManifest.to_start_request``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconciler.api.models import (
    AuthType,
    CallbackEventType,
    CoStreamerConfig,
    InteractionRuleGroup,
    InteractionRuleInfo,
    LiveJobRunConfig,
    PlayPolicy,
    RTCLiveEventCallBackConfig,
    StartSmartLiveReq,
    VideoConfig,
    ViewMode,
)
from reconciler.errors import ManifestError
from reconciler.manifest.diagnostics import format_path
from reconciler.manifest.lint_jobs import lint_live_job
from reconciler.manifest.lint_rules import lint_rule_group
from reconciler.manifest.lint_set import duplicate_names, duplicate_rooms, running_room
from reconciler.manifest.registry import Manifest, register_kind, register_set_check
from reconciler.manifest.secrets import LiteralSecret, ReferenceOnly, ReferenceOrLiteral, Secret, SecretRef

#: Annotation on a SmartLiveJob: "true" lets apply restart this running job when its configuration
#: changed, without --allow-restart on the command line.
ALLOW_RESTART: Final = "smartlive.io/allow-restart"

_FORBID: Final = ConfigDict(extra="forbid")

StreamKey = Annotated[SecretRef, ReferenceOnly("STREAM_KEY")]
CallbackKey = Annotated[SecretRef, ReferenceOnly("CALLBACK_KEY")]
CallbackUrl = Annotated[Secret, ReferenceOrLiteral(max_length=2048)]


class RuleGroupSpec(BaseModel):
    """spec of an InteractionRuleGroup: the API's rule list, verbatim. The group_name is metadata.name."""

    model_config = _FORBID

    interaction_rules: list[InteractionRuleInfo] = Field(default_factory=list)


class LiveEventCallBackConfigSpec(BaseModel):
    """LiveEventCallBackConfig as written in a manifest: ``key`` is a secret reference."""

    model_config = _FORBID

    live_event_type_callback_url: str | None = Field(default=None, max_length=2048)
    auth_type: AuthType | None = None
    key: CallbackKey | None = None
    callback_event_type: list[CallbackEventType] | None = None


class LiveJobSpec(BaseModel):
    """spec of a SmartLiveJob: the room, the desired state and the StartSmartLive body verbatim
    (a unit test keeps these fields in step with StartSmartLiveReq)."""

    model_config = _FORBID

    room_id: str = Field(min_length=1, max_length=64, description="the smart-live room the job runs in")
    state: Literal["running", "stopped"] = Field(
        default="running", description="running: apply starts the job; stopped: apply stops it"
    )
    video_config: VideoConfig | None = None
    play_policy: PlayPolicy | None = None
    output_urls: list[str] | None = Field(default=None, max_length=1)
    stream_keys: list[StreamKey] | None = Field(default=None, max_length=1)
    interaction_callback_url: CallbackUrl | None = None
    live_event_callback_config: LiveEventCallBackConfigSpec | None = None
    rtc_callback_config: RTCLiveEventCallBackConfig | None = None
    view_mode: ViewMode | None = None
    co_streamer_config: CoStreamerConfig | None = None
    job_run_config: LiveJobRunConfig | None = None


@dataclass(frozen=True)
class RuleGroupManifest(Manifest[RuleGroupSpec]):
    """A declared interaction rule group; ``name`` is the group_name."""

    @property
    def group_name(self) -> str:
        return self.name

    @property
    def interaction_rules(self) -> list[InteractionRuleInfo]:
        return self.spec.interaction_rules

    def to_request(self) -> InteractionRuleGroup:
        """The Create/UpdateInteractionRuleGroup body."""
        return InteractionRuleGroup(group_name=self.name, interaction_rules=list(self.spec.interaction_rules))


@dataclass(frozen=True)
class LiveJobManifest(Manifest[LiveJobSpec]):
    """A declared live job: which room, whether it should run, and the StartSmartLive body."""

    @property
    def room_id(self) -> str:
        return self.spec.room_id

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

    def to_start_request(self, environ: Mapping[str, str] | None = None) -> StartSmartLiveReq:
        """The StartSmartLive body with every secret resolved (from ``environ``, default os.environ).

        ManifestError if a secret is unavailable or its value breaks an API limit (key over 32
        characters, ...); messages name the field and the reference, never a value."""
        try:
            body = _resolved(self.spec, environ, exclude=frozenset({"room_id", "state"}))
        except ManifestError as exc:
            raise ManifestError(f"SmartLiveJob {self.name!r} ({self.source}): {exc}") from None
        try:
            return StartSmartLiveReq.model_validate(body)
        except ValidationError as exc:
            problems = "; ".join(
                f"{format_path(('spec', *error['loc']))}: {error['msg']}"
                for error in exc.errors(include_url=False, include_input=False, include_context=False)
            )
            raise ManifestError(f"SmartLiveJob {self.name!r} ({self.source}): {problems}") from None


def _resolved(value: Any, environ: Mapping[str, str] | None, exclude: frozenset[str] = frozenset()) -> Any:
    """Plain wire data of ``value`` with secrets replaced by their values and None fields left out."""
    if isinstance(value, BaseModel):
        return {
            name: _resolved(getattr(value, name), environ)
            for name in type(value).model_fields
            if name not in exclude and getattr(value, name) is not None
        }
    if isinstance(value, list):
        return [_resolved(item, environ) for item in value]
    if isinstance(value, SecretRef | LiteralSecret):
        return value.resolve(environ)
    return value


register_kind(
    "InteractionRuleGroup",
    RuleGroupSpec,
    resource_type=RuleGroupManifest,
    lint=lint_rule_group,
    description="A MetaStudio smart-live interaction rule group; metadata.name is its group_name.",
)
register_kind(
    "SmartLiveJob",
    LiveJobSpec,
    resource_type=LiveJobManifest,
    lint=lint_live_job,
    description="A MetaStudio smart-live job: the room it runs in, running or stopped, its StartSmartLive body.",
)
register_set_check(duplicate_names)
register_set_check(duplicate_rooms, extract=running_room)

# InteractionRuleTest (`smartlive test`) is declared with the rule engine it runs against.
import reconciler.events.testkind  # noqa: E402, F401
