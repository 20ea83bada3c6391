"""The API models against the seed pages' examples, the SDK's field lists and the documented ranges.

Seed examples live in tests/data/seed_examples/, one file per JSON block printed after 请求示例 /
响应示例 / "Example Requests" / "Example Responses" (named seed_operation_status.json), plus the
per-type LiveEvent examples printed in the LiveEvent.content description of seeds 000/001
(seed_live_event_typeN_example.json). All are kept byte-for-byte as printed (indentation
included); every one of them is valid JSON, so nothing had to be fixed. Two quirks are kept as
printed: the seeds' type=3 (like) example is a copy of the type=2 one ("type": 2), and seed 000's
request example sends content "xxxxx", which is not JSON. The callback message samples of seeds
002/003 (SHOOT_SCRIPT_SWITCH, ...) are service-to-user callbacks, not request/response examples,
and two of them are not valid JSON as printed; they are not extracted.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from reconciler.api import models as m

SEED_DIR = Path(__file__).resolve().parents[1] / "data" / "seed_examples"

# file -> (model, is_request). Requests parse strictly, responses leniently.
SEED_EXAMPLES: dict[str, tuple[type[BaseModel], bool]] = {}
for _seed in ("000", "001"):
    SEED_EXAMPLES[f"{_seed}_live_event_report_request.json"] = (m.ReportLiveEventReq, True)
    SEED_EXAMPLES[f"{_seed}_live_event_report_200.json"] = (m.LiveEventReportResponse, False)
    for _t in (1, 2, 3, 4, 6):
        SEED_EXAMPLES[f"{_seed}_live_event_type{_t}_example.json"] = (m.LiveEvent, True)
SEED_EXAMPLES["002_list_smart_live_200.json"] = (m.ListSmartLiveResponse, False)
SEED_EXAMPLES["003_start_smart_live_request.json"] = (m.StartSmartLiveReq, True)
SEED_EXAMPLES["003_start_smart_live_202.json"] = (m.StartSmartLiveResponse, False)
SEED_EXAMPLES["004_create_interaction_rule_group_request.json"] = (m.InteractionRuleGroup, True)
SEED_EXAMPLES["004_create_interaction_rule_group_200.json"] = (m.CreateInteractionRuleGroupResponse, False)
for _op in ("000_live_event_report", "001_live_event_report", "002_list_smart_live"):
    for _st in ("400", "401", "500"):
        SEED_EXAMPLES[f"{_op}_{_st}.json"] = (m.ErrorResponse, False)
for _op in ("003_start_smart_live", "004_create_interaction_rule_group"):
    for _st in ("400", "401", "500"):
        SEED_EXAMPLES[f"{_op}_{_st}.json"] = (m.ErrorResponse, False)


def _load(name: str) -> Any:
    return json.loads((SEED_DIR / name).read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------------
# Seed examples
# ------------------------------------------------------------------------------------------------


def test_every_seed_example_file_is_mapped() -> None:
    assert sorted(p.name for p in SEED_DIR.glob("*.json")) == sorted(SEED_EXAMPLES)


@pytest.mark.parametrize("name", sorted(SEED_EXAMPLES))
def test_seed_example_parses(name: str) -> None:
    model, is_request = SEED_EXAMPLES[name]
    assert issubclass(model, m.RequestModel if is_request else m.ResponseModel)
    text = (SEED_DIR / name).read_text(encoding="utf-8")
    parsed = model.model_validate_json(text)
    # Nothing in a seed example is lost or invented on the way back to the wire.
    assert m.to_wire(parsed) == json.loads(text)


def test_seed_examples_have_expected_values() -> None:
    req = m.ReportLiveEventReq.model_validate(_load("000_live_event_report_request.json"))
    assert req.total == 1 and req.events is not None and req.events[0].content == "xxxxx"
    jobs = m.ListSmartLiveResponse.model_validate(_load("002_list_smart_live_200.json"))
    assert jobs.count == 1 and jobs.smart_live_jobs is not None
    assert jobs.smart_live_jobs[0].state in m.ACTIVE_JOB_STATES
    err = m.ErrorResponse.model_validate(_load("003_start_smart_live_401.json"))
    assert (err.error_code, err.error_msg) == ("MSS.00000001", "Unauthorized")


@pytest.mark.parametrize("seed", ["000", "001"])
def test_seed_event_content_examples_decode(seed: str) -> None:
    by_section: dict[int, Any] = {}
    for section in (1, 2, 3, 4, 6):
        event = m.LiveEvent.model_validate(_load(f"{seed}_live_event_type{section}_example.json"))
        assert event.content is not None
        # Decode with the model of the section's type: the type=3 example says "type": 2 (seed quirk).
        content = m.parse_event_content(section, event.content)
        assert isinstance(content, m.EVENT_CONTENT_MODELS[section])
        assert json.loads(m.encode_event_content(content)) == json.loads(event.content)
        by_section[section] = content
    assert isinstance(by_section[1], m.CommentContent) and by_section[1].user.level == 17
    assert isinstance(by_section[4], m.GiftContent)
    assert by_section[4].gift.giftNum == 10 and by_section[4].gift.giftValue == 3
    assert isinstance(by_section[6], m.ViewerCountContent) and by_section[6].numberOfViewers == 5466


def test_event_content_free_form_and_malformed() -> None:
    assert m.parse_event_content(5, '{"anything": [1, 2]}') == {"anything": [1, 2]}
    assert m.parse_event_content(42, '{"x": 1}') == {"x": 1}
    assert m.parse_event_content(None, "[]") == []
    with pytest.raises(ValueError):
        m.parse_event_content(1, "xxxxx")  # seed 000's example content is not JSON
    extra = '{"user": {"userId": "1", "fans": 3}, "content": "hi", "roomId": "r"}'
    with pytest.raises(ValidationError):
        m.parse_event_content(1, extra)
    lenient = m.parse_event_content(1, extra, lenient=True)
    assert isinstance(lenient, m.CommentContent) and lenient.content == "hi"
    with pytest.raises(ValidationError):
        m.parse_event_content(6, "{}")  # numberOfViewers is the whole content


# ------------------------------------------------------------------------------------------------
# Unknown fields: rejected in requests, ignored in responses, at every depth
# ------------------------------------------------------------------------------------------------

RULE: dict[str, Any] = {
    "rule_name": "welcome",
    "enabled": True,
    "event_type": 2,
    "hit_condition": {"relation": "AND", "priority": 10, "tags": [{"tag": "level", "match": "MATH_GE"}]},
    "trigger": {
        "reply_mode": "SHOW_LAYER",
        "reply_texts": ["hello"],
        "layer_config": {"layer_type": "IMAGE", "position": {"dx": 0, "dy": 0, "layer_index": 1}},
    },
}

START: dict[str, Any] = {
    "video_config": {"bitrate": 4000, "width": 1080, "height": 1920, "subtitle_config": {"font_size": 54}},
    "play_policy": {"repeat_count": -1, "live_exit_config": {"max_live_duration": 2}},
    "output_urls": ["rtmp://example/live"],
    "stream_keys": ["key"],
    "live_event_callback_config": {
        "auth_type": "MSS_A",
        "key": "k",
        "callback_event_type": ["SHOOT_SCRIPT_SWITCH"],
    },
    "rtc_callback_config": {"rtc_callback_event_type": ["LIVE_PROGRESS"]},
    "co_streamer_config": {
        "voice_config": {"voice_asset_id": "v1", "speed": 120},
        "streamer_action": "SILENCE",
    },
    "job_run_config": {"allow_resource_type": "ONDEMAND", "single_job_in_room": True},
}

JOB: dict[str, Any] = {
    "job_id": "j1",
    "state": "PROCESSING",
    "rtc_room_info": {"app_id": "a", "room_id": "r", "users": [{"user_type": "PLAYER", "user_id": "u"}]},
    "live_event_callback_config": {"auth_type": "NONE", "key": ""},
    "rtc_callback_config": {"rtc_callback_event_type": ["LIVE_PROGRESS"]},
    "co_streamer_config": {"voice_config": {"voice_asset_id": "v1"}},
    "error_info": {"error_code": "MSS.1", "error_msg": "x"},
    "live_job_log": {"interaction_records_url": "https://x"},
    "relation_live_platform_info": {"platform": "meituan"},
}


def _set(data: Any, path: str, value: Any) -> Any:
    """A deep copy of ``data`` with ``value`` at dotted ``path`` (list indices as numbers)."""
    data = json.loads(json.dumps(data))
    cur = data
    keys = path.split(".")
    for key in keys[:-1]:
        cur = cur[int(key)] if isinstance(cur, list) else cur[key]
    last = keys[-1]
    if isinstance(cur, list):
        cur[int(last)] = value
    else:
        cur[last] = value
    return data


UNKNOWN_IN_REQUEST = [
    (m.InteractionRuleGroup, {"group_name": "g", "interaction_rules": [RULE]}, "surprise"),
    (
        m.InteractionRuleGroup,
        {"group_name": "g", "interaction_rules": [RULE]},
        "interaction_rules.0.surprise",
    ),
    (
        m.InteractionRuleGroup,
        {"group_name": "g", "interaction_rules": [RULE]},
        "interaction_rules.0.hit_condition.tags.0.surprise",
    ),
    (
        m.InteractionRuleGroup,
        {"group_name": "g", "interaction_rules": [RULE]},
        "interaction_rules.0.trigger.layer_config.position.surprise",
    ),
    (m.StartSmartLiveReq, START, "surprise"),
    (m.StartSmartLiveReq, START, "video_config.subtitle_config.surprise"),
    (m.StartSmartLiveReq, START, "play_policy.live_exit_config.surprise"),
    (m.StartSmartLiveReq, START, "live_event_callback_config.surprise"),
    (m.StartSmartLiveReq, START, "rtc_callback_config.surprise"),
    (m.StartSmartLiveReq, START, "co_streamer_config.voice_config.surprise"),
    (m.StartSmartLiveReq, START, "job_run_config.surprise"),
    (m.ReportLiveEventReq, {"total": 1, "events": [{"timestamp": 1}]}, "events.0.surprise"),
    (m.ReportLiveEventReq, {"total": 1, "review_config": {}}, "review_config.surprise"),
    (
        m.CreateSmartLiveRoomReq,
        {"room_name": "r", "interaction_rules": [RULE]},
        "interaction_rules.0.surprise",
    ),
    (m.ControlSmartLiveReq, {"command": "REFRESH_OUTPUT_URL"}, "surprise"),
]


@pytest.mark.parametrize(("model", "base", "path"), UNKNOWN_IN_REQUEST)
def test_request_rejects_unknown_field(model: type[BaseModel], base: dict[str, Any], path: str) -> None:
    model.model_validate(base)
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model.model_validate(_set(base, path, 1))


SHOW_GROUP: dict[str, Any] = {
    "group_id": "g1",
    "group_name": "g",
    "interaction_rules": [{**RULE, "rule_id": "r1", "create_time": "2024-01-01T00:00:00Z"}],
}

UNKNOWN_IN_RESPONSE = [
    (m.SmartLiveJob, JOB, "used_resource_type"),
    (m.SmartLiveJob, JOB, "rtc_room_info.users.0.surprise"),
    (m.SmartLiveJob, JOB, "live_event_callback_config.surprise"),
    (m.SmartLiveJob, JOB, "co_streamer_config.voice_config.surprise"),
    (m.SmartLiveJob, JOB, "error_info.surprise"),
    (m.ListSmartLiveResponse, {"count": 1, "smart_live_jobs": [JOB]}, "smart_live_jobs.0.is_ai_mark_on"),
    (m.StartSmartLiveResponse, {"job_id": "j", "live_event_callback_config": {}}, "limit_duration"),
    (
        m.StartSmartLiveResponse,
        {"job_id": "j", "live_event_callback_config": {}},
        "live_event_callback_config.x",
    ),
    (m.ShowInteractionRuleGroupResponse, SHOW_GROUP, "interaction_rules.0.surprise"),
    (m.ShowInteractionRuleGroupResponse, SHOW_GROUP, "interaction_rules.0.hit_condition.tags.0.surprise"),
    (m.ShowInteractionRuleGroupResponse, SHOW_GROUP, "interaction_rules.0.trigger.layer_config.position.z"),
    (m.ListInteractionRuleGroupsResponse, {"count": 1, "interaction_rule_groups": [SHOW_GROUP]}, "x"),
    (m.ShowSmartLiveRoomResponse, {"room_name": "r", "interaction_rules": [RULE]}, "interaction_rules.0.x"),
]


@pytest.mark.parametrize(("model", "base", "path"), UNKNOWN_IN_RESPONSE)
def test_response_ignores_unknown_field(model: type[BaseModel], base: dict[str, Any], path: str) -> None:
    parsed = model.model_validate(_set(base, path, 1))
    assert parsed == model.model_validate(base)
    assert "surprise" not in json.dumps(m.to_wire(parsed))


def test_list_of_groups_drops_rules() -> None:
    listed = m.ListInteractionRuleGroupsResponse.model_validate({"interaction_rule_groups": [SHOW_GROUP]})
    assert listed.interaction_rule_groups is not None
    assert m.to_wire(listed.interaction_rule_groups[0]) == {"group_id": "g1", "group_name": "g"}


def test_shared_objects_are_strict_in_requests_and_lenient_in_responses() -> None:
    cfg = {"auth_type": "MSS_A_HEAD", "key": "k", "surprise": 1}
    with pytest.raises(ValidationError):
        m.LiveEventCallBackConfig.model_validate(cfg)
    job = m.SmartLiveJob.model_validate({"live_event_callback_config": cfg})
    assert isinstance(job.live_event_callback_config, m.LiveEventCallBackConfig)
    assert job.live_event_callback_config.auth_type == "MSS_A_HEAD"
    # Building the views did not loosen the strict classes they derive from.
    for model in (m.LiveEventCallBackConfig, m.InteractionRuleInfo, m.HitConditionTag, m.VoiceConfig):
        assert model.model_config.get("extra") == "forbid"
    with pytest.raises(ValidationError):
        m.InteractionRuleInfo.model_validate({"hit_condition": {"relation": "XOR"}})
    assert m.response_view(m.VoiceConfig) is m.response_view(m.VoiceConfig)
    assert issubclass(m.response_view(m.VoiceConfig), m.VoiceConfig)
    assert m.response_view(m.SmartLiveJob) is m.SmartLiveJob


def test_response_accepts_strict_instances() -> None:
    """The emulator copies request objects into responses: strict instances convert to views."""
    req = m.StartSmartLiveReq.model_validate(START)
    job = m.SmartLiveJob(
        job_id="j",
        live_event_callback_config=req.live_event_callback_config,
        co_streamer_config=req.co_streamer_config,
    )
    assert job.co_streamer_config is not None and job.co_streamer_config.voice_config is not None
    assert job.co_streamer_config.voice_config.speed == 120
    rule = m.InteractionRuleInfo.model_validate(RULE)
    detail = m.InteractionRuleDetailInfo.model_validate({**rule.model_dump(), "rule_id": "r1"})
    assert detail.hit_condition == m.response_view(m.HitCondition).model_validate(RULE["hit_condition"])


def test_response_model_must_be_lenient() -> None:
    with pytest.raises(TypeError, match="must set model_config"):

        class Broken(m.VoiceConfig, m.ResponseModel):  # forbid from the first base wins the merge
            model_config = m.RequestModel.model_config


# ------------------------------------------------------------------------------------------------
# Enums
# ------------------------------------------------------------------------------------------------

NEWER_ENUM_VALUES = [
    *[(m.HitCondition, "relation", v) for v in ("AND", "OR", "RESERVED", "And", "Or")],
    *[
        (m.TriggerProcess, "reply_mode", v)
        for v in ("SYSTEM_REPLY", "CALLBACK", "SHOW_LAYER", "SYSTEM_REPLY_AND_CALLBACK", "INTELLIGENT_REPLY")
    ],
    *[(m.TriggerProcess, "play_type", v) for v in ("APPEND", "INSERT", "PLAY_NOW")],
    (m.VideoConfig, "codec", "QTRLE"),
    (m.LiveEventCallBackConfig, "auth_type", "MEITUAN_DEFAULT"),
    (m.LiveJobRunConfig, "allow_resource_type", "UNLIMITED"),
    (m.CreateSmartLiveRoomReq, "room_type", "TEMPLATE"),
]

REQUIRED_BASE: dict[type[BaseModel], dict[str, Any]] = {
    m.VideoConfig: {"bitrate": 4000, "width": 1080, "height": 1920},
    m.CreateSmartLiveRoomReq: {"room_name": "r"},
    m.VoiceConfig: {"voice_asset_id": "v"},
}


@pytest.mark.parametrize(("model", "field", "value"), NEWER_ENUM_VALUES)
def test_documented_enum_values_accepted(model: type[BaseModel], field: str, value: str) -> None:
    assert getattr(model.model_validate({**REQUIRED_BASE.get(model, {}), field: value}), field) == value


def test_intelligent_reply_with_robot_id() -> None:
    trig = m.TriggerProcess.model_validate({"reply_mode": "INTELLIGENT_REPLY", "robot_id": "bot-1"})
    assert trig.robot_id == "bot-1"


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        (m.HitCondition, "relation", "XOR"),
        (m.HitCondition, "relation", "and"),
        (m.TriggerProcess, "reply_mode", "SMS"),
        (m.TriggerProcess, "play_type", "LATER"),
        (m.HitConditionTag, "match", "LIKE"),
        (m.PlayPolicy, "play_mode", "VIDEO"),
        (m.LiveEventCallBackConfig, "callback_event_type", ["LIVE_PROGRESS"]),
        (m.StartSmartLiveReq, "view_mode", "SQUARE"),
        (m.ControlSmartLiveReq, "command", "REBOOT"),
    ],
)
def test_unknown_enum_value_rejected_in_request(model: type[BaseModel], field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(
            {field: value, **({"command": "REFRESH_OUTPUT_URL"} if field != "command" else {})}
        )


def test_unknown_values_accepted_in_responses() -> None:
    job = m.SmartLiveJob.model_validate(
        {
            "state": "HIBERNATING",
            "rtc_room_info": {"users": [{"user_type": "ROBOT"}]},
            "live_event_callback_config": {"auth_type": "MSS_B", "callback_event_type": ["NEW_EVENT"]},
            "co_streamer_config": {"streamer_action": "WHISPER", "voice_config": {"voice_asset_id": "v"}},
        }
    )
    assert job.state == "HIBERNATING" and job.state not in m.JOB_STATES
    start = m.StartSmartLiveResponse.model_validate({"live_warning_info": [{"warning_type": "TOO_LOUD"}]})
    assert start.live_warning_info is not None and start.live_warning_info[0].warning_type == "TOO_LOUD"
    group = m.ShowInteractionRuleGroupResponse.model_validate(
        _set(
            _set(SHOW_GROUP, "interaction_rules.0.trigger.reply_mode", "FUTURE"),
            "interaction_rules.0.hit_condition.relation",
            "XOR",
        )
    )
    assert group.interaction_rules is not None and group.interaction_rules[0].trigger is not None
    # Statically a Literal; at runtime any str the service sent (see the models' module docstring).
    reply_mode: str | None = group.interaction_rules[0].trigger.reply_mode
    assert reply_mode == "FUTURE"


def test_state_constants() -> None:
    assert m.ACTIVE_JOB_STATES == ("WAITING", "PROCESSING")
    assert set(m.ACTIVE_JOB_STATES) | set(m.TERMINAL_JOB_STATES) == set(m.JOB_STATES)


# ------------------------------------------------------------------------------------------------
# Ranges and lengths: each bound accepted, just outside rejected
# ------------------------------------------------------------------------------------------------

Make = Callable[[Any], dict[str, Any]]
RANGES: list[tuple[str, type[BaseModel], Make, list[Any], list[Any]]] = [
    ("priority", m.HitCondition, lambda v: {"priority": v}, [0, 999], [-1, 1000]),
    (
        "nested priority",
        m.InteractionRuleGroup,
        lambda v: {"group_name": "g", "interaction_rules": [{"hit_condition": {"priority": v}}]},
        [0, 999],
        [-1, 1000],
    ),
    ("layer font_size", m.SmartTextLayerConfig, lambda v: {"font_size": v}, [4, 120], [3, 121]),
    ("subtitle font_size", m.SubtitleConfig, lambda v: {"font_size": v}, [0, 120], [-1, 121]),
    ("subtitle opacity", m.SubtitleConfig, lambda v: {"opacity": v}, [0, 1], [-0.1, 1.1]),
    (
        "bitrate",
        m.VideoConfig,
        lambda v: {"bitrate": v, "width": 1080, "height": 1920},
        [40, 30000],
        [39, 30001],
    ),
    ("width", m.VideoConfig, lambda v: {"bitrate": 40, "width": v, "height": 1920}, [0, 3840], [-1, 3841]),
    ("height", m.VideoConfig, lambda v: {"bitrate": 40, "width": 0, "height": v}, [0, 3840], [-1, 3841]),
    (
        "video dx",
        m.VideoConfig,
        lambda v: {"bitrate": 40, "width": 0, "height": 0, "dx": v},
        [-1920, 3840],
        [-1921, 3841],
    ),
    ("repeat_count", m.PlayPolicy, lambda v: {"repeat_count": v}, [-1, 100], [-2, 101]),
    ("max_live_duration", m.LiveExitConfig, lambda v: {"max_live_duration": v}, [0, 168], [-1, 169]),
    ("speed", m.VoiceConfig, lambda v: {"voice_asset_id": "v", "speed": v}, [50, 200], [49, 201]),
    ("pitch", m.VoiceConfig, lambda v: {"voice_asset_id": "v", "pitch": v}, [50, 200], [49, 201]),
    ("volume", m.VoiceConfig, lambda v: {"voice_asset_id": "v", "volume": v}, [90, 240], [89, 241]),
    ("voice_asset_id", m.VoiceConfig, lambda v: {"voice_asset_id": "a" * v}, [1, 256], [0, 257]),
    ("key length", m.LiveEventCallBackConfig, lambda v: {"key": "k" * v}, [0, 32], [33]),
    (
        "callback url",
        m.LiveEventCallBackConfig,
        lambda v: {"live_event_type_callback_url": "u" * v},
        [2048],
        [2049],
    ),
    (
        "interaction_callback_url",
        m.StartSmartLiveReq,
        lambda v: {"interaction_callback_url": "u" * v},
        [0, 2048],
        [2049],
    ),
    ("output_urls count", m.StartSmartLiveReq, lambda v: {"output_urls": ["rtmp://x"] * v}, [0, 1], [2]),
    ("reply_texts count", m.TriggerProcess, lambda v: {"reply_texts": ["t"] * v}, [0, 5], [6]),
    ("reply_text length", m.TriggerProcess, lambda v: {"reply_texts": ["t" * v]}, [0, 1024], [1025]),
    ("reply_audios count", m.TriggerProcess, lambda v: {"reply_audios": [{"audio_url": "u"}] * v}, [5], [6]),
    ("robot_id", m.TriggerProcess, lambda v: {"robot_id": "r" * v}, [64], [65]),
    ("tag", m.HitConditionTag, lambda v: {"tag": "t" * v}, [256], [257]),
    ("tag value", m.HitConditionTag, lambda v: {"value": "v" * v}, [1024], [1025]),
    ("rule_name", m.InteractionRuleInfo, lambda v: {"rule_name": "n" * v}, [256], [257]),
    ("rule_index", m.InteractionRuleInfo, lambda v: {"rule_index": "i" * v}, [64], [65]),
    ("rule event_type", m.InteractionRuleInfo, lambda v: {"event_type": v}, [0, 100], [-1, 101]),
    ("layer_index", m.LayerPositionConfig, lambda v: {"dx": 0, "dy": 0, "layer_index": v}, [1], [0]),
    ("total", m.ReportLiveEventReq, lambda v: {"total": v}, [1, 1000], [0, 1001]),
    ("timestamp", m.LiveEvent, lambda v: {"timestamp": v}, [0, m.MAX_EPOCH_MS], [-1, m.MAX_EPOCH_MS + 1]),
    ("event type", m.LiveEvent, lambda v: {"timestamp": 0, "type": v}, [0, 100], [-1, 101]),
    (
        "expires_time",
        m.LiveEventReportQuery,
        lambda v: {"expires_time": v},
        [0, m.MAX_EPOCH_MS],
        [-1, m.MAX_EPOCH_MS + 1],
    ),
    ("limit", m.ListSmartLiveQuery, lambda v: {"limit": v}, [1, 100], [0, 101]),
    ("room_name", m.CreateSmartLiveRoomReq, lambda v: {"room_name": "r" * v}, [1, 256], [0, 257]),
    ("enabled_scenes", m.LiveRoomInteractionRuleInfo, lambda v: {"enabled_scenes": ["s"] * v}, [100], [101]),
    ("count (response)", m.ListSmartLiveResponse, lambda v: {"count": v}, [0, m.INT32_MAX], [-1]),
]

RANGE_CASES = [
    pytest.param(model, make, value, ok, id=f"{name}={value!r:.20}-{'ok' if ok else 'rejected'}")
    for name, model, make, oks, bads in RANGES
    for value, ok in [*((v, True) for v in oks), *((v, False) for v in bads)]
]


@pytest.mark.parametrize(("model", "make", "value", "ok"), RANGE_CASES)
def test_range_bounds(model: type[BaseModel], make: Make, value: Any, ok: bool) -> None:
    if ok:
        model.model_validate(make(value))
    else:
        with pytest.raises(ValidationError):
            model.model_validate(make(value))


def test_no_cross_field_rules_in_models() -> None:
    # 1280x720 is outside what live supports, but within the API's own 0-3840: the lint layer's call.
    m.VideoConfig.model_validate({"bitrate": 40, "width": 1280, "height": 720})
    # reply_mode INTELLIGENT_REPLY without robot_id is a semantic rule, not a model one.
    m.TriggerProcess.model_validate({"reply_mode": "INTELLIGENT_REPLY"})


# ------------------------------------------------------------------------------------------------
# Required vs optional against the SDK, defaults, wire dump
# ------------------------------------------------------------------------------------------------

# our model -> (SDK module, SDK fields this model deliberately does not carry)
SDK_MODELS: dict[type[BaseModel], tuple[str, set[str]]] = {
    m.InteractionRuleGroup: ("interaction_rule_group", set()),
    m.InteractionRuleInfo: ("interaction_rule_info", set()),
    m.InteractionRuleDetailInfo: ("interaction_rule_detail_info", set()),
    m.InteractionRuleGroupSummary: ("interaction_rule_group_summary", set()),
    m.HitCondition: ("hit_condition", set()),
    m.HitConditionTag: ("hit_condition_tag", set()),
    m.TriggerProcess: ("trigger_process", set()),
    m.SmartLayerConfig: ("smart_layer_config", set()),
    m.LayerPositionConfig: ("layer_position_config", set()),
    m.LayerSizeConfig: ("layer_size_config", set()),
    m.SmartImageLayerConfig: ("smart_image_layer_config", set()),
    m.SmartVideoLayerConfig: ("smart_video_layer_config", set()),
    m.SmartTextLayerConfig: ("smart_text_layer_config", set()),
    m.ReplyAudioInfo: ("reply_audio_info", set()),
    m.ReviewConfig: ("review_config", set()),
    m.StartSmartLiveReq: ("start_smart_live_req", set()),
    m.VideoConfig: ("video_config", set()),
    m.SubtitleConfig: ("subtitle_config", set()),
    m.PlayPolicy: ("play_policy", set()),
    m.LiveExitConfig: ("live_exit_config", set()),
    m.LiveEventCallBackConfig: ("live_event_call_back_config", set()),
    m.RTCLiveEventCallBackConfig: ("rtc_live_event_call_back_config", set()),
    m.CoStreamerConfig: ("co_streamer_config", set()),
    m.VoiceConfig: ("voice_config", set()),
    m.LiveJobRunConfig: ("live_job_run_config", set()),
    m.ReportLiveEventReq: ("report_live_event_req", set()),
    m.LiveEvent: ("live_event", set()),
    m.SmartLiveJob: ("smart_live_job", {"used_resource_type", "is_ai_mark_on"}),
    m.ShowSmartLiveResponse: (
        "show_smart_live_response",
        {"used_resource_type", "is_ai_mark_on", "x_request_id"},
    ),
    m.RTCRoomInfoList: ("rtc_room_info_list", set()),
    m.RTCUserInfo: ("rtc_user_info", set()),
    m.ErrorResponse: ("error_response", set()),
    m.LiveJobLog: ("live_job_log", set()),
    m.PlatformLiveDetailInfo: ("platform_live_detail_info", set()),
    m.LiveWarningItem: ("live_warning_item", set()),
    m.ListSmartLiveResponse: ("list_smart_live_response", {"x_request_id"}),
    m.ListSmartLiveJobsResponse: ("list_smart_live_jobs_response", {"x_request_id"}),
    m.ListInteractionRuleGroupsResponse: ("list_interaction_rule_groups_response", {"x_request_id"}),
    m.ShowInteractionRuleGroupResponse: ("show_interaction_rule_group_response", {"x_request_id"}),
    m.UpdateInteractionRuleGroupResponse: ("update_interaction_rule_group_response", {"x_request_id"}),
    m.StartSmartLiveResponse: ("start_smart_live_response", {"limit_duration", "x_request_id"}),
    m.LiveEventReportResponse: ("live_event_report_response", {"x_request_id"}),
    m.CreateInteractionRuleGroupResponse: ("create_interaction_rule_group_response", {"x_request_id"}),
    m.ControlSmartLiveReq: ("control_smart_live_req", set()),
    m.ExecuteSmartLiveCommandResponse: ("execute_smart_live_command_response", {"x_request_id"}),
    m.CreateSmartLiveRoomReq: ("create_smart_live_room_req", set()),
    m.CreateSmartLiveRoomResponse: ("create_smart_live_room_response", {"x_request_id"}),
    m.ShowSmartLiveRoomResponse: ("show_smart_live_room_response", {"x_request_id"}),
    m.LiveRoomInteractionRuleInfo: ("live_room_interaction_rule_info", set()),
    m.LiveRoomInteractionConfig: ("live_room_interaction_config", set()),
    m.LiveRoomEventCallBackConfig: ("live_room_event_call_back_config", set()),
    m.PlatformLiveInfo: ("platform_live_info", set()),
    m.SmartLiveRoomBaseInfo: ("smart_live_room_base_info", set()),
    m.ListSmartLiveRoomsResponse: ("list_smart_live_rooms_response", {"x_request_id"}),
    m.LiveVideoScriptInfo: ("live_video_script_info", set()),
    m.BackgroundConfigInfo: ("background_config_info", set()),
    m.BackgroundImageConfig: ("background_image_config", set()),
    m.LayerConfig: ("layer_config", set()),
    m.LayerRotationConfig: ("layer_rotation_config", set()),
    m.ImageLayerConfig: ("image_layer_config", set()),
    m.VideoLayerConfig: ("video_layer_config", set()),
    m.TextLayerConfig: ("text_layer_config", set()),
    m.LiveShootScriptItem: ("live_shoot_script_item", set()),
    m.TextConfig: ("text_config", set()),
    m.LiveAudioConfig: ("live_audio_config", set()),
    m.RelationProductInfo: ("relation_product_info", set()),
    m.SharedConfig: ("shared_config", set()),
    m.ModelInfo: ("model_info", set()),
    m.SmartLiveRoomConfig: ("create_smart_live_room_req_base_info", set()),
    m.UpdateSmartLiveRoomResponse: ("update_smart_live_room_response", {"x_request_id"}),
    m.DeleteSmartLiveRoomResponse: ("delete_smart_live_room_response", {"x_request_id"}),
    m.SmartLiveRoomInfo: ("show_smart_live_room_response", {"x_request_id"}),
    m.ListSmartLiveRoomsQuery: ("list_smart_live_rooms_request", {"x_app_user_id"}),
}


def _sdk_fields(module_name: str) -> tuple[set[str], set[str]]:
    """(all fields, required fields) of an SDK model: required ones are assigned unconditionally."""
    module = pytest.importorskip(f"huaweicloudsdkmetastudio.v1.model.{module_name}")
    cls: Any = next(
        obj for obj in vars(module).values() if inspect.isclass(obj) and obj.__module__ == module.__name__
    )
    fields = set(cls.openapi_types)
    init = inspect.getsource(cls.__init__)
    optional = set(re.findall(r"if (\w+) is not None:", init))
    return fields, fields - optional


@pytest.mark.parametrize("model", list(SDK_MODELS), ids=lambda c: c.__name__)
def test_fields_and_required_match_sdk(model: type[BaseModel]) -> None:
    module_name, left_out = SDK_MODELS[model]
    sdk_all, sdk_required = _sdk_fields(module_name)
    ours = set(model.model_fields)
    required = {name for name, f in model.model_fields.items() if f.is_required()}
    assert ours == sdk_all - left_out
    assert required == sdk_required - left_out


def _all_models() -> list[type[BaseModel]]:
    found = {
        obj
        for obj in vars(m).values()
        if inspect.isclass(obj) and issubclass(obj, BaseModel) and obj.__module__ == m.__name__
    }
    return sorted(found, key=lambda c: c.__name__)


@pytest.mark.parametrize("model", _all_models(), ids=lambda c: c.__name__)
def test_optional_fields_default_to_none(model: type[BaseModel]) -> None:
    assert issubclass(model, (m.RequestModel, m.ResponseModel))
    for name, field in model.model_fields.items():
        if not field.is_required():
            assert field.default is None and field.default_factory is None, name


def test_documented_defaults_name_real_fields_and_validate() -> None:
    for model_name, defaults in m.DOCUMENTED_DEFAULTS.items():
        model = getattr(m, model_name)
        for field_name, value in defaults.items():
            assert field_name in model.model_fields, (model_name, field_name)
            # Validates just this field, with its constraints, on an otherwise empty instance.
            model.__pydantic_validator__.validate_assignment(model.model_construct(), field_name, value)
    assert m.DOCUMENTED_DEFAULTS["HitCondition"]["priority"] == 500
    assert m.DOCUMENTED_DEFAULTS["PlayPolicy"]["play_mode"] == "TEXT"


def test_to_wire_drops_none_and_round_trips() -> None:
    req = m.StartSmartLiveReq.model_validate(START)
    wire = m.to_wire(req)
    assert wire == START
    assert "view_mode" not in wire and "frame_rate" not in wire["video_config"]
    assert m.StartSmartLiveReq.model_validate(wire) == req
    group = m.InteractionRuleGroup(group_name="欢迎词")
    assert m.to_wire(group) == {"group_name": "欢迎词"}
    assert m.to_wire_json(group) == '{"group_name":"欢迎词"}'
    cmd = m.ControlSmartLiveReq(
        command="REFRESH_OUTPUT_URL",
        params=m.to_wire(m.RefreshOutputUrlConfig(output_urls=["rtmp://y"], stream_keys=["k2"])),
    )
    assert m.to_wire(cmd) == {
        "command": "REFRESH_OUTPUT_URL",
        "params": {"output_urls": ["rtmp://y"], "stream_keys": ["k2"]},
    }


def test_room_request_and_response() -> None:
    room = m.CreateSmartLiveRoomReq.model_validate(
        {
            "room_name": "room",
            "room_type": "NORMAL",
            "interaction_rules": [{**RULE, "group_id": "g1", "group_name": "welcome"}],
            "interaction_config": {"play_type": "INSERT"},
            "scene_scripts": [{"script_name": "s", "shoot_scripts": []}],
            "relation_live_platform_info": {"platform_id": "p", "live_id": "live_1-2"},
        }
    )
    assert room.interaction_rules is not None and room.interaction_rules[0].group_id == "g1"
    with pytest.raises(ValidationError):
        m.PlatformLiveInfo.model_validate({"platform_id": "p", "live_id": "has space"})
    shown = m.ShowSmartLiveRoomResponse.model_validate(
        {**m.to_wire(room), "room_id": "r1", "relation_live_platform_info": {"platform": "meituan"}}
    )
    assert shown.room_id == "r1"
    assert isinstance(shown.relation_live_platform_info, m.PlatformLiveDetailInfo)
