"""Hypothesis strategies for valid manifest sets, built from the API models' own fields, ranges and enums.

Generating from the JSON Schemas (hypothesis-jsonschema) would give type-valid documents that the lint
layer mostly rejects (a SHOW_LAYER rule without a layer, a MATH_GE tag on "abc", a 4K live); these draw
only what `smartlive validate` accepts, so that every example reaches the plan. Every optional field is
sometimes absent, so documented defaults are exercised from both sides.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from reconciler.api import models

# Text that is awkward on purpose: unicode, whitespace at the ends, quotes, YAML/JSON specials.
_ALPHABET = st.sampled_from(list("abcXYZ019 -_.:#'\"\\/é中文😀\t")) | st.characters(
    blacklist_categories=("Cs", "Cc")
)
text = st.text(_ALPHABET, max_size=24)
name = st.text(_ALPHABET, min_size=1, max_size=20)
url_path = st.text(st.sampled_from(list("abcxyz0189-_")), min_size=1, max_size=12)
https_url = url_path.map(lambda p: f"https://hooks.example.com/{p}")


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def objects(draw: st.DrawFn, /, **fields: st.SearchStrategy[Any]) -> dict[str, Any]:
    """A dict holding a random subset of `fields` (each present field drawn from its strategy)."""
    out = {}
    for key, strategy in fields.items():
        value = draw(_optional(strategy))
        if value is not None:
            out[key] = value
    return out


# Interaction rules ---------------------------------------------------------------------------------------

_NUMBERS = st.one_of(
    st.integers(-1000, 100_000).map(str),
    st.decimals(-100, 100, places=2, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["20", " 7 ", "+3", "1e3", ".5", "0"]),
)
_REGEXES = st.sampled_from(["(价格|多少钱)", "^hi", "(?i:refund|broken)", r"\d+", "a|b", "."])


@st.composite
def tags(draw: st.DrawFn) -> dict[str, Any]:
    match = draw(
        _optional(st.sampled_from(["EQUAL", "REGEX", "MATH_GT", "MATH_GE", "MATH_LT", "MATH_LE", "MATH_EQ"]))
    )
    tag: dict[str, Any] = draw(objects(tag=st.sampled_from(["content", "user.level", "gift.name", "count"])))
    if match is not None:
        tag["match"] = match
    if match is not None and match.startswith("MATH_"):
        tag["value"] = draw(_NUMBERS)
        operation = draw(_optional(st.sampled_from(["SUM", "AVG", "COUNT", "NONE"])))
    else:
        if match == "REGEX":
            tag["value"] = draw(_REGEXES)
        elif draw(st.booleans()):
            tag["value"] = draw(text)
        operation = draw(_optional(st.just("NONE")))
    if operation is not None:
        tag["operation"] = operation
    return tag


@st.composite
def hit_conditions(draw: st.DrawFn) -> dict[str, Any]:
    condition: dict[str, Any] = draw(objects(priority=st.integers(0, 999)))
    drawn_tags = draw(st.lists(tags(), max_size=3))
    keep_empty = draw(st.booleans())
    if drawn_tags or keep_empty:
        condition["tags"] = drawn_tags
    relations = ["AND", "OR", "And", "Or", "RESERVED"] if drawn_tags else ["RESERVED"]
    relation = draw(_optional(st.sampled_from(relations)))
    if relation is not None:
        condition["relation"] = relation
    return condition


@st.composite
def layers(draw: st.DrawFn) -> dict[str, Any]:
    layer_type = draw(st.sampled_from(["IMAGE", "VIDEO", "TEXT"]))
    layer: dict[str, Any] = {"layer_type": layer_type}
    if layer_type == "IMAGE":
        layer["image_config"] = {
            "image_url": draw(https_url),
            **draw(objects(display_duration=st.integers(0, 60))),
        }
    elif layer_type == "VIDEO":
        layer["video_config"] = {"video_url": draw(https_url), **draw(objects(video_cover_url=https_url))}
    else:
        layer["text_config"] = draw(
            objects(
                text_type=st.sampled_from(["DYNAMIC", "STATIC"]),
                text_context=text,
                font_name=st.sampled_from(["HarmonyOS_Sans_SC_Black", "fzyouh"]),
                font_size=st.integers(4, 120),
                font_color=st.sampled_from(["#FFFFFF", "#00aa33"]),
            )
        )
    if draw(st.booleans()):
        layer["position"] = {
            "dx": draw(st.integers(0, 500)),
            "dy": draw(st.integers(0, 500)),
            "layer_index": draw(st.integers(1, 9)),
        }
        layer["size"] = draw(objects(width=st.integers(0, 500), height=st.integers(0, 500)))
    return layer


@st.composite
def triggers(draw: st.DrawFn) -> dict[str, Any]:
    mode = draw(_optional(st.sampled_from(list(models.ReplyMode.__args__))))  # type: ignore[attr-defined]
    trigger: dict[str, Any] = draw(
        objects(
            time_window=st.integers(-1, 3600),
            reply_order=st.sampled_from(["RANDOM", "ORDER"]),
            reply_role=st.sampled_from(["STREAMER", "CO_STREAMER"]),
            play_type=st.sampled_from(["APPEND", "INSERT", "PLAY_NOW"]),
            reply_audios=st.lists(objects(audio_url=https_url, audio_name=text), max_size=2),
        )
    )
    texts = draw(st.lists(text, max_size=5))
    keep_empty = draw(st.booleans())
    if texts or keep_empty:
        trigger["reply_texts"] = texts
    if mode is not None:
        trigger["reply_mode"] = mode
        if (
            mode in ("SYSTEM_REPLY", "SYSTEM_REPLY_AND_CALLBACK")
            and not texts
            and not trigger.get("reply_audios")
        ):
            trigger["reply_texts"] = [draw(text)]
        if mode == "SHOW_LAYER":
            trigger["layer_config"] = draw(layers())
        if mode == "INTELLIGENT_REPLY":
            trigger["robot_id"] = draw(st.text(st.sampled_from(list("abc0123-")), min_size=1, max_size=16))
    if draw(st.integers(0, 4)) == 0:
        trigger["extra_layer_config"] = draw(layers())
    return trigger


def rules() -> st.SearchStrategy[dict[str, Any]]:
    return objects(
        rule_name=name,
        rule_index=st.integers(1, 99).map(str),
        enabled=st.booleans(),
        event_type=st.sampled_from([1, 2, 3, 4, 10]) | st.integers(0, 100),
        hit_condition=hit_conditions(),
        trigger=triggers(),
        review_config=objects(no_need_review=st.booleans()),
    )


@st.composite
def rule_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Up to 5 rules; names unique when present (validate rejects duplicates), some rules unnamed."""
    drawn = draw(st.lists(rules(), max_size=5))
    seen: set[str] = set()
    out = []
    for rule in drawn:
        if "rule_name" in rule:
            if rule["rule_name"] in seen:
                continue
            seen.add(rule["rule_name"])
        out.append(rule)
    return out


# Live jobs ------------------------------------------------------------------------------------------------

_RESOLUTIONS = [(1920, 1080, "LANDSCAPE"), (1080, 1920, "VERTICAL")]


@st.composite
def video_configs(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    width, height, orientation = draw(st.sampled_from(_RESOLUTIONS))
    config = {"bitrate": draw(st.integers(1000, 8000)), "width": width, "height": height}
    config.update(
        draw(
            objects(
                codec=st.just("H264"),
                frame_rate=st.just("25"),
                clip_mode=st.sampled_from(["RESIZE", "CROP"]),
                is_subtitle_enable=st.just(False),
                is_enable_super_resolution=st.booleans(),
                is_end_at_first_frame=st.booleans(),
                dx=st.integers(-100, 100),
                dy=st.integers(-100, 100),
            )
        )
    )
    return config, orientation


play_policies = objects(
    repeat_count=st.integers(-1, 100),
    auto_play_script=st.booleans(),
    play_mode=st.sampled_from(["TEXT", "AUDIO", "NO_PRESET"]),
    random_play_mode=st.sampled_from(["NONE", "SCENE", "SCRIPT_ITEM", "SCENE_AND_SCRIPT_ITEM"]),
    need_independent_capture_client=st.booleans(),
    live_exit_config=objects(
        max_live_duration=st.integers(0, 168),
        auto_stop_mode=st.sampled_from(["FORCE_EXIT", "SEGMENT_END", "SCENE_END", "SCRIPT_END"]),
        max_exception_waiting_duration=st.integers(0, 60),
    ),
    is_rewrite_delay=st.booleans(),
)
_EVENT_TYPES = st.lists(
    st.sampled_from(["SHOOT_SCRIPT_SWITCH", "RTMP_STREAM_STATE_CHANGE", "REPLY_COMMAND_FINISH"]), max_size=4
)
rtc_callbacks = objects(
    rtc_callback_event_type=st.lists(st.sampled_from(["LIVE_PROGRESS", "REPLY_COMMAND_FINISH"]), max_size=3)
)
co_streamers = objects(
    voice_config=st.builds(
        lambda asset, extra: {"voice_asset_id": asset, **extra},
        st.text(st.sampled_from(list("abcdef0123456789")), min_size=1, max_size=32),
        objects(speed=st.integers(50, 200), pitch=st.integers(50, 200), volume=st.integers(90, 240)),
    ),
    streamer_action=st.sampled_from(["SILENCE", "VOLUME_DOWN"]),
)


@st.composite
def event_callbacks(draw: st.DrawFn, *, key: str | None) -> dict[str, Any]:
    """A live_event_callback_config; with `key`, a keyed auth_type (MSS_A, MSS_A_HEAD) signed with it."""
    config: dict[str, Any] = draw(
        objects(live_event_type_callback_url=https_url, callback_event_type=_EVENT_TYPES)
    )
    if key is not None:
        config["auth_type"] = draw(st.sampled_from(["MSS_A", "MSS_A_HEAD"]))
        config["key"] = key
    else:
        auth = draw(_optional(st.just("NONE")))
        if auth is not None:
            config["auth_type"] = auth
    return config


@st.composite
def job_specs(draw: st.DrawFn, room_id: str, index: int) -> tuple[dict[str, Any], dict[str, str]]:
    """A SmartLiveJob spec and the environment its secret references need."""
    env: dict[str, str] = {}
    spec: dict[str, Any] = {"room_id": room_id}
    if draw(st.booleans()):
        spec["state"] = "running"
    if draw(st.booleans()):
        video, orientation = draw(video_configs())
        spec["video_config"] = video
        if draw(st.booleans()):
            spec["view_mode"] = orientation
    if draw(st.booleans()):
        spec["play_policy"] = draw(play_policies)
    if draw(st.booleans()):
        spec["output_urls"] = [f"rtmp://push.example.com/live/{index}"]
        spec["stream_keys"] = [f"${{env:STREAM_KEY_{index}}}"]
        env[f"STREAM_KEY_{index}"] = f"stream-key-{index}"
    if draw(st.booleans()):
        spec["interaction_callback_url"] = draw(
            st.sampled_from([f"${{env:CALLBACK_URL_{index}}}", "https://hooks.example.com/i"])
        )
        env[f"CALLBACK_URL_{index}"] = "https://hooks.example.com/interact?token=t"
    if draw(st.booleans()):
        keyed = draw(st.booleans())
        if keyed:
            env[f"CALLBACK_KEY_{index}"] = f"callback-key-{index}"
        spec["live_event_callback_config"] = draw(
            event_callbacks(key=f"${{env:CALLBACK_KEY_{index}}}" if keyed else None)
        )
    if draw(st.booleans()):
        spec["rtc_callback_config"] = draw(rtc_callbacks)
    if draw(st.booleans()):
        spec["co_streamer_config"] = draw(co_streamers)
    if draw(st.booleans()):
        spec["job_run_config"] = draw(
            objects(
                allow_resource_type=st.sampled_from(["PERIOD", "ONDEMAND"]), single_job_in_room=st.booleans()
            )
        )
    return spec, env


#: A room's own configuration, which a job that leaves the field out runs with (the emulator copies it).
room_configs = objects(
    live_event_callback_config=objects(
        live_event_type_callback_url=https_url,
        auth_type=st.just("NONE"),
        callback_event_type=_EVENT_TYPES,
    ),
    rtc_callback_config=rtc_callbacks,
    co_streamer_config=co_streamers,
)


@st.composite
def manifest_sets(draw: st.DrawFn) -> dict[str, Any]:
    """{"groups": {name: rules}, "jobs": {name: spec}, "rooms": {room_id: config}, "env": {...}}."""
    group_names = draw(st.lists(name, min_size=1, max_size=4, unique=True))
    groups = {group: draw(rule_lists()) for group in group_names}
    room_count = draw(st.integers(0, 3))
    rooms = {f"room-{i}": draw(room_configs) for i in range(room_count)}
    jobs: dict[str, Any] = {}
    env: dict[str, str] = {}
    for index, room_id in enumerate(rooms):
        if draw(st.booleans()) or index == 0:
            spec, job_env = draw(job_specs(room_id, index))
            jobs[f"job-{index}"] = spec
            env.update(job_env)
    return {"groups": groups, "jobs": jobs, "rooms": rooms, "env": env}
