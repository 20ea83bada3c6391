"""Rooms: create, show, list (filters), update, delete; TEMP rooms; script_version."""

from __future__ import annotations

from typing import Any

from reconciler.emulator.clock import ManualClock
from tests.emulator.conftest import Api, error_of


def test_create_show_and_list(api: Api, clock: ManualClock) -> None:
    room_id = api.room(
        "studio",
        room_description="demo",
        output_urls=["rtmp://a/b"],
        stream_keys=["room-secret"],
        live_event_callback_config={
            "auth_type": "MSS_A_HEAD",
            "key": "k",
            "live_event_type_callback_url": "https://x",
        },
        interaction_rules=[{"rule_name": "r", "event_type": 1, "group_id": "g1", "group_name": "welcome"}],
    )
    shown = api.get(f"/smart-live-rooms/{room_id}").json()
    assert shown["room_id"] == room_id and shown["room_name"] == "studio" and shown["room_type"] == "NORMAL"
    assert shown["interaction_rules"][0]["group_id"] == "g1"
    assert shown["stream_keys"] == ["******"] and shown["live_event_callback_config"]["key"] == "******"
    assert shown["create_time"] == shown["update_time"]
    clock.advance(1)
    api.room("other studio", room_type="TEMP")
    listed = api.get("/smart-live-rooms").json()
    assert listed["count"] == 2
    assert [r["room_name"] for r in listed["smart_live_rooms"]] == ["studio", "other studio"]
    assert api.get("/smart-live-rooms", params={"room_type": "TEMP"}).json()["count"] == 1
    assert api.get("/smart-live-rooms", params={"room_name": "other"}).json()["count"] == 1
    assert (
        api.get("/smart-live-rooms", params={"limit": 1}).json()["smart_live_rooms"][0]["room_id"] == room_id
    )


def test_list_shows_the_last_job(api: Api, clock: ManualClock) -> None:
    room_id = api.room()
    api.job(room_id)
    clock.advance(10)
    entry = api.get("/smart-live-rooms").json()["smart_live_rooms"][0]
    assert entry["last_job_status"] == "PROCESSING" and entry["last_job_start_time"]


def test_errors(api: Api) -> None:
    assert error_of(api.get("/smart-live-rooms/none")) == (400, "MSS.10001001")
    response = api.post("/smart-live-rooms", {"room_name": ""})
    assert error_of(response) == (400, "MSS.00000003") and "room_name" in response.json()["error_msg"]
    assert error_of(api.post("/smart-live-rooms", {"room_name": "r", "room_type": "PARTY"})) == (
        400,
        "MSS.00000003",
    )


# ----------------------------------------------------------------------------------------------------
# The room as shown, updated, deleted (docs/emulator-rooms.md)
# ----------------------------------------------------------------------------------------------------

SCENE: dict[str, Any] = {
    "script_name": "opening",
    "model_asset_id": "model-a",
    "dh_id": "dh-1",
    "voice_config": {"voice_asset_id": "voice-a", "speed": 110},
    "background_config": [{"background_type": "COLOR", "background_color_config": "#000000"}],
    "layer_config": [
        {"layer_type": "HUMAN", "position": {"dx": 0, "dy": 0, "layer_index": 1}},
        {"layer_type": "TEXT", "text_config": {"text_context": "5rWL6K+V", "font_size": 40}},
    ],
    "shoot_scripts": [
        {"sequence_no": 1, "title": "hello", "text_config": {"text": "大家好"}},
        {
            "sequence_no": 2,
            "audio_config": {"audio_url": "https://x/a.mp3"},
            "relation_product": {"product_id": "p"},
        },
    ],
}


def test_show_answers_the_body_and_the_server_fields(api: Api) -> None:
    body = {
        "room_name": "full",
        "scene_scripts": [SCENE],
        "video_config": {"bitrate": 4000, "width": 1920, "height": 1080},
        "shared_config": {"shared_type": "PRIVATE"},
        "priv_data": "mine",
    }
    room_id = api.room(**body)
    shown = api.get(f"/smart-live-rooms/{room_id}").json()
    assert {k: shown[k] for k in body} == body  # everything sent comes back as sent
    assert (shown["room_state"], shown["confirm_state"]) == ("ENABLE", "CONFIRMED")
    assert shown["script_version"].isdigit() and shown["create_time"] == shown["update_time"]
    # view_mode: "通过video_config中分辨率判断" when not given.
    assert shown["view_mode"] == "LANDSCAPE"
    assert "cover_url" not in shown and "error_info" not in shown


def test_scene_scripts_are_validated(api: Api) -> None:
    for scene, field in (
        ({k: v for k, v in SCENE.items() if k != "script_name"}, "scene_scripts[0].script_name"),
        ({**SCENE, "shoot_scripts": [{"text_config": {"text": "x", "speed": 1}}]}, "text_config.speed"),
        ({**SCENE, "layer_config": [{"layer_type": "SOUND"}]}, "layer_config[0].layer_type"),
        ({**SCENE, "model_asset_id": "m" * 65}, "scene_scripts[0].model_asset_id"),
    ):
        response = api.post("/smart-live-rooms", {"room_name": "r", "scene_scripts": [scene]})
        assert error_of(response) == (400, "MSS.00000003") and field in response.json()["error_msg"], field


def test_update_replaces_the_whole_room_and_moves_script_version(api: Api, clock: ManualClock) -> None:
    room_id = api.room("before", room_description="gone after the update", output_urls=["rtmp://a/b"])
    created = api.get(f"/smart-live-rooms/{room_id}").json()
    clock.advance(2)
    response = api.put(f"/smart-live-rooms/{room_id}", {"room_name": "after", "scene_scripts": [SCENE]})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated == api.get(f"/smart-live-rooms/{room_id}").json()  # the answer is the room as shown
    assert updated["room_name"] == "after" and updated["scene_scripts"] == [SCENE]
    assert "room_description" not in updated and "output_urls" not in updated  # the body is the whole room
    assert (
        updated["create_time"] == created["create_time"] and updated["update_time"] > created["update_time"]
    )
    assert int(updated["script_version"]) > int(created["script_version"])
    # Two updates within one clock instant still give two versions.
    again = api.put(f"/smart-live-rooms/{room_id}", {"room_name": "after"}).json()
    assert int(again["script_version"]) > int(updated["script_version"])
    assert [r["room_name"] for r in api.get("/smart-live-rooms").json()["smart_live_rooms"]] == ["after"]


def test_update_errors(api: Api) -> None:
    room_id = api.room()
    assert error_of(api.put("/smart-live-rooms/none", {"room_name": "x"})) == (400, "MSS.10001001")
    refused = api.put(f"/smart-live-rooms/{room_id}", {"room_name": "x", "room_type": "PARTY"})
    assert error_of(refused) == (400, "MSS.00000003") and "room_type" in refused.json()["error_msg"]
    assert api.get(f"/smart-live-rooms/{room_id}").json()["room_name"] == "room"  # unchanged


def test_delete(api: Api) -> None:
    room_id, kept = api.room("doomed"), api.room("kept")
    response = api.delete(f"/smart-live-rooms/{room_id}")
    assert (response.status_code, response.content) == (200, b"")
    assert error_of(api.get(f"/smart-live-rooms/{room_id}")) == (400, "MSS.10001001")
    assert error_of(api.delete(f"/smart-live-rooms/{room_id}")) == (400, "MSS.10001001")
    assert [r["room_id"] for r in api.get("/smart-live-rooms").json()["smart_live_rooms"]] == [kept]


def test_delete_of_a_room_with_an_active_job_is_refused(api: Api, clock: ManualClock) -> None:
    room_id = api.room("busy")
    job_id = api.job(room_id)
    for _ in ("WAITING", "PROCESSING"):
        refused = api.delete(f"/smart-live-rooms/{room_id}")
        assert error_of(refused) == (400, "MSS.20020001") and job_id in refused.json()["error_msg"]
        clock.advance(10)
    assert api.get(f"/smart-live-rooms/{room_id}").status_code == 200
    assert api.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/stop").status_code == 200
    assert api.delete(f"/smart-live-rooms/{room_id}").status_code == 200
    # The ended job stays in the project's list, with the name its room had.
    (job,) = api.get("/smart-live-jobs").json()["smart_live_jobs"]
    assert (job["job_id"], job["room_name"], job["state"]) == (job_id, "busy", "SUCCEED")


def test_a_temp_room_goes_when_its_job_ends(api: Api) -> None:
    temp, normal = api.room("temp", room_type="TEMP"), api.room("normal")
    temp_jobs = [api.job(temp), api.job(temp)]
    normal_job = api.job(normal)
    api.post(f"/smart-live-rooms/{temp}/smart-live-jobs/{temp_jobs[0]}/stop")
    assert api.get(f"/smart-live-rooms/{temp}").status_code == 200  # another job still runs in it
    api.post(f"/smart-live-rooms/{temp}/smart-live-jobs/{temp_jobs[1]}/stop")
    assert error_of(api.get(f"/smart-live-rooms/{temp}")) == (400, "MSS.10001001")
    api.post(f"/smart-live-rooms/{normal}/smart-live-jobs/{normal_job}/stop")
    assert api.get(f"/smart-live-rooms/{normal}").status_code == 200


# ----------------------------------------------------------------------------------------------------
# List filters
# ----------------------------------------------------------------------------------------------------


def _names(api: Api, **params: Any) -> list[str]:
    response = api.get("/smart-live-rooms", params=params)
    assert response.status_code == 200, response.text
    return [room["room_name"] for room in response.json()["smart_live_rooms"]]


def test_list_filters(api: Api, clock: ManualClock) -> None:
    other_scene = {
        **SCENE,
        "model_asset_id": "model-b",
        "dh_id": "dh-2",
        "voice_config": {"voice_asset_id": "voice-b"},
    }
    idle = api.room("idle", scene_scripts=[SCENE])
    running = api.room("running", scene_scripts=[other_scene, SCENE])
    ended = api.room("ended", room_type="TEMPLATE", scene_scripts=[other_scene])
    api.job(running)
    done = api.job(ended)
    clock.advance(10)
    api.post(f"/smart-live-rooms/{ended}/smart-live-jobs/{done}/stop")
    assert idle
    assert _names(api, dh_id="dh-1") == ["idle", "running"]
    assert _names(api, model_asset_id="model-b") == ["running", "ended"]
    assert _names(api, voice_asset_id="voice-a") == ["idle", "running"]
    assert _names(api, voice_asset_id="voice-b", room_type="TEMPLATE") == ["ended"]
    assert _names(api, live_state="NULL") == ["idle"]
    assert _names(api, live_state="PROCESSING") == ["running"]
    assert _names(api, live_state="SUCCESS") == _names(api, live_state="SUCCEED") == ["ended"]
    assert _names(api, live_state="NULL,SUCCESS") == ["idle", "ended"]
    assert _names(api, confirm_state="confirmed") == ["idle", "running", "ended"]
    assert _names(api, confirm_state="unconfirm") == []
    listed = api.get("/smart-live-rooms", params={"dh_id": "dh-1", "limit": 1}).json()
    assert listed["count"] == 2 and len(listed["smart_live_rooms"]) == 1
    # Accepted, not applied: nothing in the emulator to filter them by.
    assert _names(api, model_name="anyone", template_own_type="OWNED", start_time="2024-01-01T00:00:00Z") == [
        "idle",
        "running",
        "ended",
    ]
    for bad in (
        {"live_state": "RUNNING"},
        {"room_type": "PARTY"},
        {"confirm_state": "maybe"},
        {"start_time": "yesterday"},
        {"limit": 101},
    ):
        assert error_of(api.get("/smart-live-rooms", params=bad)) == (400, "MSS.00000003"), bad


def test_list_entries(api: Api) -> None:
    api.room(
        "portrait",
        scene_scripts=[SCENE, {**SCENE, "script_name": "again"}],
        backup_model_asset_ids=["model-z"],
        shared_config={"shared_type": "SHARED", "allowed_project_ids": ["p2"]},
    )
    api.room("landscape", video_config={"bitrate": 4000, "width": 1920, "height": 1080})
    portrait, landscape = api.get("/smart-live-rooms").json()["smart_live_rooms"]
    assert portrait["view_mode"] == "VERTICAL" and landscape["view_mode"] == "LANDSCAPE"
    assert portrait["model_infos"] == [{"model_asset_id": "model-a", "backup_model_asset_ids": ["model-z"]}]
    assert portrait["shared_config"] == {"shared_type": "SHARED", "allowed_project_ids": ["p2"]}
    assert "model_infos" not in landscape and "last_job_status" not in landscape
