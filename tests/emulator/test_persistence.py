"""--data keeps state across restarts; --seed creates rooms and groups once; local_app in-process."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from reconciler.emulator.app import create_app
from reconciler.emulator.clock import ManualClock
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.local import LOCAL_AK, LOCAL_BASE_URL, LOCAL_PROJECT_ID, LOCAL_SK, local_app
from reconciler.errors import ConfigError
from tests.emulator.conftest import MakeApi, signed_headers

ROOM_ID = "5f0c2b1e-0000-4000-8000-000000000001"
SEED = f"""
rooms:
  - room_id: {ROOM_ID}
    room_name: seeded room
    interaction_rules:
      - rule_name: welcome
        event_type: 2
        trigger: {{reply_mode: SYSTEM_REPLY, reply_texts: [welcome!]}}
rule_groups:
  - group_name: seeded group
    interaction_rules:
      - rule_name: thanks
        event_type: 4
  - group_id: fixed-group-id
    group_name: fixed
"""


def test_state_survives_a_restart(make_api: MakeApi, tmp_path: Path, clock: ManualClock) -> None:
    data = tmp_path / "state.db"
    first = make_api(data_path=data)
    room_id = first.room()
    started = first.start(room_id, {"stream_keys": ["k"], "output_urls": ["rtmp://a"]}).json()
    first.post("/smart-live-interaction-rule-groups", {"group_name": "kept"})
    first.http.close()
    clock.advance(30)
    second = make_api(data_path=data)
    job = second.show_job(room_id, started["job_id"])
    assert job["state"] == "PROCESSING" and job["duration"] == 25  # derived from timestamps, not from a task
    assert second.get("/smart-live-interaction-rule-groups").json()["count"] == 1
    # The URL issued before the restart still authenticates: the emulator's secret is in the file.
    report = {"total": 1, "events": [{"timestamp": 1, "type": 6, "content": '{"numberOfViewers": 1}'}]}
    assert second.report(started["live_event_report_url"], report).status_code == 200
    assert second.control("GET", f"jobs/{started['job_id']}").json()["stream_keys"] == ["k"]


def test_seed_is_applied_once(make_api: MakeApi, tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED)
    data = tmp_path / "state.db"
    api = make_api(data_path=data, seed_path=seed)
    room = api.get(f"/smart-live-rooms/{ROOM_ID}").json()
    assert room["room_name"] == "seeded room" and room["interaction_rules"][0]["rule_name"] == "welcome"
    groups = api.get("/smart-live-interaction-rule-groups").json()
    assert [g["group_name"] for g in groups["interaction_rule_groups"]] == ["seeded group", "fixed"]
    assert api.get("/smart-live-interaction-rule-groups/fixed-group-id").status_code == 200
    api.put("/smart-live-interaction-rule-groups/fixed-group-id", {"group_name": "renamed"})
    api.http.close()
    again = make_api(data_path=data, seed_path=seed)
    assert again.get("/smart-live-rooms").json()["count"] == 1
    names = [
        g["group_name"]
        for g in again.get("/smart-live-interaction-rule-groups").json()["interaction_rule_groups"]
    ]
    assert names == ["seeded group", "renamed"]  # not duplicated, not overwritten
    # /_emulator/reset keeps the seed's resources.
    again.room("extra")
    again.control("POST", "reset")
    assert [r["room_id"] for r in again.get("/smart-live-rooms").json()["smart_live_rooms"]] == [ROOM_ID]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rooms: [{room_name: no id}]", "rooms[0]: room_id"),
        (f"rooms: [{{room_id: {ROOM_ID}}}]", "rooms[0]: room_name"),
        ("rule_groups: [{group_name: g, colour: red}]", "rule_groups[0]: colour"),
        ("tables: []", "unknown keys tables"),
        ("rooms: {a: 1}", "rooms must be a list"),
        ("rooms: [", "not valid YAML"),
    ],
)
def test_bad_seed_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        create_app(EmulatorConfig(seed_path=seed))


def test_local_app_over_asgi_transport(tmp_path: Path) -> None:
    data = tmp_path / ".smartlive" / "emulator.db"

    async def create_group(name: str) -> list[str]:
        app = local_app(data)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=LOCAL_BASE_URL
        ) as client:
            url = f"{LOCAL_BASE_URL}/v1/{LOCAL_PROJECT_ID}/smart-live-interaction-rule-groups"
            body = json.dumps({"group_name": name}).encode()
            headers = signed_headers("POST", url, body, ak=LOCAL_AK, sk=LOCAL_SK, project=LOCAL_PROJECT_ID)
            assert (await client.post(url, content=body, headers=headers)).status_code == 200
            listed = await client.get(
                url, headers=signed_headers("GET", url, b"", LOCAL_AK, LOCAL_SK, LOCAL_PROJECT_ID)
            )
        app.state.emulator.store.close()
        return [g["group_name"] for g in listed.json()["interaction_rule_groups"]]

    assert asyncio.run(create_group("first")) == ["first"]
    assert asyncio.run(create_group("second")) == ["first", "second"]  # a second process finds the first's


def test_rooms_and_job_configurations_survive_a_restart(make_api: MakeApi, tmp_path: Path) -> None:
    data = tmp_path / "state.db"
    first = make_api(data_path=data)
    room_id = first.room("before")
    version = first.put(f"/smart-live-rooms/{room_id}", {"room_name": "after"}).json()["script_version"]
    job_id = first.job(room_id, {"stream_keys": ["k"]})
    rules = [{"rule_name": "hello", "event_type": 1, "trigger": {"reply_texts": ["hi"]}}]
    path = f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/command"
    assert (
        first.post(
            path, {"command": "REWRITE_INTERACTION_RULES", "params": {"interaction_rules": rules}}
        ).status_code
        == 200
    )
    gone = first.room("gone")
    first.delete(f"/smart-live-rooms/{gone}")
    first.http.close()
    second = make_api(data_path=data)
    room = second.get(f"/smart-live-rooms/{room_id}").json()
    assert (room["room_name"], room["script_version"]) == ("after", version)
    assert second.get(f"/smart-live-rooms/{gone}").status_code == 400
    answer = second.post(path, {"command": "GET_LIVE_JOB_CONFIG_INFO"}).json()
    info = json.loads(answer["result"])
    assert (
        info["interaction_rules"] == rules
        and info["room_name"] == "after"
        and info["stream_keys"] == ["******"]
    )


def test_a_job_of_an_older_emulator_keeps_the_rules_it_resolved(make_api: MakeApi, tmp_path: Path) -> None:
    """A --data file written before job configurations existed: its jobs' rules are in job_rules and their
    configuration is derived from the room."""
    data = tmp_path / "state.db"
    api = make_api(data_path=data)
    room_id = api.room("old", play_policy={"random_play_mode": "NONE"})
    job_id = api.job(room_id)
    resolved = [{"rule_name": "from-group", "event_type": 1, "trigger": {"reply_texts": ["resolved"]}}]
    api.http.close()
    # What the older emulator left behind: a job_rules row and no job_configs row.
    with closing(sqlite3.connect(data)) as db, db:
        db.execute("DELETE FROM job_configs WHERE job_id = ?", (job_id,))
        db.execute("INSERT INTO job_rules VALUES (?, ?, '[]')", (job_id, json.dumps(resolved)))
    again = make_api(data_path=data)
    record = again.control("GET", f"jobs/{job_id}").json()
    assert record["interaction_rules"] == resolved and record["config"]["play_policy"] == {
        "random_play_mode": "NONE"
    }
    url = again.show_job(room_id, job_id)["live_event_report_url"]
    event = {"timestamp": 1, "type": 1, "content": json.dumps({"user": {"userId": "u"}, "content": "x"})}
    assert again.report(url, {"total": 1, "events": [event]}).status_code == 200
    replies = again.control("GET", f"replies/{job_id}").json()["replies"]
    assert [r["reply_text"] for r in replies] == ["resolved"]
