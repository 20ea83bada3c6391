"""Rooms: create, list, show."""

from __future__ import annotations

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
