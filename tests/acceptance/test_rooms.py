"""Rooms end to end, through the CLI against the emulator over a real socket: the declared rules reach
the broadcast (group -> room -> job), a group's edit reaches a running job without a restart, and the
room's lifecycle (validate, import, prune) holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.conftest import PROJECT, Workspace

GREETING = "欢迎来到直播间！"
PRICE = "今天直播间专享价 99 元。"
NEW_PRICE = "今天只要 89 元！"


def _doc(kind: str, name: str, spec: dict[str, Any]) -> str:
    return json.dumps({"apiVersion": "smartlive/v1", "kind": kind, "metadata": {"name": name}, "spec": spec})


def _keyword_rule(name: str, pattern: str, reply: str) -> dict[str, Any]:
    return {
        "rule_name": name,
        "event_type": 1,
        "hit_condition": {
            "relation": "OR",
            "tags": [{"tag": "content", "operation": "NONE", "match": "REGEX", "value": pattern}],
        },
        "trigger": {"reply_mode": "SYSTEM_REPLY", "reply_texts": [reply]},
    }


def write_chain(root: Path, *, with_faq: bool = True) -> Path:
    """Two groups, a room importing both (and one rule of its own), a job naming the room."""
    folder = root / "chain"
    folder.mkdir(exist_ok=True)
    (folder / "greet.yaml").write_text(
        _doc(
            "InteractionRuleGroup",
            "greet",
            {"interaction_rules": [_keyword_rule("hello", "(你好|hello)", GREETING)]},
        ),
        encoding="utf-8",
    )
    faq = folder / "faq.yaml"
    if with_faq:
        faq.write_text(
            _doc(
                "InteractionRuleGroup",
                "faq",
                {"interaction_rules": [_keyword_rule("price", "多少钱", PRICE)]},
            ),
            encoding="utf-8",
        )
    elif faq.exists():
        faq.unlink()
    (folder / "room.yaml").write_text(
        "apiVersion: smartlive/v1\n"
        "kind: SmartLiveRoom\n"
        "metadata: {name: store}\n"
        "spec:\n"
        "  room_name: store room\n"
        "  scene_scripts:\n"
        "    - script_name: main\n"
        "      shoot_scripts: [{sequence_no: 1, text_config: {text: 欢迎光临}}]\n"
        "  interaction_rules:\n"
        "    - import: greet\n"
        "    - import: faq\n"
        f"    - {json.dumps(_keyword_rule('ship', '包邮', '全场包邮'), ensure_ascii=False)}\n",
        encoding="utf-8",
    )
    (folder / "job.yaml").write_text(
        _doc(
            "SmartLiveJob",
            "live",
            {
                "room": "store",
                "video_config": {
                    "codec": "H264",
                    "bitrate": 4000,
                    "width": 1920,
                    "height": 1080,
                    "frame_rate": "25",
                },
            },
        ),
        encoding="utf-8",
    )
    return folder


def show_room(ws: Workspace, room_id: str) -> dict[str, Any]:
    with ws.signed() as client:
        body: dict[str, Any] = client.get(f"/v1/{PROJECT}/smart-live-rooms/{room_id}").json()
    return body


def report_comment(ws: Workspace, text: str) -> list[dict[str, Any]]:
    """Report one comment to the job `live`; the replies its rules made since the start."""
    events = ws.root / "events.jsonl"
    line = {"type": "comment", "content": {"user": {"userId": "7", "name": "ann"}, "content": text}}
    events.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    result = ws.run("events", "report", str(events), "--job", "live", *ws.target())
    assert result.code == 0, result.text
    job_id = ws.active_jobs()[0]["job_id"]
    replies: list[dict[str, Any]] = ws.api("GET", f"/_emulator/replies/{job_id}")["replies"]
    return replies


def plan_json(ws: Workspace, folder: Path) -> dict[str, Any]:
    result = ws.run("plan", str(folder), "--format", "json", *ws.target())
    assert result.code == 0, result.text
    plan: dict[str, Any] = json.loads(result.out)
    return plan


def test_declared_rules_reach_the_broadcast_and_a_group_edit_reaches_the_running_job(
    workspace: Workspace,
) -> None:
    ws = workspace
    folder = write_chain(ws.root)
    assert ws.run("validate", str(folder)).code == 0
    applied = ws.run("apply", str(folder), "--auto-approve", *ws.target())
    assert applied.code == 0, applied.text
    # Dependency order: the groups, then the room, then the job.
    lines = [line for line in applied.out.splitlines() if line.startswith("✓")]
    order = [line.split(":", 1)[0].removeprefix("✓ ") for line in lines]
    assert order.index("SmartLiveRoom/store") > max(
        order.index("InteractionRuleGroup/greet"), order.index("InteractionRuleGroup/faq")
    )
    assert order.index("SmartLiveJob/live") > order.index("SmartLiveRoom/store")

    # The room holds copies of both groups' rules, each with its group's real group_id and name.
    groups = {g["group_name"]: g["group_id"] for g in ws.groups()}
    (job,) = ws.active_jobs()
    room = show_room(ws, job["room_id"])
    copies = {r["rule_name"]: (r.get("group_id"), r.get("group_name")) for r in room["interaction_rules"]}
    assert copies == {
        "hello": (groups["greet"], "greet"),
        "price": (groups["faq"], "faq"),
        "ship": (None, None),
    }

    # A matching comment gets the declared reply.
    replies = report_comment(ws, "这个多少钱？")
    assert [(r["rule_name"], r["reply_text"]) for r in replies] == [("price", PRICE)]

    # Editing the group's reply plans the group update, the room update (caused by the group) and one
    # rule rewrite in the running job: no restart.
    (folder / "faq.yaml").write_text(
        (folder / "faq.yaml")
        .read_text(encoding="utf-8")
        .replace(json.dumps(PRICE)[1:-1], json.dumps(NEW_PRICE)[1:-1]),
        encoding="utf-8",
    )
    plan = plan_json(ws, folder)
    changed = {c["address"]: c for c in plan["resource_changes"] if c["actions"] != ["no-op"]}
    assert sorted(changed) == ["InteractionRuleGroup/faq", "SmartLiveRoom/store"]
    assert changed["InteractionRuleGroup/faq"]["actions"] == ["update"]
    room_change = changed["SmartLiveRoom/store"]
    assert room_change["actions"] == ["update"]
    assert room_change["reason_detail"]["caused_by"] == ["InteractionRuleGroup/faq"]
    assert room_change["depends_on"] == ["InteractionRuleGroup/faq", "InteractionRuleGroup/greet"]
    assert room_change["live_commands"] == [{"command": "REWRITE_INTERACTION_RULES", "job_id": job["job_id"]}]
    assert plan["summary"] == {
        "create": 0,
        "update": 2,
        "restart": 0,
        "destroy": 0,
        "import": 0,
        "has_changes": True,
        "unverifiable": 0,
        "move": 0,
    }
    text = ws.run("plan", str(folder), *ws.target()).out
    assert f"~ rules rewritten in running job {job['job_id']} (no restart)" in text
    assert "the rules copied from InteractionRuleGroup/faq changed" in text

    applied = ws.run("apply", str(folder), "--auto-approve", *ws.target())
    assert applied.code == 0, applied.text
    assert "0 restarted" in applied.out
    (after,) = ws.active_jobs()
    assert after["job_id"] == job["job_id"]  # the broadcast was not interrupted
    replies = report_comment(ws, "这个多少钱？")
    assert replies[-1]["rule_name"] == "price" and replies[-1]["reply_text"] == NEW_PRICE

    # Converged: the plan is empty and applying again writes nothing.
    assert (
        ws.run("plan", str(folder), *ws.target())
        .out.strip()
        .endswith("No changes. MetaStudio matches the manifests.")
    )
    before = ws.mutating_requests()
    again = ws.run("apply", str(folder), "--auto-approve", *ws.target())
    assert again.code == 0, again.text
    assert ws.mutating_requests() == before


def test_validate_refuses_deleting_a_group_a_room_still_imports(workspace: Workspace) -> None:
    folder = write_chain(workspace.root, with_faq=False)
    result = workspace.run("validate", str(folder))
    assert result.code == 1
    room_file = folder / "room.yaml"
    line = next(n for n, text in enumerate(room_file.read_text().splitlines(), 1) if "import: faq" in text)
    column = room_file.read_text().splitlines()[line - 1].index("faq") + 1  # at the name it refers to
    assert f"{room_file}:{line}:{column}: error[S003]" in result.out
    assert "SmartLiveRoom/store refers to InteractionRuleGroup/faq" in result.out


def test_a_room_running_a_job_is_not_deleted_until_its_job_is_stopped(workspace: Workspace) -> None:
    ws = workspace
    folder = write_chain(ws.root)
    assert ws.run("apply", str(folder), "--auto-approve", *ws.target()).code == 0
    (job,) = ws.active_jobs()
    (folder / "room.yaml").unlink()
    (folder / "job.yaml").unlink()
    refused = ws.run("apply", str(folder), "--prune", "--auto-approve", *ws.target())
    assert refused.code == 1
    # The job's stop is guarded; the room's delete depends on it and is skipped, naming the cause.
    assert "! SmartLiveJob/live: SKIPPED" in refused.out
    assert "! SmartLiveRoom/store: SKIPPED: it depends on SmartLiveJob/live" in refused.out
    assert show_room(ws, job["room_id"])["room_id"] == job["room_id"]
    allowed = ws.run("apply", str(folder), "--prune", "--allow-restart", "--auto-approve", *ws.target())
    assert allowed.code == 0, allowed.text
    lines = allowed.out.splitlines()
    stop = next(i for i, line in enumerate(lines) if line.startswith("✓ SmartLiveJob/live: stopped"))
    delete = next(i for i, line in enumerate(lines) if line.startswith("✓ SmartLiveRoom/store: deleted"))
    assert stop < delete
    assert ws.active_jobs() == []


def test_a_console_made_room_is_imported_and_plan_shows_what_the_manifest_changes(
    workspace: Workspace,
) -> None:
    ws = workspace
    body = {
        "room_name": "made by hand",
        "scene_scripts": [{"script_name": "hand", "shoot_scripts": [{"text_config": {"text": "你好"}}]}],
    }
    with ws.signed() as client:
        room_id = client.post(f"/v1/{PROJECT}/smart-live-rooms", json=body).json()["room_id"]
    folder = ws.root / "adopt"
    folder.mkdir()
    (folder / "room.yaml").write_text(
        _doc(
            "SmartLiveRoom",
            "hand",
            {
                "room_name": "made by hand",
                "room_description": "now declared",
                "scene_scripts": body["scene_scripts"],
            },
        ),
        encoding="utf-8",
    )
    imported = ws.run("import", "SmartLiveRoom/hand", room_id, *ws.target())
    assert imported.code == 0, imported.text
    assert f"Imported SmartLiveRoom/hand (room_id {room_id})" in imported.out
    plan = plan_json(ws, folder)
    (change,) = plan["resource_changes"]
    assert change["actions"] == ["update"] and change["remote_id"] == room_id
    assert [c["path"] for c in change["changes"]] == ["room_description"]
    assert ws.run("apply", str(folder), "--auto-approve", *ws.target()).code == 0
    shown = show_room(ws, room_id)
    assert shown["room_description"] == "now declared"
    assert shown["scene_scripts"][0]["script_name"] == "hand"  # the show survived the adoption


@pytest.mark.parametrize("drop", ["room_id", "room"])
def test_a_job_names_its_room_exactly_once(workspace: Workspace, drop: str) -> None:
    folder = workspace.root / "job"
    folder.mkdir()
    spec: dict[str, Any] = {"room": "store", "room_id": "r-1"}
    if drop == "room":
        spec = {}
    (folder / "job.yaml").write_text(_doc("SmartLiveJob", "live", spec), encoding="utf-8")
    result = workspace.run("validate", str(folder))
    assert result.code == 1
    assert "room (a declared SmartLiveRoom) or room_id, exactly one" in result.out


def test_start_warnings_reach_the_user_in_text_and_in_the_json_apply_result(workspace: Workspace) -> None:
    ws = workspace
    folder = write_chain(ws.root)
    refused = ws.run("apply", str(folder), "--format", "json", *ws.target())
    assert refused.code == 2 and "--auto-approve" in refused.err
    applied = ws.run("apply", str(folder), "--format", "json", "--auto-approve", *ws.target())
    assert applied.code == 0, applied.text
    document = json.loads(applied.out)  # the whole output is one JSON document
    results = {r["address"]: r for r in document["results"]}
    job = results["SmartLiveJob/live"]
    assert job["ok"] and job["verb"] == "started"
    # The room has one short paragraph: the service warns (seed 003, live_warning_info).
    assert "TOO_LESSS_SCRIPT_ITEMS: too few script paragraphs" in job["warnings"]
    assert document["summary"]["created"] == 4 and document["plan"]["format_version"] == "2.2"
    # In text, the same warnings stand under the start's line.
    (folder / "job.yaml").write_text(
        (folder / "job.yaml").read_text(encoding="utf-8").replace('"bitrate": 4000', '"bitrate": 5000'),
        encoding="utf-8",
    )
    restarted = ws.run("apply", str(folder), "--auto-approve", "--allow-restart", *ws.target())
    assert restarted.code == 0, restarted.text
    lines = restarted.out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("✓ SmartLiveJob/live: restarted"))
    assert lines[at + 1] == "    warning: TOO_LESSS_SCRIPT_ITEMS: too few script paragraphs"
