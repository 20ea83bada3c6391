"""Pydantic models of the MetaStudio smart-live API, field names exactly as on the wire.

Sources: the seed reference pages (shared/seeds/000-004) and, for which fields exist and which are
required, the official Python SDK ``huaweicloudsdkmetastudio`` 3.1.219 (``v1/model/*.py``; a field
is required there when ``__init__`` assigns it unconditionally). Table numbers in the docstrings
refer to the seed pages.

Strictness, in one place:

* ``RequestModel`` forbids unknown fields; every object that travels in a request body derives
  from it, so a typo anywhere in a manifest or request is an error.
* ``ResponseModel`` ignores unknown fields: the service adds fields over time (used_resource_type,
  is_ai_mark_on, limit_duration, ...) and a reader must not break on them.
* Objects that appear both in requests and in responses (rules, callback configs, co-streamer
  config, ...) are declared once, as request models. When a response model names one of them,
  ``ResponseModel`` swaps in a lenient *view* of it (``response_view``): a subclass with
  ``extra="ignore"`` whose ``Literal`` enums are widened to ``str`` (the service may return values
  newer than this module) and whose nested request objects are views too, recursively. Ranges and
  lengths stay. Views subclass the strict model, so ``isinstance`` and static types still hold;
  the one thing static typing over-promises is that an enum attribute read from a response may be
  a value outside the ``Literal`` (compare against the constants instead of matching exhaustively).

No model invents defaults: optional fields default to ``None`` and a normaliser elsewhere applies
``DOCUMENTED_DEFAULTS``. Semantic cross-field rules (allowed resolutions, "robot_id required for
INTELLIGENT_REPLY", ...) belong to the lint layer, not here: only the API's own ranges, lengths and
enums are enforced.
"""

import copy
import functools
import json
import operator
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal, Self, TypeVar, cast, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ACTIVE_JOB_STATES",
    "CONFIRM_STATES",
    "DOCUMENTED_DEFAULTS",
    "EVENT_CONTENT_MODELS",
    "JOB_STATES",
    "LIVE_EVENT_TYPES",
    "LIVE_WARNING_TYPES",
    "ROOM_LAST_JOB_STATUSES",
    "ROOM_LIVE_STATES",
    "ROOM_STATES",
    "RTC_USER_TYPES",
    "RTMP_STREAM_STATES",
    "RULE_EVENT_TYPES",
    "TERMINAL_JOB_STATES",
    "USED_RESOURCE_TYPES",
    "BackgroundConfigInfo",
    "BackgroundImageConfig",
    "CoStreamerConfig",
    "CommentContent",
    "ControlSmartLiveReq",
    "CreateInteractionRuleGroupResponse",
    "CreateSmartLiveRoomReq",
    "CreateSmartLiveRoomResponse",
    "DeleteSmartLiveRoomResponse",
    "EntryContent",
    "ErrorResponse",
    "EventContent",
    "EventUser",
    "ExecuteSmartLiveCommandReq",
    "ExecuteSmartLiveCommandResponse",
    "GiftContent",
    "GiftInfo",
    "HitCondition",
    "HitConditionTag",
    "ImageLayerConfig",
    "InteractionRuleDetailInfo",
    "InteractionRuleGroup",
    "InteractionRuleGroupDetail",
    "InteractionRuleGroupSummary",
    "InteractionRuleInfo",
    "LayerConfig",
    "LayerPositionConfig",
    "LayerRotationConfig",
    "LayerSizeConfig",
    "LikeContent",
    "ListInteractionRuleGroupsResponse",
    "ListSmartLiveJobsResponse",
    "ListSmartLiveQuery",
    "ListSmartLiveResponse",
    "ListSmartLiveRoomsQuery",
    "ListSmartLiveRoomsResponse",
    "LiveAudioConfig",
    "LiveEvent",
    "LiveEventCallBackConfig",
    "LiveEventReportQuery",
    "LiveEventReportResponse",
    "LiveExitConfig",
    "LiveJobLog",
    "LiveJobRunConfig",
    "LiveRoomEventCallBackConfig",
    "LiveRoomInteractionConfig",
    "LiveRoomInteractionRuleInfo",
    "LiveShootScriptItem",
    "LiveVideoScriptInfo",
    "LiveWarningItem",
    "ModelInfo",
    "PlatformLiveDetailInfo",
    "PlatformLiveInfo",
    "PlayPolicy",
    "RTCLiveEventCallBackConfig",
    "RTCRoomInfoList",
    "RTCUserInfo",
    "RefreshOutputUrlConfig",
    "RelationProductInfo",
    "ReplyAudioInfo",
    "ReportLiveEventReq",
    "RequestModel",
    "ResponseModel",
    "ReviewConfig",
    "RewriteInteractionRulesParams",
    "RewritePlayScriptParams",
    "SharedConfig",
    "ShowInteractionRuleGroupResponse",
    "ShowSmartLiveResponse",
    "ShowSmartLiveRoomResponse",
    "SmartImageLayerConfig",
    "SmartLayerConfig",
    "SmartLiveJob",
    "SmartLiveRoomBaseInfo",
    "SmartLiveRoomConfig",
    "SmartLiveRoomInfo",
    "SmartTextLayerConfig",
    "SmartVideoLayerConfig",
    "StartSmartLiveReq",
    "StartSmartLiveResponse",
    "SubtitleConfig",
    "TextConfig",
    "TextLayerConfig",
    "TriggerProcess",
    "UpdateInteractionRuleGroupResponse",
    "UpdateSmartLiveRoomReq",
    "UpdateSmartLiveRoomResponse",
    "VideoConfig",
    "VideoLayerConfig",
    "ViewerCountContent",
    "VoiceConfig",
    "encode_event_content",
    "parse_event_content",
    "response_view",
    "to_wire",
    "to_wire_json",
]

# --------------------------------------------------------------------------------------------------
# Base classes and the lenient-view mechanism
# --------------------------------------------------------------------------------------------------

# defer_build: a model's validator is built on its first use, not on import. Of the ~90 models here a
# plan uses a dozen and `validate` (the manifests embed request objects) fewer: building them all cost
# every command ~35 ms of start-up (benchmarks/startup.py). A model's first use then pays its own, ~1 ms.
_STRICT_CONFIG: Final = ConfigDict(extra="forbid", defer_build=True)
# from_attributes lets a response model accept an already-built strict instance (e.g. the emulator
# copying a request's live_event_callback_config into a SmartLiveJob) and re-read it as a view.
_LENIENT_CONFIG: Final = ConfigDict(extra="ignore", from_attributes=True, defer_build=True)

_M = TypeVar("_M", bound=BaseModel)


class RequestModel(BaseModel):
    """Base of every object sent to the service: unknown fields are an error."""

    model_config = _STRICT_CONFIG


class ResponseModel(BaseModel):
    """Base of every object read from the service: unknown fields are ignored.

    On subclassing, every field whose type names a request model is retyped to that model's lenient
    view, and ``Literal`` enums are widened to ``str`` (see the module docstring).
    """

    model_config = _LENIENT_CONFIG

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.model_config.get("extra") != "ignore":
            # Multiple inheritance from a RequestModel could otherwise leave extra="forbid" in place.
            raise TypeError(f"{cls.__name__}: a ResponseModel must set model_config = _LENIENT_CONFIG")
        changed = False
        fields = cls.__pydantic_fields__
        for name, info in list(fields.items()):
            relaxed = _relax_annotation(info.annotation)
            if relaxed is not info.annotation:
                # Copy: the FieldInfo may be the one of a strict base class, which must stay strict.
                new_info = copy.copy(info)
                new_info.annotation = relaxed
                fields[name] = new_info
                changed = True
        if changed and cls.__pydantic_complete__:
            # Only a model built already (defer_build turned off) must be rebuilt; a deferred one is built
            # from the relaxed fields on its first use.
            cls.model_rebuild(force=True)


_VIEWS: dict[type[BaseModel], type[BaseModel]] = {}


def response_view(model: type[_M]) -> type[_M]:
    """The lenient variant of a request model, as used inside responses (cached, one per model).

    The view is a subclass of ``model`` and of ``ResponseModel``: unknown fields ignored, enums
    widened to ``str``, nested request objects replaced by their views; ranges and lengths kept.
    Response models never need to call this: naming the strict model in a field is enough.
    """
    if issubclass(model, ResponseModel):
        return model
    view = _VIEWS.get(model)
    if view is None:

        def body(ns: dict[str, Any]) -> None:
            ns["model_config"] = _LENIENT_CONFIG
            ns["__module__"] = model.__module__
            ns["__doc__"] = f"Lenient response view of {model.__name__} (unknown fields ignored)."

        view = cast(
            type[BaseModel], types.new_class(f"{model.__name__}View", (model, ResponseModel), {}, body)
        )
        _VIEWS[model] = view
    return cast(type[_M], view)


def _relax_annotation(tp: Any) -> Any:
    """``tp`` with request models replaced by their views and str Literals by ``str``.

    Returns ``tp`` itself (identity) when nothing changes, so callers can test with ``is``.
    """
    if isinstance(tp, type):
        if issubclass(tp, RequestModel) and not issubclass(tp, ResponseModel):
            return response_view(tp)
        return tp
    origin = get_origin(tp)
    if origin is None:
        return tp
    args = get_args(tp)
    if origin is Literal:
        return str if all(isinstance(a, str) for a in args) else tp
    if origin is Annotated:
        inner = _relax_annotation(args[0])
        return tp if inner is args[0] else tp.copy_with((inner,))
    new_args = tuple(_relax_annotation(a) for a in args)
    if all(n is a for n, a in zip(new_args, args, strict=True)):
        return tp
    if origin is types.UnionType or origin is typing.Union:
        return functools.reduce(operator.or_, new_args)
    return origin[new_args]


def to_wire(model: BaseModel) -> dict[str, Any]:
    """A model as the JSON object to send: field names as declared, ``None`` fields left out."""
    return model.model_dump(mode="json", exclude_none=True, by_alias=False)


def to_wire_json(model: BaseModel) -> str:
    """``to_wire`` serialised to a JSON string (UTF-8 text, non-ASCII kept)."""
    return json.dumps(to_wire(model), ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------------------------------
# Numeric limits used by several tables
# --------------------------------------------------------------------------------------------------

INT32_MAX: Final = 2147483647
UINT32_MAX: Final = 4294967295
# "0-4102415999000": milliseconds up to 2099-12-31T23:59:59Z (seed 000/001 tables 2 and 5).
MAX_EPOCH_MS: Final = 4102415999000

# --------------------------------------------------------------------------------------------------
# Enumerations accepted in requests (Literal). Newer SDK values are included, see API.md.
# --------------------------------------------------------------------------------------------------

# Seed 004 writes "And"/"Or"; the SDK (newer) documents AND/OR/RESERVED. Accept both spellings.
Relation = Literal["AND", "OR", "RESERVED", "And", "Or"]
TagOperation = Literal["SUM", "AVG", "COUNT", "NONE"]
TagMatch = Literal["EQUAL", "REGEX", "MATH_GT", "MATH_GE", "MATH_LT", "MATH_LE", "MATH_EQ"]
ReplyMode = Literal[
    "SYSTEM_REPLY", "CALLBACK", "SHOW_LAYER", "SYSTEM_REPLY_AND_CALLBACK", "INTELLIGENT_REPLY"
]
ReplyOrder = Literal["RANDOM", "ORDER"]
ReplyRole = Literal["STREAMER", "CO_STREAMER"]
PlayType = Literal["APPEND", "INSERT", "PLAY_NOW"]
LayerType = Literal["IMAGE", "VIDEO", "TEXT"]
TextType = Literal["DYNAMIC", "STATIC"]
LayerFontName = Literal[
    "HarmonyOS_Sans_SC_Black", "HarmonyOS_Sans_SC_Regular", "HarmonyOS_Sans_SC_Thin", "fzyouh"
]
ClipMode = Literal["RESIZE", "CROP"]
Codec = Literal["H264", "VP8", "QTRLE"]  # QTRLE: SDK only (video production, whitelisted)
PlayMode = Literal["TEXT", "AUDIO", "NO_PRESET"]
RandomPlayMode = Literal["NONE", "SCENE", "SCRIPT_ITEM", "SCENE_AND_SCRIPT_ITEM"]
AutoStopMode = Literal["FORCE_EXIT", "SEGMENT_END", "SCENE_END", "SCRIPT_END"]
AuthType = Literal["NONE", "MSS_A", "MSS_A_HEAD", "MEITUAN_DEFAULT"]
CallbackEventType = Literal["SHOOT_SCRIPT_SWITCH", "RTMP_STREAM_STATE_CHANGE", "REPLY_COMMAND_FINISH"]
RtcCallbackEventType = Literal["LIVE_PROGRESS", "REPLY_COMMAND_FINISH"]
ViewMode = Literal["LANDSCAPE", "VERTICAL"]
StreamerAction = Literal["SILENCE", "VOLUME_DOWN"]
AllowResourceType = Literal["PERIOD", "ONDEMAND", "UNLIMITED", "ONE_TIME"]
RoomType = Literal["NORMAL", "TEMP", "TEMPLATE"]
BackgroundType = Literal["IMAGE", "COLOR"]
# LayerConfig (a scene script's layers) adds HUMAN, the digital human's own layer, to LayerType.
ScriptLayerType = Literal["HUMAN", "IMAGE", "VIDEO", "TEXT"]
SharedType = Literal["PRIVATE", "PUBLIC", "SHARED"]
SharedState = Literal["PUBLISHED", "DRAFT", "REVIEW"]
# ListSmartLiveRooms.template_own_type, spelled as documented ("OHTERS").
TemplateOwnType = Literal["OWNED", "SHARED_TO_OHTERS", "SHARED_FROM_OHTERS", "PUBLIC"]
# ListSmartLiveRooms.confirm_state: the query documents lower case, the room answers upper case.
ConfirmStateFilter = Literal["unconfirm", "confirmed", "reject", "UNCONFIRM", "CONFIRMED", "REJECT"]
SortKey = Literal["create_time", "update_time", "asset_order"]
SortDir = Literal["asc", "desc"]
# ControlSmartLiveReq.command, union of the values the SDK documents on the request and response.
SmartLiveCommand = Literal[
    "INSERT_PLAY_SCRIPT",
    "INSERT_PLAY_AUDIO",
    "REWRITE_PLAY_SCRIPT",
    "REWRITE_INTERACTION_RULES",
    "GET_CURRENT_PLAYING_SCRIPTS",
    "SHOW_LAYER",
    "REFRESH_OUTPUT_URL",
    "GET_LIVE_JOB_CONFIG_INFO",
    "CLEAN_UP_INSERT_COMMAND",
    "RESET_EXIT_CONFIG",
]

# --------------------------------------------------------------------------------------------------
# Known values of response-only fields. The fields themselves are plain ``str``: the service may
# add values, and a reader must never reject what the service returns.
# --------------------------------------------------------------------------------------------------

JOB_STATES: Final = ("WAITING", "PROCESSING", "SUCCEED", "FAILED", "BLOCKED")
ACTIVE_JOB_STATES: Final = ("WAITING", "PROCESSING")
TERMINAL_JOB_STATES: Final = ("SUCCEED", "FAILED", "BLOCKED")
RTC_USER_TYPES: Final = ("CAPTURE", "ANIMATION", "RENDER", "PLAYER", "INFERENCE_USER", "END_USER")
# Spelled as documented, including the service's "TOO_LESSS_SCRIPT_ITEMS".
LIVE_WARNING_TYPES: Final = (
    "TOO_LESSS_SCRIPT_ITEMS",
    "TOO_SHORT_SCRIPT_TIME",
    "TOO_LESS_DANMAKU_RULES",
    "RANDOM_PLAY_CLOSED",
    "ROTATION_MODEL_CLOSED",
)
USED_RESOURCE_TYPES: Final = ("PERIOD", "ONDEMAND", "ONE_TIME", "UNKNOW")
ROOM_STATES: Final = ("ENABLE", "DISABLE", "BLOCKED")
ROOM_LAST_JOB_STATUSES: Final = ("WAITING", "PROCESSING", "SUCCEED", "FAILED", "CANCELED", "BLOCKED")
CONFIRM_STATES: Final = ("UNCONFIRM", "CONFIRMED", "REJECT")
# ListSmartLiveRooms.live_state values (a comma list): the last job's state, SUCCESS for SUCCEED, and NULL
# for a room that never ran a job.
ROOM_LIVE_STATES: Final = ("WAITING", "PROCESSING", "SUCCESS", "FAILED", "CANCELED", "NULL")
# state inside the RTMP_STREAM_STATE_CHANGE callback message (seed 002 table 10, 003 table 7).
RTMP_STREAM_STATES: Final = ("CONNECTING", "CONNECTED", "DISCONNECTED", "RECONNECTING", "END")

# LiveEvent.type values (seed 000/001 table 5); the API accepts any 0-100.
LIVE_EVENT_TYPES: Final[Mapping[int, str]] = {
    1: "comment (danmaku)",
    2: "user entry",
    3: "like",
    4: "gift",
    5: "subscribe/follow (not used yet)",
    6: "viewer count",
}
# InteractionRuleInfo.event_type values (seed 004 table 4); the API accepts any 0-100.
RULE_EVENT_TYPES: Final[Mapping[int, str]] = {
    1: "comment (danmaku)",
    2: "user entry",
    3: "like",
    4: "gift",
    10: "preset script",
}

# --------------------------------------------------------------------------------------------------
# Documented defaults. Models leave optional fields None; a normaliser fills these in.
# Keys are model names, then wire field names. Tuples stand for JSON arrays.
# --------------------------------------------------------------------------------------------------

DOCUMENTED_DEFAULTS: Final[Mapping[str, Mapping[str, object]]] = {
    "HitCondition": {"priority": 500},
    "InteractionRuleInfo": {"enabled": True},
    # Seed 004 table 7: "回复角色。默认为主播".
    "TriggerProcess": {"reply_role": "STREAMER"},
    "PlayPolicy": {
        "repeat_count": 0,
        "auto_play_script": True,
        "play_mode": "TEXT",
        "random_play_mode": "SCRIPT_ITEM",
        "need_independent_capture_client": False,
        "is_rewrite_delay": False,
    },
    # max_live_duration: "不设置则表示不限时", and 0 means unlimited. The exception wait default
    # (3 minutes, "may be adjusted") is a service tunable, deliberately not listed.
    "LiveExitConfig": {"max_live_duration": 0, "auto_stop_mode": "FORCE_EXIT"},
    "VideoConfig": {
        "clip_mode": "RESIZE",
        "codec": "H264",  # SDK; the seed says "不涉及"
        "frame_rate": "25",
        "is_subtitle_enable": False,
        "is_enable_super_resolution": False,
        "is_end_at_first_frame": False,
    },
    "SubtitleConfig": {"font_name": "HarmonyOS_Sans_SC_Black", "font_size": 54, "opacity": 1},
    "VoiceConfig": {"speed": 100, "pitch": 100, "volume": 140},
    "LiveEventCallBackConfig": {"auth_type": "NONE"},
    # "未携带配置则默认订阅LIVE_PROGRESS": the default of the whole rtc_callback_config.
    "RTCLiveEventCallBackConfig": {"rtc_callback_event_type": ("LIVE_PROGRESS",)},
    # view_mode is derived by the service from video_config's resolution; VERTICAL when absent.
    "StartSmartLiveReq": {"view_mode": "VERTICAL"},
    "LiveRoomInteractionConfig": {"ignore_current_sentence": False},
    "ListSmartLiveQuery": {"offset": 0, "limit": 10, "sort_dir": "asc"},
    "ListSmartLiveRoomsQuery": {"offset": 0, "limit": 10},
    # A room list entry's view_mode: "默认值为：VERTICAL".
    "SmartLiveRoomBaseInfo": {"view_mode": "VERTICAL"},
    "LayerRotationConfig": {"angle": 0},
    # video_sound "特殊取值为0，表示不开启声音（默认值）"; is_play_the_entire_video "默认值为false".
    "VideoLayerConfig": {"video_sound": 0, "is_play_the_entire_video": False},
}

# --------------------------------------------------------------------------------------------------
# Interaction rule groups (seed 004; list/show/update from the SDK)
# --------------------------------------------------------------------------------------------------


class ReviewConfig(RequestModel):
    """ReviewConfig (seed 004 table 15, seed 000 table 6): content review switch."""

    # Only honoured for whitelisted tenants; others follow the system review policy.
    no_need_review: bool | None = None


class HitConditionTag(RequestModel):
    """HitConditionTag (seed 004 table 6): one matching clause on a field of the event content."""

    tag: str | None = Field(default=None, max_length=256)
    operation: TagOperation | None = None
    match: TagMatch | None = None
    value: str | None = Field(default=None, max_length=1024)


class HitCondition(RequestModel):
    """HitCondition (seed 004 table 5)."""

    relation: Relation | None = None
    priority: int | None = Field(default=None, ge=0, le=999)  # lower is higher priority
    tags: list[HitConditionTag] | None = None


class LayerPositionConfig(RequestModel):
    """LayerPositionConfig (seed 004 table 9): canvas coordinates, not output pixels."""

    dx: int
    dy: int
    layer_index: int = Field(ge=1)  # "图层顺序从1开始的整数"


class LayerSizeConfig(RequestModel):
    """LayerSizeConfig (seed 004 table 10)."""

    width: int | None = None
    height: int | None = None


class SmartImageLayerConfig(RequestModel):
    """SmartImageLayerConfig (seed 004 table 11)."""

    image_url: str
    display_duration: int | None = None  # seconds; 0 = as long as the reply audio


class SmartVideoLayerConfig(RequestModel):
    """SmartVideoLayerConfig (seed 004 table 12)."""

    video_url: str
    video_cover_url: str | None = None
    display_duration: int | None = None


class SmartTextLayerConfig(RequestModel):
    """SmartTextLayerConfig (seed 004 table 13)."""

    text_type: TextType | None = None
    text_context: str | None = None
    font_name: LayerFontName | None = None
    font_size: int | None = Field(default=None, ge=4, le=120)
    font_color: str | None = None
    display_duration: int | None = None


class SmartLayerConfig(RequestModel):
    """SmartLayerConfig (seed 004 table 8): overlay shown when a rule fires."""

    layer_type: LayerType
    asset_id: str | None = None
    position: LayerPositionConfig | None = None
    size: LayerSizeConfig | None = None
    image_config: SmartImageLayerConfig | None = None
    video_config: SmartVideoLayerConfig | None = None
    text_config: SmartTextLayerConfig | None = None


class ReplyAudioInfo(RequestModel):
    """ReplyAudioInfo (seed 004 table 14)."""

    audio_url: str | None = None
    audio_name: str | None = None


class TriggerProcess(RequestModel):
    """TriggerProcess (seed 004 table 7), with the SDK's newer robot_id and play_type."""

    time_window: int | None = None  # seconds; -1 once per live, 0 no suppression
    reply_mode: ReplyMode | None = None
    layer_config: SmartLayerConfig | None = None
    extra_layer_config: SmartLayerConfig | None = None
    reply_texts: list[Annotated[str, Field(max_length=1024)]] | None = Field(default=None, max_length=5)
    reply_audios: list[ReplyAudioInfo] | None = Field(default=None, max_length=5)
    reply_order: ReplyOrder | None = None
    reply_role: ReplyRole | None = None
    robot_id: str | None = Field(default=None, max_length=64)
    play_type: PlayType | None = None


class InteractionRuleInfo(RequestModel):
    """InteractionRuleInfo (seed 004 table 4): one interaction rule as sent."""

    rule_index: str | None = Field(default=None, max_length=64)  # "无需用户填写"
    rule_name: str | None = Field(default=None, max_length=256)
    enabled: bool | None = None
    event_type: int | None = Field(default=None, ge=0, le=100)  # RULE_EVENT_TYPES
    hit_condition: HitCondition | None = None
    trigger: TriggerProcess | None = None
    review_config: ReviewConfig | None = None


class InteractionRuleGroup(RequestModel):
    """InteractionRuleGroup (seed 004 table 3): body of create and of update (whole group)."""

    group_name: str
    interaction_rules: list[InteractionRuleInfo] | None = None


class CreateInteractionRuleGroupResponse(ResponseModel):
    """CreateInteractionRuleGroup 200 body (seed 004 table 17)."""

    group_id: str | None = None


class InteractionRuleDetailInfo(InteractionRuleInfo, ResponseModel):
    """InteractionRuleDetailInfo (SDK): a rule as shown, with the server-side fields."""

    model_config = _LENIENT_CONFIG

    rule_id: str | None = None
    create_time: str | None = None  # RFC 3339
    update_time: str | None = None


class InteractionRuleGroupDetail(ResponseModel):
    """InteractionRuleGroupDetail (SDK): a group with its rules (show/update responses)."""

    group_id: str | None = None
    # The SDK's InteractionRuleGroupDetail marks group_name required, its Show/Update response
    # classes do not; a reader follows the responses.
    group_name: str | None = None
    interaction_rules: list[InteractionRuleDetailInfo] | None = None
    create_time: str | None = None
    update_time: str | None = None


class ShowInteractionRuleGroupResponse(InteractionRuleGroupDetail):
    """ShowInteractionRuleGroup 200 body."""


class UpdateInteractionRuleGroupResponse(InteractionRuleGroupDetail):
    """UpdateInteractionRuleGroup 200 body."""


class InteractionRuleGroupSummary(ResponseModel):
    """InteractionRuleGroupSummary (SDK): a list entry. The list no longer carries the rules."""

    group_id: str | None = None
    group_name: str | None = None
    create_time: str | None = None
    update_time: str | None = None


class ListInteractionRuleGroupsResponse(ResponseModel):
    """ListInteractionRuleGroups 200 body."""

    count: int | None = Field(default=None, ge=0, le=INT32_MAX)
    interaction_rule_groups: list[InteractionRuleGroupSummary] | None = None


# --------------------------------------------------------------------------------------------------
# Live jobs (seed 002 list, seed 003 start; show/command from the SDK)
# --------------------------------------------------------------------------------------------------


class SubtitleConfig(RequestModel):
    """SubtitleConfig (seed 003 table 5; stroke/colour/opacity fields from the SDK)."""

    dx: int | None = Field(default=None, ge=0, le=1920)
    dy: int | None = Field(default=None, ge=0, le=1920)
    h: int | None = Field(default=None, ge=0, le=1920)
    w: int | None = Field(default=None, ge=0, le=1920)
    font_name: str | None = Field(default=None, max_length=64)
    # API range 0-120; the business range 24-120 is for the lint layer.
    font_size: int | None = Field(default=None, ge=0, le=120)
    font_color: str | None = Field(default=None, max_length=7)
    stroke_color: str | None = Field(default=None, max_length=7)
    stroke_thickness: float | None = Field(default=None, ge=0, le=50)
    opacity: float | None = Field(default=None, ge=0, le=1)


class VideoConfig(RequestModel):
    """VideoConfig (seed 003 table 4). Live supports only 1080x1920/1920x1080: a lint rule."""

    clip_mode: ClipMode | None = None
    codec: Codec | None = None
    bitrate: int = Field(ge=40, le=30000)  # kbps; live uses 1000-8000 (lint)
    width: int = Field(ge=0, le=3840)
    height: int = Field(ge=0, le=3840)
    frame_rate: str | None = None
    is_subtitle_enable: bool | None = None
    subtitle_config: SubtitleConfig | None = None
    dx: int | None = Field(default=None, ge=-1920, le=3840)  # used with clip_mode=CROP
    dy: int | None = Field(default=None, ge=-1920, le=3840)
    is_enable_super_resolution: bool | None = None
    is_end_at_first_frame: bool | None = None
    output_external_url: str | None = None
    is_vocabulary_config_enable: bool | None = None


class LiveExitConfig(RequestModel):
    """LiveExitConfig (SDK): when a live job stops by itself."""

    max_live_duration: int | None = Field(default=None, ge=0, le=168)  # hours; 0 = unlimited
    auto_stop_mode: AutoStopMode | None = None
    max_exception_waiting_duration: int | None = Field(default=None, ge=0, le=60)  # minutes


class PlayPolicy(RequestModel):
    """PlayPolicy (seed 003 table 6; live_exit_config and is_rewrite_delay from the SDK)."""

    repeat_count: int | None = Field(default=None, ge=-1, le=100)  # -1 forever; n plays n+1 times
    auto_play_script: bool | None = None
    play_mode: PlayMode | None = None
    random_play_mode: RandomPlayMode | None = None
    need_independent_capture_client: bool | None = None
    live_exit_config: LiveExitConfig | None = None
    is_rewrite_delay: bool | None = None


class LiveEventCallBackConfig(RequestModel):
    """LiveEventCallBackConfig (seed 003 table 7, seed 002 table 10): HTTPS event callbacks."""

    live_event_type_callback_url: str | None = Field(default=None, max_length=2048)
    auth_type: AuthType | None = None
    key: str | None = Field(default=None, max_length=32)  # HMAC key for MSS_A / MSS_A_HEAD
    callback_event_type: list[CallbackEventType] | None = None


class RTCLiveEventCallBackConfig(RequestModel):
    """RTCLiveEventCallBackConfig (seed 003 table 8, seed 002 table 11)."""

    rtc_callback_event_type: list[RtcCallbackEventType] | None = None


class VoiceConfig(RequestModel):
    """VoiceConfig (seed 003 table 10)."""

    voice_asset_id: str = Field(min_length=1, max_length=256)
    speed: int | None = Field(default=None, ge=50, le=200)  # 100 = normal
    pitch: int | None = Field(default=None, ge=50, le=200)
    volume: int | None = Field(default=None, ge=90, le=240)


class CoStreamerConfig(RequestModel):
    """CoStreamerConfig (seed 003 table 9): the assistant voice."""

    voice_config: VoiceConfig | None = None
    streamer_action: StreamerAction | None = None


class LiveJobRunConfig(RequestModel):
    """LiveJobRunConfig (SDK): resource pool and one-job-per-room switch."""

    allow_resource_type: AllowResourceType | None = None
    # Without it a room may run several jobs at once.
    single_job_in_room: bool | None = None


class StartSmartLiveReq(RequestModel):
    """StartSmartLiveReq (seed 003 table 3; job_run_config from the SDK). Nothing is required."""

    video_config: VideoConfig | None = None
    play_policy: PlayPolicy | None = None
    # "当前仅支持一条RTMP出流地址" is the documented value range: at most one.
    output_urls: list[str] | None = Field(default=None, max_length=1)
    stream_keys: list[str] | None = Field(default=None, max_length=1)
    interaction_callback_url: str | None = Field(default=None, max_length=2048)
    live_event_callback_config: LiveEventCallBackConfig | None = None
    rtc_callback_config: RTCLiveEventCallBackConfig | None = None
    view_mode: ViewMode | None = None  # the service derives it from the resolution
    co_streamer_config: CoStreamerConfig | None = None
    job_run_config: LiveJobRunConfig | None = None


class ErrorResponse(ResponseModel):
    """ErrorResponse (seed 002 table 7): error body of 4xx/5xx and SmartLiveJob.error_info."""

    error_code: str | None = None
    error_msg: str | None = None


class RTCUserInfo(ResponseModel):
    """RTCUserInfo (seed 002 table 9, seed 003 table 14)."""

    user_type: str | None = None  # RTC_USER_TYPES
    user_id: str | None = None
    signature: str | None = None
    ctime: int | None = Field(default=None, ge=0, le=UINT32_MAX)  # expiry, epoch seconds


class RTCRoomInfoList(ResponseModel):
    """RTCRoomInfoList (seed 002 table 8, seed 003 table 13)."""

    app_id: str | None = None
    room_id: str | None = None
    users: list[RTCUserInfo] | None = None


class LiveWarningItem(ResponseModel):
    """LiveWarningItem (seed 003 table 16)."""

    warning_type: str | None = None  # LIVE_WARNING_TYPES


class StartSmartLiveResponse(ResponseModel):
    """StartSmartLive 202 body (seed 003 table 12). The SDK's limit_duration is ignored."""

    job_id: str | None = None
    rtc_room_info: RTCRoomInfoList | None = None
    live_event_report_url: str | None = None
    live_event_callback_config: LiveEventCallBackConfig | None = None
    live_warning_info: list[LiveWarningItem] | None = None


class LiveJobLog(ResponseModel):
    """LiveJobLog (seed 002 table 14; the other record URLs from the SDK)."""

    interaction_records_url: str | None = None
    job_config_records_url: str | None = None
    scripts_records_url: str | None = None
    command_reviced_records_url: str | None = None  # sic, as in the SDK
    command_exec_records_url: str | None = None


class PlatformLiveDetailInfo(ResponseModel):
    """PlatformLiveDetailInfo (seed 002 table 15)."""

    platform_id: str | None = None
    platform: str | None = None
    account: str | None = None
    live_id: str | None = None


class SmartLiveJob(ResponseModel):
    """SmartLiveJob (seed 002 table 6). It does not echo video_config, play_policy, output_urls,
    stream_keys, interaction_callback_url or view_mode; used_resource_type and is_ai_mark_on
    (SDK) are ignored like any other unknown field.
    """

    job_id: str | None = None
    room_id: str | None = None
    room_name: str | None = None
    state: str | None = None  # JOB_STATES; unknown states are kept, not rejected
    duration: float | None = Field(default=None, ge=0, le=INT32_MAX)  # seconds
    start_time: str | None = None  # RFC 3339
    end_time: str | None = None
    error_info: ErrorResponse | None = None
    create_time: str | None = None
    lastupdate_time: str | None = None
    rtc_room_info: RTCRoomInfoList | None = None
    live_event_report_url: str | None = None
    live_event_callback_config: LiveEventCallBackConfig | None = None
    rtc_callback_config: RTCLiveEventCallBackConfig | None = None
    stream_duration: float | None = Field(default=None, ge=0, le=INT32_MAX)
    block_reason: str | None = None
    cover_url: str | None = None
    co_streamer_config: CoStreamerConfig | None = None
    live_job_log: LiveJobLog | None = None
    relation_live_platform_info: PlatformLiveDetailInfo | None = None


class ShowSmartLiveResponse(SmartLiveJob):
    """ShowSmartLive 200 body: one SmartLiveJob."""


class ListSmartLiveResponse(ResponseModel):
    """ListSmartLive 200 body (seed 002 table 5): the jobs of one room."""

    count: int | None = Field(default=None, ge=0, le=INT32_MAX)
    smart_live_jobs: list[SmartLiveJob] | None = None


class ListSmartLiveJobsResponse(ListSmartLiveResponse):
    """ListSmartLiveJobs 200 body: the jobs of every room, same shape."""


class ListSmartLiveQuery(RequestModel):
    """ListSmartLive query parameters (seed 002 table 2); ListSmartLiveJobs adds room_name."""

    offset: int | None = Field(default=None, ge=0, le=INT32_MAX)
    limit: int | None = Field(default=None, ge=1, le=100)
    state: str | None = None  # comma-separated states
    sort_key: SortKey | None = None
    sort_dir: SortDir | None = None
    create_since: str | None = None
    create_until: str | None = None


class RefreshOutputUrlConfig(RequestModel):
    """params of the REFRESH_OUTPUT_URL command. Not in the SDK (it types params as object): the
    shape is inferred from the command's description ("更新当前任务的rtmp推流信息").
    """

    output_urls: list[str] | None = Field(default=None, max_length=1)
    stream_keys: list[str] | None = Field(default=None, max_length=1)


class ControlSmartLiveReq(RequestModel):
    """ControlSmartLiveReq (SDK): body of ExecuteSmartLiveCommand. params per command:
    REFRESH_OUTPUT_URL RefreshOutputUrlConfig, REWRITE_INTERACTION_RULES RewriteInteractionRulesParams,
    REWRITE_PLAY_SCRIPT RewritePlayScriptParams, RESET_EXIT_CONFIG LiveExitConfig; GET_LIVE_JOB_CONFIG_INFO
    takes none.
    """

    command: SmartLiveCommand
    params: dict[str, Any] | None = None  # shape depends on the command
    review_config: ReviewConfig | None = None


ExecuteSmartLiveCommandReq = ControlSmartLiveReq


class ExecuteSmartLiveCommandResponse(ResponseModel):
    """ExecuteSmartLiveCommand 200 body (SDK). ``result`` is the command's outcome; a command that
    answers with data (GET_LIVE_JOB_CONFIG_INFO: SmartLiveRoomInfo.from_result) puts it there as JSON.
    """

    command_id: str | None = None
    command: str | None = None
    result: str | None = None


# --------------------------------------------------------------------------------------------------
# Live events (seeds 000/001)
# --------------------------------------------------------------------------------------------------


class LiveEvent(RequestModel):
    """LiveEvent (seed 000/001 table 5). content is a string: JSON per type (EVENT_CONTENT_MODELS),
    but the service takes any string (the seed's own request example sends "xxxxx").
    """

    timestamp: int = Field(ge=0, le=MAX_EPOCH_MS)  # epoch milliseconds
    type: int | None = Field(default=None, ge=0, le=100)  # LIVE_EVENT_TYPES
    content: str | None = None


class ReportLiveEventReq(RequestModel):
    """ReportLiveEventReq (seed 000/001 table 4)."""

    total: int = Field(ge=1, le=1000)
    events: list[LiveEvent] | None = None
    review_config: ReviewConfig | None = None


class LiveEventReportQuery(RequestModel):
    """LiveEventReport query parameters (seed 000/001 table 2). auth_key and expires_time may
    also travel as headers x-mss-auth-key / x-mss-expires-time (SDK).
    """

    auth_key: str | None = None
    expires_time: int | None = Field(default=None, ge=0, le=MAX_EPOCH_MS)
    refresh_url: bool | None = None


class LiveEventReportResponse(ResponseModel):
    """LiveEventReport 200 body (seed 000/001 table 8): the new URL when refresh_url=true."""

    live_event_report_url: str | None = None


class EventUser(RequestModel):
    """The ``user`` object inside event content (seed 000/001, type 1 definition)."""

    userId: str | None = None
    name: str | None = None
    level: int | None = None
    badge: str | None = None
    badgeLevel: int | None = None


class GiftInfo(RequestModel):
    """The ``gift`` object inside gift event content (seed 000/001, type 4)."""

    giftName: str | None = None
    giftNum: int | None = None
    totalValue: int | None = None  # value of this gift event
    giftValue: int | None = None  # value of one gift


class EventContent(RequestModel):
    """Base of the decoded LiveEvent.content objects (camelCase keys as on the wire)."""


class CommentContent(EventContent):
    """type=1 comment (danmaku): user and the comment text."""

    user: EventUser
    content: str


class EntryContent(EventContent):
    """type=2 user entry."""

    user: EventUser


class LikeContent(EventContent):
    """type=3 like (the seed's example for it is a copy of the type=2 one)."""

    user: EventUser


class GiftContent(EventContent):
    """type=4 gift."""

    user: EventUser
    gift: GiftInfo


class ViewerCountContent(EventContent):
    """type=6 viewer count."""

    numberOfViewers: int


# Type 5 (subscribe/follow) is "not used yet" and types without an entry are free-form JSON.
EVENT_CONTENT_MODELS: Final[Mapping[int, type[EventContent]]] = {
    1: CommentContent,
    2: EntryContent,
    3: LikeContent,
    4: GiftContent,
    6: ViewerCountContent,
}


def parse_event_content(event_type: int | None, content: str, *, lenient: bool = False) -> EventContent | Any:
    """Decode LiveEvent.content: the typed model for known types, else the decoded JSON value.

    ``lenient`` ignores unknown keys (use it on events from third-party platforms). Raises
    ``ValueError`` (json.JSONDecodeError or pydantic.ValidationError) on malformed content.
    """
    model = EVENT_CONTENT_MODELS.get(event_type) if event_type is not None else None
    if model is None:
        return json.loads(content)
    if lenient:
        model = response_view(model)
    return model.model_validate_json(content)


def encode_event_content(content: EventContent) -> str:
    """The LiveEvent.content string for a typed content object."""
    return to_wire_json(content)


# --------------------------------------------------------------------------------------------------
# Rooms (SDK): the show a job runs. Scene scripts and their parts, then the room itself.
# --------------------------------------------------------------------------------------------------


class BackgroundImageConfig(RequestModel):
    """BackgroundImageConfig (SDK): where a background image sits on the canvas (1920x1080 landscape,
    1080x1920 portrait). "The image covers the canvas" (dx <= 0, dx + width >= canvas width, ...) is a
    cross-field rule for the lint layer.
    """

    dx: int
    dy: int
    width: int
    height: int


class BackgroundConfigInfo(RequestModel):
    """BackgroundConfigInfo (SDK): a scene's background, an image or a colour."""

    background_type: BackgroundType
    background_config: str | None = Field(default=None, min_length=1, max_length=2048)  # image URL
    background_color_config: str | None = Field(default=None, max_length=16)  # RGB, for COLOR
    background_asset_id: str | None = Field(default=None, max_length=64)
    background_image_config: BackgroundImageConfig | None = None


class LayerRotationConfig(RequestModel):
    """LayerRotationConfig (SDK): rotation about the material's centre (videos do not rotate)."""

    angle: int | None = Field(default=None, ge=0, le=360)


class ImageLayerConfig(RequestModel):
    """ImageLayerConfig (SDK): an image layer of a scene."""

    image_url: str | None = Field(default=None, min_length=1, max_length=2048)


class VideoLayerConfig(RequestModel):
    """VideoLayerConfig (SDK): a video layer of a scene."""

    video_url: str | None = Field(default=None, min_length=1, max_length=2048)
    video_cover_url: str | None = Field(default=None, min_length=1, max_length=2048)
    loop_count: int | None = Field(default=None, ge=-1)  # 0 not played, -1 loops forever
    video_sound: int | None = Field(default=None, ge=0, le=100)  # percent; 0 mutes
    is_play_the_entire_video: bool | None = None


class TextLayerConfig(RequestModel):
    """TextLayerConfig (SDK): a text layer of a scene; text_context is Base64 text."""

    text_context: str | None = Field(default=None, max_length=1024)
    font_name: str | None = Field(default=None, max_length=64)
    # API range 0-120; the business range 4-120 is for the lint layer.
    font_size: int | None = Field(default=None, ge=0, le=120)
    font_color: str | None = Field(default=None, max_length=16)


class LayerConfig(RequestModel):
    """LayerConfig (SDK): one layer of a scene script (the digital human, an image, a video, a text)."""

    layer_type: ScriptLayerType
    asset_id: str | None = Field(default=None, max_length=64)
    group_id: str | None = Field(default=None, max_length=64)  # layers shared across scenes
    sequence_no: int | None = None  # shown from this paragraph on (live only)
    position: LayerPositionConfig | None = None
    size: LayerSizeConfig | None = None
    rotation: LayerRotationConfig | None = None
    image_config: ImageLayerConfig | None = None
    video_config: VideoLayerConfig | None = None
    text_config: TextLayerConfig | None = None


class TextConfig(RequestModel):
    """TextConfig (SDK): a paragraph's lines, plain text or SSML. "At most 10,000 characters without
    the SSML tags" is for the lint layer; the API's own range is the whole text's length.
    """

    text: str = Field(max_length=131072)


class LiveAudioConfig(RequestModel):
    """LiveAudioConfig (SDK): a paragraph spoken from an audio file (MP3) instead of text."""

    asset_id: str | None = Field(default=None, max_length=64)
    audio_url: str | None = Field(default=None, max_length=2048)
    subtitle_url: str | None = Field(default=None, max_length=2048)  # SRT


class RelationProductInfo(RequestModel):
    """RelationProductInfo (SDK): the product a paragraph presents (echoed in SHOOT_SCRIPT_SWITCH)."""

    product_id: str | None = None
    product_title: str | None = None


class LiveShootScriptItem(RequestModel):
    """LiveShootScriptItem (SDK): one paragraph of a scene script."""

    sequence_no: int | None = None
    title: str | None = Field(default=None, max_length=256)
    text_config: TextConfig | None = None
    audio_config: LiveAudioConfig | None = None
    relation_product: RelationProductInfo | None = None


class LiveVideoScriptInfo(RequestModel):
    """LiveVideoScriptInfo (SDK): one scene of a room's show: who speaks (model_asset_id, voice_config),
    in front of what (background_config, layer_config), saying what (shoot_scripts, in order).
    """

    script_id: str | None = Field(default=None, min_length=1, max_length=64)  # "该字段无需填写"
    script_name: str = Field(min_length=1, max_length=256)
    script_description: str | None = Field(default=None, max_length=1024)
    dh_id: str | None = Field(default=None, max_length=64)  # "暂未启用"
    model_asset_id: str | None = Field(default=None, max_length=64)
    voice_config: VoiceConfig | None = None
    background_config: list[BackgroundConfigInfo] | None = None
    layer_config: list[LayerConfig] | None = None
    shoot_scripts: list[LiveShootScriptItem]


class SharedConfig(RequestModel):
    """SharedConfig (SDK): who may use a room template."""

    shared_type: SharedType | None = None
    shared_state: SharedState | None = None  # only for shared_type SHARED
    expire_time: str | None = Field(default=None, max_length=20)  # RFC 3339; absent = never
    allowed_project_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, max_length=100
    )


class LiveRoomInteractionConfig(RequestModel):
    """LiveRoomInteractionConfig (SDK): how interaction replies are played in a room."""

    play_type: PlayType | None = None
    ignore_current_sentence: bool | None = None


class LiveRoomInteractionRuleInfo(InteractionRuleInfo):
    """LiveRoomInteractionRuleInfo (SDK): a room's rule. A room holds copies: group_id/group_name are
    "carried when imported from the interaction library", they say where a copy came from.
    """

    group_id: str | None = Field(default=None, min_length=1, max_length=64)
    group_name: str | None = Field(default=None, min_length=1, max_length=256)
    enabled_scenes: list[Annotated[str, Field(min_length=1, max_length=256)]] | None = Field(
        default=None, max_length=100
    )


class LiveRoomEventCallBackConfig(LiveEventCallBackConfig):
    """LiveRoomEventCallBackConfig (SDK): the room's callback config, one more switch."""

    # The SDK text says both "默认true" and "默认取值: false": no default recorded.
    is_inheritance_platform_callback: bool | None = None


class PlatformLiveInfo(RequestModel):
    """PlatformLiveInfo (SDK): the third-party platform a room is linked to."""

    platform_id: str
    live_id: str = Field(pattern=r"^[A-Za-z0-9_-]*$")  # "只能包含英文、数字、-、_"


class SmartLiveRoomConfig(RequestModel):
    """The room fields shared by CreateSmartLiveRoomReq and ShowSmartLiveRoomResponse (SDK)."""

    room_name: str = Field(min_length=1, max_length=256)
    room_description: str | None = Field(default=None, max_length=1024)
    room_type: RoomType | None = None
    scene_scripts: list[LiveVideoScriptInfo] | None = None
    interaction_config: LiveRoomInteractionConfig | None = None
    interaction_rules: list[LiveRoomInteractionRuleInfo] | None = None
    play_policy: PlayPolicy | None = None
    video_config: VideoConfig | None = None
    output_urls: list[str] | None = Field(default=None, max_length=1)
    stream_keys: list[str] | None = Field(default=None, max_length=1)
    backup_model_asset_ids: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=5
    )
    live_event_callback_config: LiveRoomEventCallBackConfig | None = None
    rtc_callback_config: RTCLiveEventCallBackConfig | None = None
    review_config: ReviewConfig | None = None
    shared_config: SharedConfig | None = None  # templates only
    view_mode: ViewMode | None = None  # the service derives it from video_config's resolution
    co_streamer_config: CoStreamerConfig | None = None
    priv_data: str | None = Field(default=None, max_length=8192)


class CreateSmartLiveRoomReq(SmartLiveRoomConfig):
    """CreateSmartLiveRoomReq (SDK): body of CreateSmartLiveRoom, and of UpdateSmartLiveRoom (the whole
    room: fields left out are gone)."""

    relation_live_platform_info: PlatformLiveInfo | None = None


# UpdateSmartLiveRoomRequest.body is a CreateSmartLiveRoomReq in the SDK.
UpdateSmartLiveRoomReq = CreateSmartLiveRoomReq


class CreateSmartLiveRoomResponse(ResponseModel):
    """CreateSmartLiveRoom 200 body."""

    room_id: str | None = None


class ShowSmartLiveRoomResponse(SmartLiveRoomConfig, ResponseModel):
    """ShowSmartLiveRoom 200 body (SDK): the room config plus server fields."""

    model_config = _LENIENT_CONFIG

    room_id: str | None = None
    relation_live_platform_info: PlatformLiveDetailInfo | None = None
    create_time: str | None = None
    update_time: str | None = None
    cover_url: str | None = None
    thumbnail: str | None = None
    room_state: str | None = None  # ROOM_STATES
    confirm_state: str | None = None  # CONFIRM_STATES
    # "调用update接口即更新版本。使用时间戳": a timestamp that moves on every update.
    script_version: str | None = None
    error_info: ErrorResponse | None = None


class UpdateSmartLiveRoomResponse(ShowSmartLiveRoomResponse):
    """UpdateSmartLiveRoom 200 body: the room as shown after the update."""


class DeleteSmartLiveRoomResponse(ResponseModel):
    """DeleteSmartLiveRoom answer: no body (the SDK's class holds only the X-Request-Id header)."""


class ListSmartLiveRoomsQuery(RequestModel):
    """ListSmartLiveRooms query parameters (SDK; ranges from the API reference page)."""

    offset: int | None = Field(default=None, ge=0, le=INT32_MAX)
    limit: int | None = Field(default=None, ge=1, le=100)
    room_name: str | None = None  # substring
    dh_id: str | None = None
    model_name: str | None = None  # substring of the digital human's asset name
    live_state: str | None = None  # comma list of ROOM_LIVE_STATES
    start_time: str | None = None  # RFC 3339
    end_time: str | None = None
    room_type: RoomType | None = None
    template_own_type: TemplateOwnType | None = None
    confirm_state: ConfirmStateFilter | None = None


class ModelInfo(ResponseModel):
    """ModelInfo (SDK): a digital human of a room list entry."""

    model_asset_id: str | None = None
    asset_name: str | None = None
    backup_model_asset_ids: list[str] | None = None


class SmartLiveRoomBaseInfo(ResponseModel):
    """SmartLiveRoomBaseInfo (SDK): a room list entry."""

    room_id: str | None = None
    project_id: str | None = None
    room_name: str | None = None
    room_type: str | None = None
    room_state: str | None = None  # ROOM_STATES
    view_mode: str | None = None
    error_info: ErrorResponse | None = None
    shared_config: SharedConfig | None = None
    room_description: str | None = None
    cover_url: str | None = None
    thumbnail: str | None = None
    model_infos: list[ModelInfo] | None = None
    create_time: str | None = None
    update_time: str | None = None
    last_job_start_time: str | None = None
    last_job_end_time: str | None = None
    last_job_status: str | None = None  # ROOM_LAST_JOB_STATUSES
    priv_data: str | None = None
    confirm_state: str | None = None


class ListSmartLiveRoomsResponse(ResponseModel):
    """ListSmartLiveRooms 200 body (SDK)."""

    count: int | None = Field(default=None, ge=0, le=INT32_MAX)
    smart_live_rooms: list[SmartLiveRoomBaseInfo] | None = None


# --------------------------------------------------------------------------------------------------
# Commands to a running job (ExecuteSmartLiveCommand): the params of the room-shaped ones
# --------------------------------------------------------------------------------------------------


class RewriteInteractionRulesParams(RequestModel):
    """params of REWRITE_INTERACTION_RULES: the running job's rules, replaced whole, no restart.

    The SDK types params as an object and points at CreateSmartLiveRoom's interaction_rules: the
    object carries that field. It is required here: a rewrite without it would say nothing (an empty
    list clears the rules).
    """

    interaction_rules: list[LiveRoomInteractionRuleInfo]


class RewritePlayScriptParams(RequestModel):
    """params of REWRITE_PLAY_SCRIPT: the running job's scene scripts ("未播放剧本"), replaced whole.
    Shaped as CreateSmartLiveRoom's scene_scripts, as REWRITE_INTERACTION_RULES's params are."""

    scene_scripts: list[LiveVideoScriptInfo]


class SmartLiveRoomInfo(ShowSmartLiveRoomResponse):
    """The answer of GET_LIVE_JOB_CONFIG_INFO ("SmartLiveRoomInfo": "与直播间详情响应体一致"): a running
    job's effective configuration, shaped as ShowSmartLiveRoom's answer.

    ExecuteSmartLiveCommandResponse has no field for it but ``result`` (a string): it travels there as
    JSON text; ``from_result`` reads it back.
    """

    @classmethod
    def from_result(cls, result: str | None) -> Self:
        """The configuration in an ExecuteSmartLiveCommandResponse.result; ValueError when there is none."""
        if not result:
            raise ValueError("the command's result carries no configuration")
        return cls.model_validate_json(result)
