"""Semantic checks: each code fires on the input it is about, and valid input stays quiet."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifest import load_manifests
from tests.example_project import examples_variables

REPO = Path(__file__).resolve().parents[2]

RULE = """\
    - rule_name: {name}
      event_type: 1
      hit_condition:
        relation: {relation}
        priority: 100
        tags:
          - tag: content
            operation: {operation}
            match: {match}
            value: "{value}"
      trigger:
        time_window: {time_window}
        reply_mode: {reply_mode}
{trigger_extra}"""

LAYER = """\
        layer_config:
          layer_type: {layer_type}
          position: {{dx: {dx}, dy: {dy}, layer_index: 1}}
          size: {{width: {width}, height: {height}}}
{layer_configs}"""

IMAGE_CONFIG = "          image_config: {image_url: https://cdn.example.com/a.png}\n"
VIDEO_CONFIG = "          video_config: {video_url: https://cdn.example.com/a.mp4}\n"
TEXT_CONFIG = (
    "          text_config: {{text_type: STATIC, text_context: hi, font_size: 40, font_color: '{color}'}}\n"
)

GROUP_RULES = dict(
    name="r1",
    relation="AND",
    operation="NONE",
    match="REGEX",
    value="(price|多少钱)",
    time_window=10,
    reply_mode="SYSTEM_REPLY",
    trigger_extra='        reply_texts: ["99 yuan"]\n',
)

JOB = {
    "room_id": "room-1",
    "state": "running",
    "width": 1080,
    "height": 1920,
    "bitrate": 4000,
    "codec": "H264",
    "frame_rate": '"25"',
    "video_extra": "",
    "spec_extra": "",
    "output_urls": "[rtmp://push.example.com/live]",
    "stream_keys": '["${env:STREAM_KEY}"]',
    "callback": "https://hooks.example.com/events",
    "auth_type": "MSS_A",
    "key_line": "    key: ${env:CALLBACK_KEY}\n",
    "annotations": "{}",
}

JOB_TEXT = """\
apiVersion: smartlive/v1
kind: SmartLiveJob
metadata:
  name: {name}
  annotations: {annotations}
spec:
  room_id: {room_id}
  state: {state}
  video_config:
    width: {width}
    height: {height}
    bitrate: {bitrate}
    codec: {codec}
    frame_rate: {frame_rate}
{video_extra}  output_urls: {output_urls}
  stream_keys: {stream_keys}
  live_event_callback_config:
    live_event_type_callback_url: {callback}
    auth_type: {auth_type}
{key_line}{spec_extra}"""


def group(*rules: str, name: str = "g", head: str = "") -> str:
    return (
        f"apiVersion: smartlive/v1\nkind: InteractionRuleGroup\nmetadata:\n  name: {name}\n{head}"
        "spec:\n  interaction_rules:\n" + "".join(rules)
    )


def rule(**changes: object) -> str:
    return RULE.format(**{**GROUP_RULES, **changes})


def layer(
    layer_type: str = "IMAGE",
    dx: int = 90,
    dy: int = 1280,
    width: int = 900,
    height: int = 420,
    configs: str = IMAGE_CONFIG,
) -> str:
    return LAYER.format(
        layer_type=layer_type, dx=dx, dy=dy, width=width, height=height, layer_configs=configs
    )


def job(name: str = "j", **changes: object) -> str:
    return JOB_TEXT.format(name=name, **{**JOB, **changes})


def codes_of(tmp_path: Path, *documents: str) -> list[str]:
    for number, text in enumerate(documents):
        (tmp_path / f"m{number}.yaml").write_text(text, encoding="utf-8")
    return [d.code for d in load_manifests([tmp_path]).diagnostics]


FIRES: dict[str, tuple[str, ...]] = {
    "R001": (group(rule(value="(price")),),
    "R002": (group(rule(match="MATH_GT", value="ten")),),
    "R003": (group(rule(operation="SUM", match="EQUAL", value="1")),),
    "R004": (
        group(
            "    - rule_name: r\n      event_type: 1\n      hit_condition: {relation: OR, tags: []}\n"
            "      trigger: {reply_mode: SYSTEM_REPLY, reply_texts: [hi]}\n"
        ),
    ),
    "R005": (group(rule(reply_mode="SYSTEM_REPLY_AND_CALLBACK", trigger_extra="")),),
    "R006": (group(rule(reply_mode="SHOW_LAYER", trigger_extra="")),),
    "R007": (group(rule(reply_mode="INTELLIGENT_REPLY", trigger_extra="")),),
    "R008": (group(rule(reply_mode="SHOW_LAYER", trigger_extra=layer("TEXT", configs=""))),),
    "R009": (group(rule(reply_mode="SHOW_LAYER", trigger_extra=layer(configs=IMAGE_CONFIG + VIDEO_CONFIG))),),
    "R010": (
        group(rule(reply_mode="SHOW_LAYER", trigger_extra=layer(dx=1500, dy=1500, width=100, height=100))),
    ),
    "R011": (
        group(
            rule(
                reply_mode="SHOW_LAYER", trigger_extra=layer("TEXT", configs=TEXT_CONFIG.format(color="#FFF"))
            )
        ),
    ),
    "R012": (group(rule(name="same"), rule(name="same")),),
    "R013": (group(rule(time_window=-2)),),
    "J001": (job(width=1920, height=1920),),
    "J002": (job(bitrate=9000),),
    "J003": (job(frame_rate='"30"'),),
    "J004": (job(video_extra="    is_subtitle_enable: true\n"),),
    "J005": (job(codec="VP8"),),
    "J006": (job(spec_extra="  view_mode: LANDSCAPE\n"),),
    "J007": (job(output_urls="[srt://push.example.com/live]"),),
    "J008": (job(stream_keys="[]"),),
    "J009": (job(callback="http://hooks.example.com/events"),),
    "J010": (job(key_line=""),),
    "J011": (job(auth_type="NONE"),),
    "M010": (job(annotations="{smartlive.io/allow-restarts: 'true'}"),),
    "M011": (job(annotations="{smartlive.io/allow-restart: 'True'}"),),
    "S001": (group(rule(), name="g"), group(rule(), name="g")),
    "S002": (job("a"), job("b")),
}


@pytest.mark.parametrize("code", sorted(FIRES))
def test_check_fires(tmp_path: Path, code: str) -> None:
    assert codes_of(tmp_path, *FIRES[code]) == [code]


def test_valid_input_stays_quiet(tmp_path: Path) -> None:
    documents = (
        group(
            rule(name="regex"),
            rule(name="math", match="MATH_GE", value="-1.5e3"),
            rule(name="count", operation="COUNT", match="MATH_GE", value="100"),
            rule(name="image", reply_mode="SHOW_LAYER", trigger_extra=layer()),
            rule(
                name="landscape",
                reply_mode="SHOW_LAYER",
                trigger_extra=layer(dx=1500, dy=100, width=400, height=900),
            ),
            rule(
                name="text",
                reply_mode="SHOW_LAYER",
                trigger_extra=layer("TEXT", configs=TEXT_CONFIG.format(color="#ff3b30")),
            ),
            rule(name="robot", reply_mode="INTELLIGENT_REPLY", trigger_extra="        robot_id: robot-1\n"),
            rule(
                name="audio",
                trigger_extra="        reply_audios: [{audio_url: 'https://cdn.example.com/a.mp3'}]\n",
            ),
            rule(name="once", time_window=-1),
        ),
        # Same room twice is fine when only one job runs; rule groups and jobs may share a name.
        job("g", annotations="{smartlive.io/allow-restart: 'true', team.example.com/owner: me}"),
        job("stopped", state="stopped", width=1920, height=1080, spec_extra="  view_mode: LANDSCAPE\n"),
        job("no-callback", room_id="room-2", key_line="", auth_type="NONE"),
    )
    assert codes_of(tmp_path, *documents) == []


def test_rules_without_tags_or_relation_are_fine(tmp_path: Path) -> None:
    text = group(
        "    - rule_name: welcome\n      event_type: 2\n      trigger: {reply_mode: SYSTEM_REPLY, reply_texts: [hi]}\n"
    )
    assert codes_of(tmp_path, text) == []


def test_examples_are_quiet() -> None:
    assert load_manifests([REPO / "examples"], variables=examples_variables()).diagnostics == []
