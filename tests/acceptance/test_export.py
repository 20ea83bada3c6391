"""`smartlive export`: objects made in the console (here with the official SDK, huaweicloudsdkmetastudio,
against the emulator over a real socket) become manifests that validate, and with --adopt plan says
"No changes"; secrets are never written; a re-export keeps what the user wrote."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkmetastudio.v1 import (
    BackgroundConfigInfo,
    CreateInteractionRuleGroupRequest,
    CreateSmartLiveRoomReq,
    CreateSmartLiveRoomRequest,
    HitCondition,
    HitConditionTag,
    InteractionRuleGroup,
    InteractionRuleInfo,
    LayerConfig,
    LayerPositionConfig,
    ListSmartLiveRoomsRequest,
    LiveEventCallBackConfig,
    LiveRoomEventCallBackConfig,
    LiveRoomInteractionRuleInfo,
    LiveShootScriptItem,
    LiveVideoScriptInfo,
    MetaStudioClient,
    PlayPolicy,
    ShowSmartLiveRoomRequest,
    StartSmartLiveReq,
    StartSmartLiveRequest,
    TextConfig,
    TriggerProcess,
    UpdateSmartLiveRoomRequest,
    VideoConfig,
    VoiceConfig,
)

from reconciler.kinds.job_export import UNSHOWN_NOTE
from tests.acceptance.conftest import AK, PROJECT, SK, Workspace

#: The secrets the console set, and the variables export names for them.
CONSOLE_SECRETS = {
    "ROOM_FLAGSHIP_STORE_SDK_STREAM_KEY_1": "sk-console-room-5b1e",
    "ROOM_FLAGSHIP_STORE_SDK_CALLBACK_KEY": "cbk-console-room-77",
    "JOB_EVENING_SHOW_JOB_STREAM_KEY_1": "sk-console-job-9c3d",
    "JOB_EVENING_SHOW_JOB_CALLBACK_KEY": "cbk-console-job-21",
}


def sdk(ws: Workspace) -> MetaStudioClient:
    return (
        MetaStudioClient.new_builder()
        .with_credentials(BasicCredentials(AK, SK, PROJECT))
        .with_endpoints([ws.base_url])
        .build()
    )


def rule(name: str, text: str, priority: int = 5, keyword: str = "价格") -> dict[str, Any]:
    return {
        "rule_name": name,
        "enabled": True,
        "event_type": 1,
        "hit_condition": HitCondition(
            relation="AND",
            priority=priority,
            tags=[HitConditionTag(tag="content", operation="NONE", match="REGEX", value=keyword)],
        ),
        "trigger": TriggerProcess(
            time_window=10, reply_mode="SYSTEM_REPLY", reply_texts=[text], reply_order="ORDER"
        ),
    }


def scene() -> LiveVideoScriptInfo:
    return LiveVideoScriptInfo(
        script_name="opening",
        model_asset_id="model-a",
        dh_id="dh-model-a",
        voice_config=VoiceConfig(voice_asset_id="voice-a", speed=100),
        background_config=[BackgroundConfigInfo(background_type="COLOR", background_color_config="#FFFFFF")],
        layer_config=[
            LayerConfig(layer_type="HUMAN", position=LayerPositionConfig(dx=0, dy=0, layer_index=1))
        ],
        shoot_scripts=[
            LiveShootScriptItem(sequence_no=1, title="opening", text_config=TextConfig(text="大家好"))
        ],
    )


def made_in_the_console(ws: Workspace) -> dict[str, str]:
    """Two groups, a room with a group's copies and a rule of its own, a room importing the other group,
    a job in each room; the ids by name."""
    client = sdk(ws)
    greetings = [rule("hello", "欢迎", 5, "你好"), rule("price", "请看详情", 5, "价格")]
    faq = [rule("shipping", "包邮", 7, "快递")]
    ids = {}
    for name, rules in (("greetings", greetings), ("faq", faq)):
        body = InteractionRuleGroup(
            group_name=name, interaction_rules=[InteractionRuleInfo(**r) for r in rules]
        )
        ids[name] = client.create_interaction_rule_group(
            CreateInteractionRuleGroupRequest(body=body)
        ).group_id

    def copies(group: str, rules: list[dict[str, Any]], **extra: Any) -> list[LiveRoomInteractionRuleInfo]:
        return [
            LiveRoomInteractionRuleInfo(**r, group_id=ids[group], group_name=group, **extra) for r in rules
        ]

    flagship = CreateSmartLiveRoomReq(
        room_name="Flagship Store (SDK)",
        room_description="made in the console",
        scene_scripts=[scene()],
        interaction_rules=[
            *copies("greetings", greetings),
            LiveRoomInteractionRuleInfo(**rule("own", "自己的", 9, "自己")),
        ],
        video_config=VideoConfig(bitrate=4000, width=1920, height=1080),
        output_urls=["rtmp://push.example/live/flagship"],
        stream_keys=[CONSOLE_SECRETS["ROOM_FLAGSHIP_STORE_SDK_STREAM_KEY_1"]],
        live_event_callback_config=LiveRoomEventCallBackConfig(
            live_event_type_callback_url="https://hooks.example/events",
            auth_type="MSS_A_HEAD",
            key=CONSOLE_SECRETS["ROOM_FLAGSHIP_STORE_SDK_CALLBACK_KEY"],
        ),
    )
    evening = CreateSmartLiveRoomReq(
        room_name="evening show",
        scene_scripts=[scene()],
        interaction_rules=copies("faq", faq, enabled_scenes=["opening"]),
    )
    for name, body in (("flagship", flagship), ("evening", evening)):
        ids[name] = client.create_smart_live_room(CreateSmartLiveRoomRequest(body=body)).room_id
    client.start_smart_live(StartSmartLiveRequest(room_id=ids["flagship"], body=StartSmartLiveReq()))
    client.start_smart_live(
        StartSmartLiveRequest(
            room_id=ids["evening"],
            body=StartSmartLiveReq(
                video_config=VideoConfig(bitrate=3000, width=1080, height=1920),
                play_policy=PlayPolicy(repeat_count=3),
                output_urls=["rtmp://push.example/live/evening"],
                stream_keys=[CONSOLE_SECRETS["JOB_EVENING_SHOW_JOB_STREAM_KEY_1"]],
                live_event_callback_config=LiveEventCallBackConfig(
                    live_event_type_callback_url="https://hooks.example/evening",
                    auth_type="MSS_A_HEAD",
                    key=CONSOLE_SECRETS["JOB_EVENING_SHOW_JOB_CALLBACK_KEY"],
                ),
            ),
        )
    )
    return ids


@pytest.fixture
def console(workspace: Workspace) -> Iterator[Workspace]:
    made_in_the_console(workspace)
    yield workspace
    everything = "\n".join(workspace.outputs)
    for path in (workspace.root / "out").rglob("*.yaml"):
        everything += path.read_text(encoding="utf-8")
    for value in CONSOLE_SECRETS.values():
        assert value not in everything  # in no output and no file


def export(ws: Workspace, *extra: str) -> Any:
    return ws.run("export", "--out", "out", *ws.target(), *extra)


def manifest(ws: Workspace, relative: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ws.root / "out" / relative).read_text(encoding="utf-8"))
    return loaded


def test_export_writes_one_manifest_per_object_with_imports_references_and_secret_variables(
    console: Workspace,
) -> None:
    result = export(console)
    assert result.code == 0, result.text
    files = sorted(
        p.relative_to(console.root / "out").as_posix() for p in (console.root / "out").rglob("*.yaml")
    )
    assert files == [
        "jobs/evening-show-job.yaml",
        "jobs/flagship-store-sdk-job.yaml",
        "rooms/evening-show.yaml",
        "rooms/flagship-store-sdk.yaml",
        "rule-groups/faq.yaml",
        "rule-groups/greetings.yaml",
    ]
    assert all(line.startswith("created ") for line in result.out.splitlines()[:6])

    flagship = manifest(console, "rooms/flagship-store-sdk.yaml")
    assert flagship["metadata"] == {"name": "flagship-store-sdk"}
    spec = flagship["spec"]
    assert spec["room_name"] == "Flagship Store (SDK)"
    assert spec["interaction_rules"][0] == {"import": "greetings"}
    assert spec["interaction_rules"][1]["rule_name"] == "own"
    assert "enabled" not in spec["interaction_rules"][1]  # a documented default, left out
    assert spec["stream_keys"] == ["${env:ROOM_FLAGSHIP_STORE_SDK_STREAM_KEY_1}"]
    assert spec["live_event_callback_config"]["key"] == "${env:ROOM_FLAGSHIP_STORE_SDK_CALLBACK_KEY}"
    assert manifest(console, "rooms/evening-show.yaml")["spec"]["interaction_rules"] == [
        {"import": "faq", "enabled_scenes": ["opening"]}
    ]

    job = manifest(console, "jobs/evening-show-job.yaml")["spec"]
    assert job["room"] == "evening-show"
    assert job["stream_keys"] == ["${env:JOB_EVENING_SHOW_JOB_STREAM_KEY_1}"]
    assert job["video_config"]["width"] == 1080
    assert "state" not in job  # running, the default
    # The job in the flagship room set nothing of its own: it runs with its room's.
    assert manifest(console, "jobs/flagship-store-sdk-job.yaml")["spec"] == {"room": "flagship-store-sdk"}

    for variable in CONSOLE_SECRETS:
        assert variable in result.out  # the variables to set are listed
    assert console.run("validate", "out").code == 0
    assert console.run("fmt", "--check", "out").code == 0


def test_export_adopt_then_validate_0_and_plan_no_changes(console: Workspace) -> None:
    for name, value in CONSOLE_SECRETS.items():
        console.monkeypatch.setenv(name, value)
    result = export(console, "--adopt")
    assert result.code == 0, result.text
    assert "Adopted SmartLiveJob/evening-show-job" in result.out and 'stack "out"' in result.out
    assert "Not set here" not in result.out
    state = console.state_bytes()
    assert not any(value.encode() in state for value in CONSOLE_SECRETS.values())  # fingerprints only

    assert console.run("validate", "out").code == 0
    plan = console.run("plan", "out", *console.target(), "--detailed-exitcode")
    assert plan.code == 0, plan.text
    assert "No changes." in plan.out
    # The objects are the stack's now: ls names their addresses.
    assert "SmartLiveRoom/flagship-store-sdk (stack out)" in console.run("ls", "rooms", *console.target()).out


def test_adopt_without_the_secrets_set_is_honest_not_no_changes(console: Workspace) -> None:
    result = export(console, "--adopt")
    assert result.code == 0, result.text
    assert "Not set here: ROOM_FLAGSHIP_STORE_SDK_STREAM_KEY_1" in result.out

    plan = console.run("plan", "out", *console.target(), "--detailed-exitcode")
    assert plan.code == 2, plan.text
    assert "No changes." not in plan.out
    assert "? may change" in plan.out or "may change" in plan.out


def test_reexport_updates_in_place_keeping_comments_and_key_order(console: Workspace) -> None:
    assert export(console).code == 0
    path = console.root / "out" / "rooms" / "evening-show.yaml"
    text = path.read_text(encoding="utf-8")
    text = "# the evening show, kept by hand\n" + text.replace(
        "  name: evening-show\n", "  name: evening-show  # do not rename\n  labels:\n    team: live-ops\n"
    )
    path.write_text(text, encoding="utf-8")
    client = sdk(console)
    room_id = (
        client.list_smart_live_rooms(ListSmartLiveRoomsRequest(room_name="evening show"))
        .smart_live_rooms[0]
        .room_id
    )
    shown = client.show_smart_live_room(ShowSmartLiveRoomRequest(room_id=room_id))
    body = CreateSmartLiveRoomReq(
        room_name="evening show",
        room_description="now described",
        scene_scripts=shown.scene_scripts,
        interaction_rules=shown.interaction_rules,
    )
    client.update_smart_live_room(UpdateSmartLiveRoomRequest(room_id=room_id, body=body))

    again = export(console)
    assert again.code == 0, again.text
    assert "updated    out/rooms/evening-show.yaml" in again.out
    assert "unchanged  out/rule-groups/faq.yaml" in again.out
    after = path.read_text(encoding="utf-8")
    assert after.startswith("# the evening show, kept by hand\n")
    assert "name: evening-show  # do not rename" in after and "team: live-ops" in after
    assert "room_description: now described" in after
    assert console.run("fmt", "--check", "out").code == 0
    assert "unchanged  out/rooms/evening-show.yaml" in export(console).out


def test_selection_by_kind_and_name_writes_rules_inline_and_room_id(console: Workspace) -> None:
    result = export(console, "--kind", "rooms", "--kind", "SmartLiveJob", "--name", "evening*")
    assert result.code == 0, result.text
    files = sorted(p.name for p in (console.root / "out").rglob("*.yaml"))
    assert files == ["evening-show-job.yaml", "evening-show.yaml"]
    rules = manifest(console, "rooms/evening-show.yaml")["spec"]["interaction_rules"]
    assert [r["rule_name"] for r in rules] == ["shipping"]  # its group is not exported: inline
    assert manifest(console, "jobs/evening-show-job.yaml")["spec"]["room"] == "evening-show"

    only_jobs = console.run(
        "export", "--out", "jobs-only", *console.target(), "--kind", "jobs", "--name", "evening*"
    )
    assert only_jobs.code == 0, only_jobs.text
    spec = yaml.safe_load((console.root / "jobs-only" / "jobs" / "evening-show-job.yaml").read_text())["spec"]
    assert spec["room_id"] and "room" not in spec

    bad = console.run("export", "--out", "x", *console.target(), "--kind", "widgets")
    assert bad.code == 2 and "unknown KIND 'widgets'" in bad.err and "Traceback" not in bad.text


class Echoing(BaseHTTPRequestHandler):
    """A service that shows every secret in clear: a room's stream key and callback key, a job's callback
    key, and a running job's configuration with its stream key and interaction_callback_url."""

    def do_GET(self) -> None:
        if self.path.split("?")[0].endswith("/smart-live-rooms/room-1"):
            self._answer({"room_id": "room-1", "room_name": "echo", **ECHOED_ROOM})
        elif "/smart-live-rooms" in self.path:
            self._answer({"count": 1, "smart_live_rooms": [{"room_id": "room-1", "room_name": "echo"}]})
        elif "/smart-live-jobs" in self.path:
            job = {"job_id": "job-1", "room_id": "room-1", "room_name": "echo", "state": "PROCESSING"}
            self._answer({"count": 1, "smart_live_jobs": [{**job, **ECHOED_JOB}]})
        else:
            self._answer({"count": 0, "interaction_rule_groups": []})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        config = {"room_id": "room-1", "room_name": "echo", **ECHOED_JOB_CONFIG}
        self._answer({"command": "GET_LIVE_JOB_CONFIG_INFO", "result": json.dumps(config)})

    def _answer(self, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


ECHOED = ["sk-echoed-room-4d", "cbk-echoed-room", "cbk-echoed-job", "sk-echoed-job-8e", "tok-echoed-77"]
ECHOED_ROOM = {
    "stream_keys": [ECHOED[0]],
    "live_event_callback_config": {"live_event_type_callback_url": "https://h.example/r", "key": ECHOED[1]},
}
ECHOED_JOB = {
    "live_event_callback_config": {"live_event_type_callback_url": "https://h.example/j", "key": ECHOED[2]}
}
ECHOED_JOB_CONFIG = {
    "output_urls": ["rtmp://push.example/echo"],
    "stream_keys": [ECHOED[3]],
    "interaction_callback_url": f"https://h.example/i?token={ECHOED[4]}",
}


def test_secrets_a_service_shows_in_clear_are_never_written_or_printed(
    workspace: Workspace, tmp_path: Path
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echoing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        result = workspace.run("export", "--out", "echo", "--endpoint", url)
    finally:
        server.shutdown()
        server.server_close()
    assert result.code == 0, result.text
    room = yaml.safe_load((tmp_path / "echo" / "rooms" / "echo.yaml").read_text(encoding="utf-8"))["spec"]
    assert room["stream_keys"] == ["${env:ROOM_ECHO_STREAM_KEY_1}"]
    assert room["live_event_callback_config"]["key"] == "${env:ROOM_ECHO_CALLBACK_KEY}"
    job = yaml.safe_load((tmp_path / "echo" / "jobs" / "echo-job.yaml").read_text(encoding="utf-8"))["spec"]
    assert job["live_event_callback_config"]["key"] == "${env:JOB_ECHO_JOB_CALLBACK_KEY}"
    written = result.text + "".join(
        p.read_text(encoding="utf-8") for p in (tmp_path / "echo").rglob("*.yaml")
    )
    assert "interaction_callback_url" not in written.replace(UNSHOWN_NOTE, "")
    for secret in ECHOED:
        assert secret not in written


def test_adopt_in_a_project_reads_the_manifests_with_the_environment_s_variables(console: Workspace) -> None:
    """`export --out DIR` finds the project file at DIR or above it, as plan does for its PATHs: --adopt
    builds the manifests already there (a hand-written one naming a variable) with the environment's
    variables, where without them it would stop on the undefined variable."""
    for name, value in CONSOLE_SECRETS.items():
        console.monkeypatch.setenv(name, value)
    (console.root / "smartlive.yaml").write_text(
        "apiVersion: smartlive/v1\nkind: Project\nenvironments:\n"
        f"  emulator:\n    endpoint: {console.base_url}\n    variables: {{shop: acme}}\n",
        encoding="utf-8",
    )
    extra = console.root / "out" / "rule-groups" / "by-hand.yaml"
    extra.parent.mkdir(parents=True)
    extra.write_text(
        "apiVersion: smartlive/v1\nkind: InteractionRuleGroup\nmetadata:\n  name: ${var:shop}-hello\n"
        "spec:\n  interaction_rules: []\n",
        encoding="utf-8",
    )
    result = console.run("export", "--out", "out", "--env", "emulator", "--adopt")
    assert result.code == 0, result.text
    assert "Adopted SmartLiveRoom/flagship-store-sdk" in result.out
    plan = console.run("plan", "out", "--env", "emulator")
    assert plan.code == 0, plan.text
    assert "InteractionRuleGroup/acme-hello" in plan.out  # the hand-written group, with its variable
