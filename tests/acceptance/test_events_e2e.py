"""Issue 6, "Done when": `smartlive test` predicts what a stream of live events causes; `smartlive apply`
creates the rule group and a room that imports it, then starts a job in that room, in the emulator (over a
real socket); `smartlive events report` sends the same stream from a JSON Lines file; the emulator's
replies and the signed callbacks a loopback receiver gets are the predicted ones, event by event."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.models import LiveEvent
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import running_emulator
from reconciler.events.callbacks import verify_callback
from reconciler.events.engine import RuleEngine
from reconciler.kinds.rule_group import RuleGroupManifest
from reconciler.manifest import load_manifests
from tests.acceptance.conftest import AK, PROJECT, SK, Workspace
from tests.emulator.test_reactions import Receiver, running_receiver

ROOM = "e2e-room"
ROOM_NAME = "e2e room"
GROUP = "live-replies"
JOB = "evening-live"
KEY = "e2e-callback-key-0042"
START_MS = 1_700_000_000_000

GROUP_YAML = f"""\
apiVersion: smartlive/v1
kind: InteractionRuleGroup
metadata:
  name: {GROUP}
spec:
  interaction_rules:
    - rule_name: price-question
      event_type: 1
      hit_condition:
        priority: 10
        tags: [{{tag: content, operation: NONE, match: REGEX, value: "price|多少钱"}}]
      trigger:
        reply_mode: SYSTEM_REPLY_AND_CALLBACK
        reply_texts: ["It is 99 today.", "Still 99, with free shipping."]
    - rule_name: hello
      event_type: 1
      hit_condition:
        priority: 20
        tags: [{{tag: content, operation: NONE, match: REGEX, value: "^(hi|hello)"}}]
      trigger:
        reply_mode: CALLBACK
        reply_texts: ["a viewer said hello"]
    - rule_name: other-comments
      event_type: 1
      hit_condition: {{relation: RESERVED}}
      trigger:
        time_window: 30
        reply_texts: ["Thanks for chatting!"]
    - rule_name: welcome
      event_type: 2
      trigger:
        time_window: 5
        reply_order: RANDOM
        reply_texts: ["Hi there!", "Welcome in!", "Glad you came!", "Make yourself at home!"]
    - rule_name: ten-likes
      event_type: 3
      hit_condition:
        tags: [{{tag: user.userId, operation: COUNT, match: MATH_GE, value: "10"}}]
      trigger:
        reply_texts: ["Ten more likes, thank you!"]
    - rule_name: big-gift
      event_type: 4
      hit_condition:
        priority: 10
        tags: [{{tag: gift.totalValue, operation: NONE, match: MATH_GE, value: "100"}}]
      trigger:
        reply_mode: SYSTEM_REPLY_AND_CALLBACK
        reply_order: RANDOM
        reply_texts: ["What a gift!", "Wow, thank you!", "You are amazing!"]
    - rule_name: every-gift
      enabled: false
      event_type: 4
      trigger:
        reply_texts: ["(disabled: never said)"]
"""

# The room imports the whole group: it holds copies of the group's rules, which its job runs.
ROOM_YAML = f"""\
apiVersion: smartlive/v1
kind: SmartLiveRoom
metadata:
  name: {ROOM}
spec:
  room_name: {ROOM_NAME}
  interaction_rules:
    - import: {GROUP}
"""

JOB_YAML = f"""\
apiVersion: smartlive/v1
kind: SmartLiveJob
metadata:
  name: {JOB}
spec:
  room: {ROOM}
  interaction_callback_url: ${{env:INTERACTION_CALLBACK_URL}}
  live_event_callback_config:
    live_event_type_callback_url: RECEIVER/smartlive/events
    auth_type: AUTH_TYPE
    key: ${{env:LIVE_CALLBACK_KEY}}
    callback_event_type: [RTMP_STREAM_STATE_CHANGE, REPLY_COMMAND_FINISH]
"""


def _user(n: int, level: int = 5) -> dict[str, Any]:
    return {"userId": f"u{n}", "name": f"viewer{n}", "level": level, "badge": "", "badgeLevel": 0}


def _gift(value: int) -> dict[str, Any]:
    return {"giftName": "rose", "giftNum": 1, "totalValue": value, "giftValue": value}


#: (seconds after START_MS, type, content, the rule a human expects to fire: None for none)
STREAM: list[tuple[float, int, dict[str, Any], str | None]] = [
    (0.0, 2, {"user": _user(1)}, "welcome"),
    (0.5, 2, {"user": _user(2)}, None),  # welcome is inside its 5 s window
    (1.0, 1, {"user": _user(1), "content": "what is the price?"}, "price-question"),
    (1.5, 1, {"user": _user(2), "content": "hello everyone"}, "hello"),
    (2.0, 1, {"user": _user(3), "content": "nice jacket"}, "other-comments"),
    (2.5, 1, {"user": _user(4), "content": "so cool"}, None),  # the fallback is inside its 30 s window
    *[
        (round(3.0 + i * 0.1, 1), 3, {"user": _user(10 + i)}, "ten-likes" if i == 9 else None)
        for i in range(12)
    ],
    (5.0, 4, {"user": _user(5), "gift": _gift(500)}, "big-gift"),
    (5.5, 4, {"user": _user(6), "gift": _gift(5)}, None),  # every-gift is disabled
    (6.0, 1, {"user": _user(7), "content": "多少钱?"}, "price-question"),
    (7.0, 2, {"user": _user(8, level=30)}, "welcome"),
    (7.5, 4, {"user": _user(9), "gift": _gift(100)}, "big-gift"),
    (8.0, 6, {"numberOfViewers": 1200}, None),  # no rule for viewer counts
]


def _timestamp(at: float) -> int:
    return START_MS + round(at * 1000)


def _live_events() -> list[LiveEvent]:
    return [
        LiveEvent(timestamp=_timestamp(at), type=kind, content=json.dumps(content, ensure_ascii=False))
        for at, kind, content, _ in STREAM
    ]


@dataclass(frozen=True)
class Predicted:
    index: int
    rule: str
    text: str | None
    callback: bool  # CALLBACK modes: POST to interaction_callback_url
    spoken: bool  # SYSTEM_REPLY modes: REPLY_COMMAND_FINISH


def _predict(manifests: Path) -> list[Predicted]:
    """The rule engine over the stream, seeded as `smartlive test` seeds a test without `seed:` (0)."""
    loaded = load_manifests([manifests])
    (group,) = [g for g in loaded.of_kind(RuleGroupManifest) if g.name == GROUP]
    engine = RuleEngine(group.interaction_rules, seed=0)
    found = []
    for index, event in enumerate(_live_events()):
        outcome = engine.evaluate(event)
        if outcome.fired:
            assert outcome.rule_name is not None
            text = outcome.reply.text if outcome.reply is not None else None
            found.append(Predicted(index, outcome.rule_name, text, outcome.callback, outcome.spoken))
    return found


def _test_yaml(predicted: list[Predicted]) -> str:
    """An InteractionRuleTest of the stream: the rule a human expects for each event, and the exact
    reply (RANDOM ones included) that `smartlive test` must confirm."""
    replies = {p.index: p.text for p in predicted}
    lines = [
        "apiVersion: smartlive/v1",
        "kind: InteractionRuleTest",
        "metadata: {name: mixed-stream}",
        "spec:",
        f"  group: {GROUP}",
        f"  start: {START_MS}",
        "  events:",
    ]
    for index, (at, kind, content, rule) in enumerate(STREAM):
        expect: dict[str, Any] = {"rule": rule}
        if rule is not None:
            expect["replies"] = [replies.get(index)]
        lines += [
            f"    - at: {at}",
            f"      type: {kind}",
            f"      content: {json.dumps(content, ensure_ascii=False)}",
            f"      expect: {json.dumps(expect, ensure_ascii=False)}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    """A loopback https receiver (self-signed): the service, and lint J009, want https callback URLs."""
    with running_receiver(tls=True, tmp=tmp_path) as state:
        yield state


@pytest.fixture
def live_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> Iterator[Workspace]:
    monkeypatch.setenv("INTERACTION_CALLBACK_URL", f"{receiver.base_url}/interact?token=tok-e2e-7f3a")
    monkeypatch.setenv("LIVE_CALLBACK_KEY", KEY)
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SMARTLIVE_STATE", raising=False)
    monkeypatch.delenv("SMARTLIVE_LOCAL", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)
    config = EmulatorConfig(ak=AK, sk=SK, project_id=PROJECT, start_delay=0.0, rate_limits={})
    with running_emulator(config) as base_url:
        yield Workspace(tmp_path, base_url, monkeypatch)


@pytest.mark.parametrize("auth_type", ["MSS_A", "MSS_A_HEAD"])
def test_reported_events_get_the_predicted_replies_and_signed_callbacks(
    auth_type: str, live_workspace: Workspace, receiver: Receiver
) -> None:
    ws = live_workspace
    manifests = ws.root / "manifests"
    manifests.mkdir()
    (manifests / "group.yaml").write_text(GROUP_YAML, encoding="utf-8")
    (manifests / "room.yaml").write_text(ROOM_YAML, encoding="utf-8")
    (manifests / "job.yaml").write_text(
        JOB_YAML.replace("AUTH_TYPE", auth_type).replace("RECEIVER", receiver.base_url), encoding="utf-8"
    )

    # 1. The prediction, confirmed by `smartlive test`: the hand-written rule of every event and the
    #    exact reply of those that fire (RANDOM ones drawn with seed 0, the default of both).
    predicted = _predict(manifests)
    assert [(p.index, p.rule) for p in predicted] == [(i, s[3]) for i, s in enumerate(STREAM) if s[3]]
    (manifests / "stream.test.yaml").write_text(_test_yaml(predicted), encoding="utf-8")
    tested = ws.run("test", str(manifests))
    assert tested.code == 0, tested.text
    assert "1 passed, 0 failed" in tested.out, tested.out

    # 2. The job: apply creates the group, then the room that imports it (copies of the group's rules,
    #    with its group_id), then starts the job in that room.
    applied = ws.run("apply", str(manifests), *ws.target(), "--auto-approve")
    assert applied.code == 0, applied.text
    room_id = ws.room_id(ROOM_NAME)
    (job,) = [j for j in ws.active_jobs() if j["room_id"] == room_id]
    job_id = job["job_id"]
    (group_id,) = [g["group_id"] for g in ws.groups() if g["group_name"] == GROUP]
    rules = ws.api("GET", f"/_emulator/jobs/{job_id}")
    assert [r["rule_name"] for r in rules["interaction_rules"]] == [
        "price-question",
        "hello",
        "other-comments",
        "welcome",
        "ten-likes",
        "big-gift",
        "every-gift",
    ]
    assert {(r["group_id"], r["group_name"]) for r in rules["interaction_rules"]} == {(group_id, GROUP)}
    assert rules["rule_problems"] == []

    # 3. The same stream through the CLI, as a bridge writes it (friendly form: content as an object).
    stream = ws.root / "events.jsonl"
    stream.write_text(
        "".join(
            json.dumps({"timestamp": _timestamp(at), "type": kind, "content": content}, ensure_ascii=False)
            + "\n"
            for at, kind, content, _ in STREAM
        ),
        encoding="utf-8",
    )
    reported = ws.run("events", "report", "--job", JOB, str(stream), *ws.target(), "--batch-size", "7")
    assert reported.code == 0, reported.text
    stored = ws.api("GET", f"/_emulator/events/{job_id}")
    assert stored["count"] == len(STREAM)

    # 4. Replies: the prediction, event by event.
    replies = ws.api("GET", f"/_emulator/replies/{job_id}")["replies"]
    assert [(r["event_index"], r["rule_name"], r["reply_text"]) for r in replies] == [
        (p.index, p.rule, p.text) for p in predicted
    ]
    assert [r["event_timestamp"] for r in replies] == [_timestamp(STREAM[p.index][0]) for p in predicted]
    assert [(r["callback"], r["spoken"]) for r in replies] == [(p.callback, p.spoken) for p in predicted]
    reply_ids = [r["reply_id"] for r in replies]

    # 5. Callbacks: for each firing in order, the interaction callback (CALLBACK modes), then
    #    REPLY_COMMAND_FINISH (spoken replies), all delivered, the finishes signed with the job's key.
    expected: list[tuple[str, str]] = []
    for p, reply_id in zip(predicted, reply_ids, strict=True):
        if p.callback:
            expected.append(("INTERACTION", reply_id))
        if p.spoken:
            expected.append(("REPLY_COMMAND_FINISH", reply_id))
    records = ws.api("GET", f"/_emulator/callbacks/{job_id}", params={"wait": 5})
    assert records["pending"] == 0
    assert [(c["type"], c["reply_id"]) for c in records["callbacks"]] == expected
    assert {c["state"] for c in records["callbacks"]} == {"delivered"}
    assert [r.path.split("?")[0] for r in receiver.requests] == [
        "/interact" if kind == "INTERACTION" else "/smartlive/events" for kind, _ in expected
    ]
    events = _live_events()
    for (kind, reply_id), request in zip(expected, receiver.requests, strict=True):
        p = predicted[reply_ids.index(reply_id)]
        if kind == "INTERACTION":
            assert request.path == "/interact?token=tok-e2e-7f3a"  # the URL carries its own auth
            assert request.body["reply_id"] == reply_id and request.body["job_id"] == job_id
            assert request.body["room_id"] == room_id and request.body["rule_name"] == p.rule
            assert request.body["reply_text"] == p.text
            event = request.body["event"]  # as reported: the CLI serialised the content compactly
            assert (event["timestamp"], event["type"]) == (events[p.index].timestamp, events[p.index].type)
            assert json.loads(event["content"]) == json.loads(events[p.index].content or "")
            continue
        message = {"room_id": room_id, "job_id": job_id, "reply_id": reply_id}
        assert request.body == {
            "event_type": "REPLY_COMMAND_FINISH",
            "message": json.dumps(message, separators=(",", ":")),
        }
        url = receiver.base_url + request.path
        verdict = verify_callback(url, KEY, headers=request.headers, auth_type=auth_type)
        assert verdict, verdict.reason
        assert not verify_callback(url, KEY + "x", headers=request.headers, auth_type=auth_type)

    # The callback key and the URL's token appear in no output and no record.
    shown = json.dumps(records) + "".join(ws.outputs)
    assert KEY not in shown and "tok-e2e-7f3a" not in shown
