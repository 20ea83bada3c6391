"""README's plan examples are what plan prints: each block after an `<!-- example: plan FORMAT -->` marker
is the renderer's output for the plan below, byte for byte. After an intended output change, rewrite
them with SMARTLIVE_UPDATE_README=1 and review the diff."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from reconciler.engine.plan import RESTART, Action, FieldChange, Plan, Reason, ReasonCode
from reconciler.render import render
from tests.unit.test_render import group, job

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"(<!-- example: plan (?P<format>\w+) -->\n```\w*\n)(?P<body>.*?)(```\n)", re.DOTALL)


def readme_plan() -> Plan:
    """A group edit, a restart, and a job whose secrets could not be compared."""
    faq = group(
        "faq",
        (Action.UPDATE,),
        Reason(ReasonCode.FIELDS_DIFFER),
        remote_id="grp-2",
        changes=(FieldChange("interaction_rules[greet].trigger.reply_texts[1]", "Hi", "Hello"),),
    )
    restart = job(
        "main-stream",
        RESTART,
        Reason(ReasonCode.RESTART_REQUIRED, forced_by=("video_config.bitrate",), remote_state="PROCESSING"),
        remote_id="job-7",
        room_id="room-1",
        changes=(FieldChange("video_config.bitrate", 4000, 6000, forces_restart=True),),
    )
    doubtful = job(
        "side-stream",
        (Action.NOOP,),
        Reason(ReasonCode.RUNNING, remote_state="PROCESSING"),
        remote_id="job-9",
        room_id="room-2",
        unverifiable=("stream_keys",),
    )
    return Plan((faq, restart, doubtful), "sha256:abc123", stack="shop-a")


def test_readme_has_an_example_of_each_plan_format() -> None:
    formats = [m["format"] for m in _BLOCK.finditer(README.read_text(encoding="utf-8"))]
    assert sorted(formats) == ["json", "text"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_readme_example_is_what_plan_prints(fmt: str) -> None:
    text = README.read_text(encoding="utf-8")
    rendered = render(readme_plan(), fmt, color=False)
    if os.environ.get("SMARTLIVE_UPDATE_README") == "1":

        def rewrite(match: re.Match[str]) -> str:
            body = rendered if match["format"] == fmt else match["body"]
            return match.group(1) + body + match.group(4)

        README.write_text(_BLOCK.sub(rewrite, text), encoding="utf-8")
        return
    (shown,) = [m["body"] for m in _BLOCK.finditer(text) if m["format"] == fmt]
    assert shown == rendered, f"README's {fmt} plan example differs; review, then SMARTLIVE_UPDATE_README=1"
