"""Plan renderers: golden output per format, the registry, and what every format must share.

The sample plan holds one of each action the planner can produce. Golden files live in
tests/golden/render/; after an intended output change, rewrite them with
`SMARTLIVE_UPDATE_GOLDEN=1 pytest tests/unit/test_render.py` and review the diff.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.engine.plan import (
    RESTART,
    SENSITIVE,
    Action,
    FieldChange,
    Plan,
    Reason,
    ReasonCode,
    ResourceChange,
)
from reconciler.kinds.live_job import NAME as JOB_KIND
from reconciler.kinds.rule_group import NAME as GROUP_KIND
from reconciler.render import FORMATS, RENDERERS, render
from reconciler.resources import Address

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "render"
ANSI = re.compile(r"\x1b\[")
NO_CHANGES = "No changes. MetaStudio matches the manifests."

WELCOME_RULES = [
    {
        "rule_name": "greet",
        "event_type": 1,
        "enabled": True,
        "priority": 500,
        "hit_condition": {"relation": "OR", "sub_conditions": [{"keywords": ["hello", "hi"]}]},
        "trigger": {"reply_mode": "SYSTEM_REPLY", "reply_texts": ["Welcome!", "Hi there"]},
    }
]


#: The reason the planner gives each action when a test does not care which.
DEFAULT_REASONS = {
    (Action.CREATE,): ReasonCode.ABSENT,
    (Action.START,): ReasonCode.NOT_RUNNING,
    (Action.UPDATE,): ReasonCode.FIELDS_DIFFER,
    (Action.REFRESH_OUTPUT,): ReasonCode.OUTPUT_ONLY,
    RESTART: ReasonCode.RESTART_REQUIRED,
    (Action.STOP,): ReasonCode.DECLARED_STOPPED,
    (Action.DELETE,): ReasonCode.PRUNED,
    (Action.NOOP,): ReasonCode.MATCHES,
}


def change(
    kind: str, name: str, actions: tuple[Action, ...], reason: Reason | None, **fields: object
) -> ResourceChange:
    return ResourceChange(
        Address(kind, name),
        actions,
        reason or Reason(DEFAULT_REASONS[actions]),
        **fields,  # type: ignore[arg-type]
    )


def group(
    name: str, actions: tuple[Action, ...], reason: Reason | None = None, **fields: object
) -> ResourceChange:
    return change(GROUP_KIND, name, actions, reason, **fields)


def job(
    name: str, actions: tuple[Action, ...], reason: Reason | None = None, **fields: object
) -> ResourceChange:
    # As the planner does: a job's stop, alone or as a restart's first half, takes its stream down.
    fields.setdefault("interrupts_stream", Action.STOP in actions)
    return change(JOB_KIND, name, actions, reason, **fields)


def sample_changes() -> list[ResourceChange]:
    """One resource per action, in no particular order (renderers sort)."""
    return [
        job(
            "main-stream",
            RESTART,
            Reason(ReasonCode.RESTART_REQUIRED, forced_by=("video_config.bitrate",)),
            remote_id="job-7",
            room_id="room-1",
            changes=(
                FieldChange("video_config.bitrate", 4000, 6000, forces_restart=True),
                FieldChange("video_config.frame_rate", 25, 30, forces_restart=True),
            ),
        ),
        group(
            "welcome",
            (Action.CREATE,),
            Reason(ReasonCode.ABSENT),
            after={"group_name": "welcome", "interaction_rules": WELCOME_RULES},
        ),
        group(
            "faq",
            (Action.UPDATE,),
            Reason(ReasonCode.FIELDS_DIFFER),
            remote_id="grp-2",
            changes=(
                FieldChange("interaction_rules[greet].trigger.reply_texts[10]", None, "Bye"),
                FieldChange("interaction_rules[greet].trigger.reply_texts[1]", "Hi", "Hello `there`"),
                FieldChange("interaction_rules[promo]", {"rule_name": "promo", "priority": 10}, None),
            ),
        ),
        group(
            "old-promo",
            (Action.DELETE,),
            Reason(ReasonCode.PRUNED),
            remote_id="grp-3",
            before={"group_name": "old-promo", "interaction_rules": []},
        ),
        job(
            "side-stream",
            (Action.START,),
            Reason(ReasonCode.NOT_RUNNING),
            room_id="room-2",
            after={
                "room_id": "room-2",
                "output_urls": ["rtmp://push.example.com/live"],
                "stream_keys": [SENSITIVE],
                "video_config": {"bitrate": 4000, "codec": "H264", "width": 1920, "height": 1080},
            },
        ),
        job(
            "rehearsal",
            (Action.REFRESH_OUTPUT,),
            Reason(ReasonCode.OUTPUT_ONLY),
            remote_id="job-9",
            room_id="room-3",
            changes=(
                FieldChange("output_urls[0]", "rtmp://a.example.com/live", "rtmp://b.example.com/live"),
                FieldChange("stream_keys[0]", SENSITIVE, SENSITIVE),
            ),
        ),
        job(
            "retired",
            (Action.STOP,),
            Reason(ReasonCode.DECLARED_STOPPED, remote_state="PROCESSING"),
            remote_id="job-4",
            room_id="room-4",
            before={"room_id": "room-4", "state": "PROCESSING"},
        ),
        job(
            "steady",
            (Action.NOOP,),
            Reason(ReasonCode.RUNNING, remote_state="PROCESSING"),
            remote_id="job-5",
            room_id="room-5",
        ),
    ]


NOTES = ("--prune found 1 group not recorded as managed by smartlive; it was left alone.",)


def sample_plan(changes: list[ResourceChange] | None = None) -> Plan:
    return Plan(tuple(sample_changes() if changes is None else changes), "sha256:abc123", NOTES)


def no_change_plan() -> Plan:
    steady = [c for c in sample_changes() if c.is_noop]
    return Plan(tuple(steady), "sha256:def456")


def may_differ_plan() -> Plan:
    """Nothing to apply, but declared fields that could not be compared: never "No changes"."""
    doubtful = job(
        "doubtful",
        (Action.NOOP,),
        Reason(ReasonCode.RUNNING, remote_state="PROCESSING"),
        remote_id="job-6",
        room_id="room-6",
        unverifiable=("interaction_callback_url", "stream_keys"),
    )
    unread = job(
        "unread",
        (Action.NOOP,),
        Reason(ReasonCode.RUNNING, remote_state="PROCESSING"),
        remote_id="job-8",
        room_id="room-8",
        unverifiable=("video_config",),
        unverifiable_because="GET_LIVE_JOB_CONFIG_INFO: MSS.00000003: command not supported",
    )
    return Plan((*no_change_plan().changes, doubtful, unread), "sha256:0ddba11")


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SMARTLIVE_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing; create it with SMARTLIVE_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} differs; review, then SMARTLIVE_UPDATE_GOLDEN=1"
    )


GOLDEN_CASES = [
    ("plan.txt", sample_plan, "text", {}),
    ("plan.color.txt", sample_plan, "text", {"color": True}),
    ("plan.verbose.txt", sample_plan, "text", {"verbose": True}),
    ("plan.json", sample_plan, "json", {}),
    ("plan.md", sample_plan, "markdown", {}),
    ("no-changes.txt", no_change_plan, "text", {}),
    ("no-changes.json", no_change_plan, "json", {}),
    ("no-changes.md", no_change_plan, "markdown", {}),
    ("may-differ.txt", may_differ_plan, "text", {}),
    ("may-differ.json", may_differ_plan, "json", {}),
    ("may-differ.md", may_differ_plan, "markdown", {}),
]


@pytest.mark.parametrize(("name", "make", "fmt", "options"), GOLDEN_CASES, ids=[c[0] for c in GOLDEN_CASES])
def test_golden(name: str, make: Callable[[], Plan], fmt: str, options: dict[str, bool]) -> None:
    plan = make()
    check_golden(
        name, render(plan, fmt, color=options.get("color", False), verbose=options.get("verbose", False))
    )


def test_registry_names_the_three_formats() -> None:
    assert set(RENDERERS) == {"text", "json", "markdown"}
    assert FORMATS == ("json", "markdown", "text")


def test_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="json, markdown, text"):
        render(sample_plan(), "yaml", color=False)


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_does_not_depend_on_input_order(fmt: str) -> None:
    changes = sample_changes()
    shuffled = [dataclasses.replace(c, changes=tuple(reversed(c.changes))) for c in reversed(changes)]
    assert render(sample_plan(shuffled), fmt, color=False) == render(sample_plan(changes), fmt, color=False)


@pytest.mark.parametrize("fmt", FORMATS)
def test_sensitive_values_print_as_is(fmt: str) -> None:
    out = render(sample_plan(), fmt, color=False)
    assert "(sensitive)" in out
    # Text formats show the placeholder bare, never as if it were the field's literal string value.
    if fmt != "json":
        assert '"(sensitive)"' not in out
        assert "stream_keys[0]: (sensitive)" in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_control_characters_in_values_and_names_are_escaped(fmt: str) -> None:
    evil = "\x1b[2J\u202e\x9b"
    plan = sample_plan(
        [
            group(
                f"x{evil}",
                (Action.UPDATE,),
                Reason(ReasonCode.FIELDS_DIFFER),
                changes=(FieldChange(f"p{evil}", f"a{evil}", "b\nc"),),
            ),
            # A reason's facts come from the manifests and the service too: they reach the sentence.
            job(
                "y",
                RESTART,
                Reason(ReasonCode.RESTART_REQUIRED, forced_by=(f"p{evil}",), remote_state=f"s{evil}"),
                changes=(FieldChange(f"p{evil}", 1, 2, forces_restart=True),),
            ),
        ]
    )
    out = render(plan, fmt, color=False)
    assert not any(ch in out for ch in "\x1b\u202e\x9b")
    assert "\\u001b" in out
    assert not ANSI.search(out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_output_ends_with_one_newline(fmt: str) -> None:
    for plan in (sample_plan(), no_change_plan(), Plan(())):
        out = render(plan, fmt, color=False)
        assert out.endswith("\n")
        assert not out.endswith("\n\n")
