"""A job's configuration: its room snapshotted at start and merged with the start body, then changed by
ExecuteSmartLiveCommand (REWRITE_INTERACTION_RULES, REWRITE_PLAY_SCRIPT, REFRESH_OUTPUT_URL) and read back
by GET_LIVE_JOB_CONFIG_INFO (docs/emulator-rooms.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.api import models as m
from reconciler.emulator.app import create_app
from reconciler.emulator.clock import ManualClock
from reconciler.emulator.config import EmulatorConfig
from tests.emulator.conftest import AK, PROJECT, SK, Api, InProcessClient, error_of
from tests.emulator.test_reactions import T0, comment, predicted, rule

ROOM_KEY, START_KEY, NEW_KEY, CALLBACK_KEY = "room-stream-key", "start-stream-key", "new-key", "cb-secret-1"
SCENE = {"script_name": "opening", "shoot_scripts": [{"sequence_no": 1, "text_config": {"text": "hello"}}]}
ROOM: dict[str, Any] = {
    "room_name": "studio",
    "scene_scripts": [SCENE],
    "interaction_rules": [rule("old", 1, ["the old reply"])],
    "video_config": {"bitrate": 4000, "width": 1080, "height": 1920},
    "play_policy": {"repeat_count": -1, "random_play_mode": "SCENE"},
    "output_urls": ["rtmp://room.example/live"],
    "stream_keys": [ROOM_KEY],
    "live_event_callback_config": {
        "live_event_type_callback_url": "https://hooks.example/events",
        "auth_type": "MSS_A",
        "key": CALLBACK_KEY,
        "is_inheritance_platform_callback": False,
    },
    "backup_model_asset_ids": ["model-b"],
}
START: dict[str, Any] = {
    "video_config": {"bitrate": 6000, "width": 1920, "height": 1080},
    "stream_keys": [START_KEY],
    "interaction_callback_url": "https://hooks.example/interact?token=secret-token",
    "job_run_config": {"single_job_in_room": False},
}


def command(api: Api, room_id: str, job_id: str, name: str, params: Any = None) -> httpx.Response:
    body: dict[str, Any] = {"command": name}
    if params is not None:
        body["params"] = params
    return api.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/command", body)


def config_info(api: Api, room_id: str, job_id: str) -> dict[str, Any]:
    response = command(api, room_id, job_id, "GET_LIVE_JOB_CONFIG_INFO")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["command"] == "GET_LIVE_JOB_CONFIG_INFO" and answer["command_id"]
    info = m.SmartLiveRoomInfo.from_result(answer["result"])
    return m.to_wire(info)


def replies(api: Api, job_id: str) -> list[tuple[str, str]]:
    found = api.control("GET", f"replies/{job_id}").json()["replies"]
    return [(r["rule_name"], r["reply_text"]) for r in found]


def report(api: Api, room_id: str, job_id: str, *events: dict[str, Any]) -> None:
    url = api.show_job(room_id, job_id)["live_event_report_url"]
    response = api.report(url, {"total": len(events), "events": list(events)})
    assert response.status_code == 200, response.text


def test_config_info_is_the_room_at_start_with_the_start_body_over_it(api: Api, clock: ManualClock) -> None:
    room_id = api.room(**ROOM)
    room_version = api.get(f"/smart-live-rooms/{room_id}").json()["script_version"]
    job_id = api.job(room_id, START)
    clock.advance(1)
    # A later edit of the room does not reach the running job.
    edited = {
        **ROOM,
        "scene_scripts": [{**SCENE, "script_name": "edited"}],
        "play_policy": {"repeat_count": 0},
    }
    assert api.put(f"/smart-live-rooms/{room_id}", edited).status_code == 200
    info = config_info(api, room_id, job_id)
    assert info["room_id"] == room_id and info["room_name"] == "studio"
    assert info["video_config"] == START["video_config"]  # the start body's field replaces the room's
    assert info["view_mode"] == "LANDSCAPE"  # derived from that resolution
    assert info["play_policy"] == ROOM["play_policy"]  # the room's, as it was at start
    assert info["scene_scripts"] == [SCENE] and info["interaction_rules"] == ROOM["interaction_rules"]
    assert info["output_urls"] == ROOM["output_urls"] and info["backup_model_asset_ids"] == ["model-b"]
    assert info["script_version"] == room_version
    assert (info["room_state"], info["confirm_state"]) == ("ENABLE", "CONFIRMED")
    # Secrets: masked as in room answers; start-only fields are not room fields.
    assert info["stream_keys"] == ["******"]
    assert info["live_event_callback_config"]["key"] == "******"
    assert info["live_event_callback_config"]["is_inheritance_platform_callback"] is False
    assert "interaction_callback_url" not in info and "job_run_config" not in info
    raw = command(api, room_id, job_id, "GET_LIVE_JOB_CONFIG_INFO").text
    for secret in (ROOM_KEY, START_KEY, CALLBACK_KEY, "secret-token"):
        assert secret not in raw
    # The test control has the same configuration in clear.
    record = api.control("GET", f"jobs/{job_id}").json()
    assert (
        record["config"]["stream_keys"] == [START_KEY]
        and record["config"]["video_config"] == START["video_config"]
    )


def test_a_job_view_shows_the_snapshot_not_the_room_now(api: Api) -> None:
    room_id = api.room(**ROOM, co_streamer_config={"voice_config": {"voice_asset_id": "v1"}})
    job_id = api.job(room_id)
    api.put(
        f"/smart-live-rooms/{room_id}",
        {"room_name": "studio", "co_streamer_config": {"streamer_action": "SILENCE"}},
    )
    shown = api.show_job(room_id, job_id)
    assert shown["co_streamer_config"] == {"voice_config": {"voice_asset_id": "v1"}}
    assert shown["live_event_callback_config"] == {
        "live_event_type_callback_url": "https://hooks.example/events",
        "auth_type": "MSS_A",
        "key": "******",
    }


def test_rewrite_interaction_rules_changes_later_replies_without_a_restart(
    api: Api, clock: ManualClock
) -> None:
    room_id = api.room(**ROOM)
    job_id = api.job(room_id)
    clock.advance(10)
    before = api.show_job(room_id, job_id)
    report(api, room_id, job_id, comment("hi", T0))
    new_rules = [rule("new", 1, ["the new reply"]), {**rule("copied", 2, ["welcome"]), "group_id": "g1"}]
    response = command(api, room_id, job_id, "REWRITE_INTERACTION_RULES", {"interaction_rules": new_rules})
    assert response.status_code == 200, response.text
    assert (
        response.json()["result"] == "SUCCESS" and response.json()["command"] == "REWRITE_INTERACTION_RULES"
    )
    report(api, room_id, job_id, comment("hi again", T0 + 1000))
    assert replies(api, job_id) == [("old", "the old reply"), ("new", "the new reply")]
    after = api.show_job(room_id, job_id)
    assert (after["job_id"], after["state"], after["start_time"]) == (
        job_id,
        "PROCESSING",
        before["start_time"],
    )
    assert api.get(f"/smart-live-rooms/{room_id}/smart-live-jobs").json()["count"] == 1  # no new job
    assert config_info(api, room_id, job_id)["interaction_rules"] == new_rules
    # The room keeps its own rules: the next job starts with them.
    assert api.get(f"/smart-live-rooms/{room_id}").json()["interaction_rules"] == ROOM["interaction_rules"]
    record = api.control("GET", f"jobs/{job_id}").json()
    assert record["interaction_rules"] == new_rules and record["commands"][0]["params"] == {
        "interaction_rules": new_rules
    }


def test_rewritten_rules_restart_their_state_and_survive_an_emulator_restart(
    tmp_path: Path, clock: ManualClock
) -> None:
    """After a rewrite, the engine counts from the rewrite on, in this process and in the next one."""
    config = EmulatorConfig(
        ak=AK,
        sk=SK,
        project_id=PROJECT,
        clock=clock,
        start_delay=0,
        rate_limits={},
        data_path=tmp_path / "e.db",
    )
    second = [{"tag": "content", "operation": "COUNT", "match": "MATH_EQ", "value": "2"}]
    new_rules = [rule("every-second", 1, ["two comments"], tags=second)]
    before, after = [comment("a", T0)], [comment("b", T0 + 1000), comment("c", T0 + 2000)]
    # The test can fail: replaying the comment from before the rewrite would change the outcome.
    assert predicted(new_rules, [*before, *after]) != [
        (i + 1, n, t) for i, n, t in predicted(new_rules, after)
    ]

    client = InProcessClient(create_app(config))
    api = Api(client, "http://emulator.test")
    room_id = api.room(**{**ROOM, "interaction_rules": [rule("old", 2, ["x"])]})
    job_id = api.job(room_id)
    report(api, room_id, job_id, *before)
    assert (
        command(
            api, room_id, job_id, "REWRITE_INTERACTION_RULES", {"interaction_rules": new_rules}
        ).status_code
        == 200
    )
    report(api, room_id, job_id, after[0])
    client.close()
    client = InProcessClient(create_app(config))
    try:
        api = Api(client, "http://emulator.test")
        report(api, room_id, job_id, after[1])
        found = api.control("GET", f"replies/{job_id}").json()["replies"]
        expected = [(index + len(before), name, text) for index, name, text in predicted(new_rules, after)]
        assert [(r["event_index"], r["rule_name"], r["reply_text"]) for r in found] == expected
        assert expected  # the second comment after the rewrite fired
    finally:
        client.close()


def test_rewrite_play_script_replaces_the_scripts_and_moves_script_version(
    api: Api, clock: ManualClock
) -> None:
    room_id = api.room(**ROOM)
    job_id = api.job(room_id)
    before = config_info(api, room_id, job_id)
    clock.advance(3)
    scripts = [{**SCENE, "script_name": "second act", "model_asset_id": "model-c"}]
    response = command(api, room_id, job_id, "REWRITE_PLAY_SCRIPT", {"scene_scripts": scripts})
    assert response.status_code == 200 and response.json()["result"] == "SUCCESS"
    after = config_info(api, room_id, job_id)
    assert after["scene_scripts"] == scripts and after["interaction_rules"] == before["interaction_rules"]
    assert int(after["script_version"]) > int(before["script_version"])
    assert after["update_time"] > before["update_time"] and after["create_time"] == before["create_time"]
    assert api.get(f"/smart-live-rooms/{room_id}").json()["scene_scripts"] == [SCENE]  # the room is unchanged
    assert api.show_job(room_id, job_id)["lastupdate_time"] == after["update_time"]


def test_refresh_output_url_shows_in_the_config_masked(api: Api) -> None:
    room_id = api.room(**ROOM)
    job_id = api.job(room_id)
    params = {"output_urls": ["rtmp://new.example/live"], "stream_keys": [NEW_KEY]}
    assert command(api, room_id, job_id, "REFRESH_OUTPUT_URL", params).status_code == 200
    info = config_info(api, room_id, job_id)
    assert info["output_urls"] == params["output_urls"] and info["stream_keys"] == ["******"]
    assert api.control("GET", f"jobs/{job_id}").json()["stream_keys"] == [NEW_KEY]


def test_a_job_started_without_outputs_runs_the_rooms(api: Api) -> None:
    room_id = api.room(**ROOM)
    record = api.control("GET", f"jobs/{api.job(room_id)}").json()
    assert (record["output_urls"], record["stream_keys"]) == (ROOM["output_urls"], [ROOM_KEY])


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("REWRITE_INTERACTION_RULES", {}, "params.interaction_rules"),
        (
            "REWRITE_INTERACTION_RULES",
            {"interaction_rules": [{"event_type": 101}]},
            "params.interaction_rules[0].event_type",
        ),
        ("REWRITE_INTERACTION_RULES", {"interaction_rules": [], "extra": 1}, "params.extra"),
        (
            "REWRITE_PLAY_SCRIPT",
            {"scene_scripts": [{"shoot_scripts": []}]},
            "params.scene_scripts[0].script_name",
        ),
        ("REFRESH_OUTPUT_URL", {"output_urls": "rtmp://x"}, "params.output_urls"),
        ("REWRITE_INTERACTION_RULES", [], "params"),  # an object, not the bare list
    ],
)
def test_command_params_are_validated(api: Api, name: str, params: Any, field: str) -> None:
    room_id = api.room(**ROOM)
    job_id = api.job(room_id)
    response = command(api, room_id, job_id, name, params)
    assert error_of(response) == (400, "MSS.00000003") and field in response.json()["error_msg"]
    assert api.control("GET", f"jobs/{job_id}").json()["commands"] == []


@pytest.mark.parametrize(
    "name",
    [
        "INSERT_PLAY_SCRIPT",
        "INSERT_PLAY_AUDIO",
        "GET_CURRENT_PLAYING_SCRIPTS",
        "SHOW_LAYER",
        "CLEAN_UP_INSERT_COMMAND",
        "RESET_EXIT_CONFIG",
    ],
)
def test_commands_not_modelled_answer_400_naming_the_command(api: Api, name: str) -> None:
    room_id = api.room()
    response = command(api, room_id, api.job(room_id), name, {})
    assert error_of(response) == (400, "MSS.00000003")
    assert f"command: {name} is not emulated" in response.json()["error_msg"]


def test_commands_on_a_job_that_is_not_active_are_refused(api: Api) -> None:
    room_id = api.room(**ROOM)
    job_id = api.job(room_id)
    api.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/stop")
    for name, params in (
        ("REWRITE_INTERACTION_RULES", {"interaction_rules": []}),
        ("REWRITE_PLAY_SCRIPT", {"scene_scripts": []}),
        ("GET_LIVE_JOB_CONFIG_INFO", None),
    ):
        assert error_of(command(api, room_id, job_id, name, params)) == (400, "MSS.20020001"), name
    assert error_of(command(api, room_id, "no-such-job", "GET_LIVE_JOB_CONFIG_INFO")) == (400, "MSS.10001001")


def test_config_info_result_is_json_of_the_room_shape(api: Api) -> None:
    room_id = api.room(**ROOM)
    job_id = api.job(room_id)
    result = command(api, room_id, job_id, "GET_LIVE_JOB_CONFIG_INFO").json()["result"]
    decoded = json.loads(result)
    assert set(decoded) <= set(m.ShowSmartLiveRoomResponse.model_fields)
    with pytest.raises(ValueError, match="no configuration"):
        m.SmartLiveRoomInfo.from_result("")
