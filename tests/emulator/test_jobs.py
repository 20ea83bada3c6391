"""Live jobs: start (202, fields, warnings), lifecycle in time, stop, lists, commands, hidden fields."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from reconciler.emulator.clock import ManualClock
from tests.emulator.conftest import PROJECT, Api, MakeApi, error_of

HIDDEN = (
    "video_config",
    "play_policy",
    "output_urls",
    "stream_keys",
    "interaction_callback_url",
    "view_mode",
)
FULL_START: dict[str, Any] = {
    "video_config": {"codec": "H264", "bitrate": 4000, "width": 1080, "height": 1920},
    "play_policy": {"repeat_count": -1, "random_play_mode": "NONE", "need_independent_capture_client": True},
    "output_urls": ["rtmp://push.example/live/a"],
    "stream_keys": ["stream-secret-1"],
    "interaction_callback_url": "https://hooks.example/cb?token=abc",
    "live_event_callback_config": {
        "live_event_type_callback_url": "https://hooks.example/events",
        "auth_type": "MSS_A",
        "key": "callback-secret",
        "callback_event_type": ["REPLY_COMMAND_FINISH"],
    },
    "view_mode": "VERTICAL",
    "co_streamer_config": {
        "voice_config": {"voice_asset_id": "v1", "speed": 120},
        "streamer_action": "SILENCE",
    },
    "job_run_config": {"allow_resource_type": "ONDEMAND", "single_job_in_room": False},
}


def test_start_answers_202_with_the_documented_fields(api: Api) -> None:
    room_id = api.room()
    response = api.start(room_id, FULL_START)
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {
        "job_id",
        "rtc_room_info",
        "live_event_report_url",
        "live_event_callback_config",
        "live_warning_info",
    }
    users = body["rtc_room_info"]["users"]
    assert [u["user_type"] for u in users] == ["CAPTURE", "PLAYER"]  # need_independent_capture_client
    assert all(u["signature"] and u["ctime"] > 0 for u in users)
    url = urlsplit(body["live_event_report_url"])
    assert (
        url.path
        == f"/v1/{PROJECT}/smart-live-rooms/{room_id}/smart-live-jobs/{body['job_id']}/live-event-report"
    )
    assert set(parse_qs(url.query)) == {"auth_key", "expires_time"}
    callback = body["live_event_callback_config"]
    assert callback["auth_type"] == "MSS_A" and callback["key"] == "******"  # never echoed in clear
    warnings = [w["warning_type"] for w in body["live_warning_info"]]
    assert "RANDOM_PLAY_CLOSED" in warnings


def test_warnings_follow_the_request_and_the_room(api: Api) -> None:
    bare = api.room("bare")
    warnings = [w["warning_type"] for w in api.start(bare).json()["live_warning_info"]]
    assert warnings == [
        "TOO_LESSS_SCRIPT_ITEMS",
        "TOO_SHORT_SCRIPT_TIME",
        "TOO_LESS_DANMAKU_RULES",
        "ROTATION_MODEL_CLOSED",
    ]
    danmaku = {"rule_name": "d", "event_type": 1, "enabled": True}
    script = {
        "script_name": "scene",
        "shoot_scripts": [{"sequence_no": i, "text_config": {"text": "话" * 500}} for i in range(3)],
    }
    rich = api.room(
        "rich",
        scene_scripts=[script],
        interaction_rules=[danmaku] * 3,
        backup_model_asset_ids=["m2"],
        play_policy={"random_play_mode": "SCENE"},
    )
    assert api.start(rich).json()["live_warning_info"] == []
    closed = api.start(rich, {"play_policy": {"random_play_mode": "NONE"}}).json()["live_warning_info"]
    assert closed == [{"warning_type": "RANDOM_PLAY_CLOSED"}]


def test_job_waits_then_processes_and_durations_grow(api: Api, clock: ManualClock) -> None:
    room_id = api.room()
    job_id = api.job(room_id, {"output_urls": ["rtmp://a/b"]})
    job = api.show_job(room_id, job_id)
    assert job["state"] == "WAITING" and job["duration"] == 0 and "start_time" not in job
    clock.advance(5)  # start_delay of the fixture
    job = api.show_job(room_id, job_id)
    assert job["state"] == "PROCESSING" and job["start_time"]
    clock.advance(12.5)
    job = api.show_job(room_id, job_id)
    assert job["duration"] == 12.5 and job["stream_duration"] == 12.5
    assert job["lastupdate_time"] == job["start_time"]
    assert api.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/stop").status_code == 200
    clock.advance(100)
    job = api.show_job(room_id, job_id)
    assert job["state"] == "SUCCEED" and job["duration"] == 12.5 and job["end_time"] == job["lastupdate_time"]
    second = api.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/stop")
    assert error_of(second) == (400, "MSS.20020001")


def test_stop_while_waiting_succeeds_without_a_start(api: Api) -> None:
    room_id = api.room()
    job_id = api.job(room_id)
    assert api.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/stop").status_code == 200
    job = api.show_job(room_id, job_id)
    assert job["state"] == "SUCCEED" and job["duration"] == 0 and "start_time" not in job


def test_job_responses_hide_what_the_service_never_returns(api: Api) -> None:
    room_id = api.room()
    job_id = api.job(room_id, FULL_START)
    shown = api.show_job(room_id, job_id)
    listed = api.get(f"/smart-live-rooms/{room_id}/smart-live-jobs").json()["smart_live_jobs"][0]
    for view in (shown, listed):
        assert not set(HIDDEN) & set(view)
        assert "stream-secret-1" not in str(view) and "callback-secret" not in str(view)
        assert view["co_streamer_config"] == FULL_START["co_streamer_config"]
        assert view["rtc_callback_config"] == {"rtc_callback_event_type": ["LIVE_PROGRESS"]}  # the default
    record = api.control("GET", f"jobs/{job_id}").json()
    assert record["request"] == FULL_START  # the whole request, secrets included, for tests
    assert record["output_urls"] == FULL_START["output_urls"] and record["stream_keys"] == ["stream-secret-1"]


def test_single_job_in_room(api: Api) -> None:
    room_id = api.room()
    first = api.job(room_id)
    api.job(room_id)  # a room may run several jobs by default
    refused = api.start(room_id, {"job_run_config": {"single_job_in_room": True}})
    assert error_of(refused) == (403, "MSS.41000012")
    other = api.room("other")
    exclusive = api.job(other, {"job_run_config": {"single_job_in_room": True}})
    assert error_of(api.start(other)) == (403, "MSS.41000012")  # the running job keeps the room to itself
    api.post(f"/smart-live-rooms/{other}/smart-live-jobs/{exclusive}/stop")
    assert api.start(other).status_code == 202
    assert first


def test_lists_filter_sort_and_page(api: Api, clock: ManualClock) -> None:
    room_id, other = api.room("alpha room"), api.room("beta room")
    jobs = []
    for _ in range(4):
        jobs.append(api.job(room_id))
        clock.advance(2)
    other_job = api.job(other)
    clock.advance(10)  # every job is PROCESSING now
    api.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{jobs[0]}/stop")
    path = f"/smart-live-rooms/{room_id}/smart-live-jobs"

    def ids(response: Any) -> list[str]:
        assert response.status_code == 200, response.text
        return [job["job_id"] for job in response.json()["smart_live_jobs"]]

    assert ids(api.get(path)) == jobs
    assert ids(api.get(path, params={"sort_dir": "desc"})) == jobs[::-1]
    assert ids(api.get(path, params={"state": "SUCCEED"})) == [jobs[0]]
    assert ids(api.get(path, params={"state": "WAITING,PROCESSING"})) == jobs[1:]
    # update_time: the stopped job changed last.
    assert ids(api.get(path, params={"sort_key": "update_time", "sort_dir": "desc"}))[0] == jobs[0]
    page = api.get(path, params={"offset": 1, "limit": 2})
    assert ids(page) == jobs[1:3] and page.json()["count"] == 4
    created = [api.show_job(room_id, j)["create_time"] for j in jobs]
    assert ids(api.get(path, params={"create_since": created[2]})) == jobs[2:]
    assert ids(api.get(path, params={"create_until": created[1]})) == jobs[:2]
    everything = api.get("/smart-live-jobs", params={"limit": 100})
    assert ids(everything) == [*jobs, other_job] and everything.json()["count"] == 5
    assert ids(api.get("/smart-live-jobs", params={"room_name": "beta"})) == [other_job]
    for bad in ({"state": "RUNNING"}, {"sort_key": "name"}, {"sort_dir": "up"}, {"limit": 101}):
        assert error_of(api.get(path, params=bad)) == (400, "MSS.00000003"), bad


def test_unknown_room_and_job(api: Api) -> None:
    room_id = api.room()
    job_id = api.job(room_id)
    other = api.room("other")
    assert error_of(api.start("no-such-room")) == (400, "MSS.10001001")
    assert error_of(api.get("/smart-live-rooms/no-such-room/smart-live-jobs")) == (400, "MSS.10001001")
    assert error_of(api.get(f"/smart-live-rooms/{room_id}/smart-live-jobs/nope")) == (400, "MSS.10001001")
    # A job exists only under its own room.
    assert error_of(api.get(f"/smart-live-rooms/{other}/smart-live-jobs/{job_id}")) == (400, "MSS.10001001")
    assert error_of(api.post(f"/smart-live-rooms/{other}/smart-live-jobs/{job_id}/stop")) == (
        400,
        "MSS.10001001",
    )


def test_start_validates_the_body(api: Api) -> None:
    room_id = api.room()
    cases = [
        ({"output_urls": ["rtmp://a", "rtmp://b"]}, "output_urls"),
        ({"video_config": {"width": 1080, "height": 1920, "bitrate": 10}}, "video_config.bitrate"),
        ({"play_policy": {"random_play_mode": "SHUFFLE"}}, "play_policy.random_play_mode"),
        ({"job_run_config": {"single_job_in_room": "maybe"}}, "job_run_config.single_job_in_room"),
    ]
    for body, field in cases:
        response = api.start(room_id, body)
        assert error_of(response) == (400, "MSS.00000003") and field in response.json()["error_msg"], body
    assert api.get(f"/smart-live-rooms/{room_id}/smart-live-jobs").json()["count"] == 0


def test_refresh_output_url_command(api: Api, clock: ManualClock) -> None:
    room_id = api.room()
    job_id = api.job(room_id, {"output_urls": ["rtmp://old/a"], "stream_keys": ["k-old"]})
    clock.advance(6)
    command = {
        "command": "REFRESH_OUTPUT_URL",
        "params": {"output_urls": ["rtmp://new/a"], "stream_keys": ["k-new"]},
    }
    response = api.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/command", command)
    assert response.status_code == 200
    assert response.json()["command"] == "REFRESH_OUTPUT_URL" and response.json()["result"] == "SUCCESS"
    record = api.control("GET", f"jobs/{job_id}").json()
    assert (record["output_urls"], record["stream_keys"]) == (["rtmp://new/a"], ["k-new"])
    assert record["request"]["output_urls"] == ["rtmp://old/a"]  # what was started stays on record
    assert record["commands"][0]["command_id"] == response.json()["command_id"]
    bad = {"command": "REFRESH_OUTPUT_URL", "params": {"output_urls": "rtmp://x"}}
    refused = api.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/command", bad)
    assert error_of(refused) == (400, "MSS.00000003") and "params.output_urls" in refused.json()["error_msg"]
    other = api.post(
        f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/command", {"command": "SHOW_LAYER"}
    )
    assert error_of(other) == (400, "MSS.00000003")
    api.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/stop")
    finished = api.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/command", command)
    assert error_of(finished) == (400, "MSS.20020001")


def test_zero_start_delay_is_processing_at_once(make_api: MakeApi) -> None:
    api = make_api(start_delay=0)
    room_id = api.room()
    assert api.show_job(room_id, api.job(room_id))["state"] == "PROCESSING"
