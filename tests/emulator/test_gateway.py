"""The gateway in front of the API: authentication, faults, throttling, rate limits, stats, controls."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from reconciler.api import signing
from reconciler.emulator.clock import ManualClock
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.controls import is_loopback
from reconciler.emulator.storage import JobQuery
from tests.emulator.conftest import PROJECT, Api, InProcessClient, MakeApi, app_of, error_of, signed_headers

GROUPS = "/smart-live-interaction-rule-groups"


def test_no_credentials_is_401(api: Api) -> None:
    response = api.get(GROUPS, sign=False)
    assert error_of(response) == (401, "APIGW.0301")
    assert response.json()["error_msg"].startswith("Incorrect IAM authentication information: ")


def test_tampered_signature_stale_date_and_unknown_ak(api: Api) -> None:
    url = api.url(GROUPS)
    good = signed_headers("GET", url, b"")
    tampered = {**good, "Authorization": good["Authorization"][:-4] + "0000"}
    stale_date = signing.format_date(datetime.now(UTC) - timedelta(minutes=16))
    stale = signed_headers("GET", url, b"", date=stale_date)
    unknown = signed_headers("GET", url, b"", ak="other-ak")
    assert api.http.request("GET", url, headers=good).status_code == 200
    for headers in (tampered, stale, unknown):
        assert error_of(api.http.request("GET", url, headers=headers)) == (401, "APIGW.0301")
    # A body that is not the signed one.
    body = json.dumps({"group_name": "a"}).encode()
    headers = signed_headers("POST", url, body)
    assert error_of(api.http.request("POST", url, content=b'{"group_name": "b"}', headers=headers)) == (
        401,
        "APIGW.0301",
    )


def test_date_within_fifteen_minutes_is_accepted(api: Api, clock: ManualClock) -> None:
    clock.advance(14 * 60)  # the server's clock is ahead of the signer's
    assert api.get(GROUPS).status_code == 200
    clock.advance(2 * 60)
    assert error_of(api.get(GROUPS)) == (401, "APIGW.0301")


def test_project_id_must_be_the_emulators(api: Api) -> None:
    other = Api(api.http, api.base_url, project="someone-else")
    assert error_of(other.get(GROUPS)) == (401, "APIGW.0301")
    url = api.url(GROUPS)
    headers = signed_headers("GET", url, b"", project="someone-else")  # X-Project-Id differs from the path
    assert error_of(api.http.request("GET", url, headers=headers)) == (401, "APIGW.0301")


def test_token_authentication(make_api: MakeApi) -> None:
    api = make_api(token="let-me-in")
    assert api.get(GROUPS, sign=False, headers={"X-Auth-Token": "let-me-in"}).status_code == 200
    assert error_of(api.get(GROUPS, sign=False, headers={"X-Auth-Token": "guess"})) == (401, "APIGW.0301")
    tokenless = make_api()
    assert error_of(tokenless.get(GROUPS, sign=False, headers={"X-Auth-Token": "let-me-in"})) == (
        401,
        "APIGW.0301",
    )


def test_unknown_api_is_404(api: Api) -> None:
    assert error_of(api.get("/smart-live-nothing")) == (404, "APIGW.0101")
    assert error_of(api.call("PATCH", GROUPS)) == (404, "APIGW.0101")


def test_error_injection(api: Api) -> None:
    assert api.control("POST", "faults", {"error_rate": 1.0, "error_statuses": [500]}).status_code == 200
    response = api.post(GROUPS, {"group_name": "g"})
    assert response.json() == {"error_code": "MSS.00000004", "error_msg": "Internal Error"}
    assert response.status_code == 500
    api.control("POST", "faults", {"error_statuses": [503]})
    assert error_of(api.get(GROUPS)) == (503, "APIGW.0201")
    api.control("POST", "faults", {"error_rate": 0})
    assert api.get(GROUPS).json()["count"] == 0  # the failed create did nothing


def test_fault_settings_merge_validate_and_reset(api: Api) -> None:
    assert api.control("GET", "faults").json()["latency_ms"] == 0
    api.control("POST", "faults", {"latency_ms": 5})
    settings = api.control("POST", "faults", {"jitter_ms": 2}).json()
    assert (settings["latency_ms"], settings["jitter_ms"]) == (5, 2)
    for bad in ({"error_rate": 2}, {"error_statuses": [404]}, {"latency": 1}, [1]):
        assert api.control("POST", "faults", bad).status_code == 400, bad
    api.control("POST", "reset")
    assert api.control("GET", "faults").json()["latency_ms"] == 0


def test_latency_is_added(api: Api) -> None:
    api.control("POST", "faults", {"latency_ms": 60})
    started = time.perf_counter()
    api.get(GROUPS)
    assert time.perf_counter() - started >= 0.06


def test_throttle_answers_the_gateways_429(api: Api, clock: ManualClock) -> None:
    api.control("POST", "faults", {"throttle_per_second": 2})
    assert [api.get(GROUPS).status_code for _ in range(3)] == [200, 200, 429]
    body = api.get(GROUPS).json()
    assert body == {
        "error_code": "APIGW.0308",
        "error_msg": "The throttling threshold has been reached: policy user over ratelimit,limit:2,time:1 second",
    }
    clock.advance(1.01)
    assert api.get(GROUPS).status_code == 200


def test_start_smart_live_is_limited_to_four_per_second(make_api: MakeApi, clock: ManualClock) -> None:
    api = make_api(rate_limits={"StartSmartLive": 4})
    room_id = api.room()
    codes = [api.start(room_id).status_code for _ in range(5)]
    assert codes == [202, 202, 202, 202, 429]
    assert "limit:4," in api.start(room_id).json()["error_msg"]
    assert api.get(GROUPS).status_code == 200  # other operations are not limited
    clock.advance(1.0)
    assert api.start(room_id).status_code == 202
    assert (
        api.get(f"/smart-live-rooms/{room_id}/smart-live-jobs").json()["count"] == 5
    )  # refused starts made none
    unlimited = make_api(rate_limits={})
    other_room = unlimited.room()
    assert all(unlimited.start(other_room).status_code == 202 for _ in range(10))


def test_room_create_and_update_are_limited_to_one_per_second_by_default(
    make_api: MakeApi, clock: ManualClock
) -> None:
    api = make_api(rate_limits=EmulatorConfig().rate_limits)  # the defaults, as `serve` runs without options
    assert api.control("GET", "faults").json()["rate_limits"] == {
        "StartSmartLive": 4,
        "CreateSmartLiveRoom": 1,
        "UpdateSmartLiveRoom": 1,
    }
    first = api.post("/smart-live-rooms", {"room_name": "one"})
    refused = api.post("/smart-live-rooms", {"room_name": "two"})
    assert first.status_code == 200 and error_of(refused) == (429, "APIGW.0308")
    assert "limit:1," in refused.json()["error_msg"]
    room_id = first.json()["room_id"]
    # Each operation has its own window: the update passes, a second update in the same second does not.
    assert api.put(f"/smart-live-rooms/{room_id}", {"room_name": "renamed"}).status_code == 200
    assert error_of(api.put(f"/smart-live-rooms/{room_id}", {"room_name": "again"})) == (429, "APIGW.0308")
    assert api.get(f"/smart-live-rooms/{room_id}").json()["room_name"] == "renamed"  # refused = no change
    assert api.get("/smart-live-rooms").json()["count"] == 1
    clock.advance(1.0)
    assert api.post("/smart-live-rooms", {"room_name": "two"}).status_code == 200
    assert api.put(f"/smart-live-rooms/{room_id}", {"room_name": "again"}).status_code == 200
    # Configurable like the others: here through the faults control.
    api.control("POST", "faults", {"rate_limits": {"CreateSmartLiveRoom": 3}})
    assert [api.post("/smart-live-rooms", {"room_name": f"r{i}"}).status_code for i in range(4)] == [
        200,
        200,
        200,
        429,
    ]


def test_drop_after_commit_commits_then_drops(api: Api) -> None:
    api.control("POST", "faults", {"drop_after_commit_rate": 1.0})
    with pytest.raises(httpx.TransportError):
        api.post(GROUPS, {"group_name": "dropped"})
    assert api.get(GROUPS).json()["count"] == 1  # reads are never dropped; the write happened
    with pytest.raises(httpx.TransportError):
        api.post(GROUPS, {"group_name": "dropped"})  # the blind retry makes a duplicate
    assert api.get(GROUPS, params={"group_name": "dropped"}).json()["count"] == 2
    api.control("POST", "faults", {"drop_after_commit_rate": 0.0})
    assert error_of(api.post(GROUPS, {})) == (400, "MSS.00000003")


def test_failed_writes_are_not_dropped(api: Api) -> None:
    api.control("POST", "faults", {"drop_after_commit_rate": 1.0})
    assert error_of(api.post(GROUPS, {})) == (400, "MSS.00000003")


def test_stats_count_by_template_and_reset(api: Api) -> None:
    api.control("POST", "stats/reset")
    room_id = api.room()
    api.get(GROUPS)
    api.get(GROUPS, sign=False)  # refused requests count too: the service saw them
    api.get(f"/smart-live-rooms/{room_id}/smart-live-jobs")
    stats = api.control("GET", "stats").json()
    assert stats == {
        "total": 4,
        "requests": {
            f"GET /v1/{{project_id}}{GROUPS}": 2,
            "GET /v1/{project_id}/smart-live-rooms/{room_id}/smart-live-jobs": 1,
            "POST /v1/{project_id}/smart-live-rooms": 1,
        },
        "commands": {},
    }
    assert api.control("POST", "stats/reset").json() == {"total": 0, "requests": {}, "commands": {}}


def test_reset_forgets_everything(api: Api) -> None:
    api.room()
    api.post(GROUPS, {"group_name": "g"})
    assert api.control("POST", "reset").status_code == 200
    assert api.get(GROUPS).json()["count"] == 0
    assert api.get("/smart-live-rooms").json()["count"] == 0
    assert api.control("GET", "health").json() == {"status": "ok", "project_id": PROJECT}


def test_controls_refuse_non_loopback_clients(api: Api) -> None:
    app = api.http.app  # type: ignore[union-attr]
    remote = InProcessClient(app, client=("192.0.2.7", 40000), owns_app=False)
    try:
        for method, path in (("GET", "health"), ("GET", "stats"), ("POST", "reset"), ("POST", "faults")):
            assert remote.request(method, f"{api.base_url}/_emulator/{path}").status_code == 403
        # The API itself is open to any client that authenticates.
        assert Api(remote, api.base_url).get(GROUPS).status_code == 200
    finally:
        remote.close()
    assert is_loopback("127.0.0.5") and is_loopback("::1") and not is_loopback("10.0.0.1")


def test_wire_json_is_to_wire_json(api: Api) -> None:
    """The gateway serialises with model_dump_json for speed; it must equal the project's wire helper."""
    from reconciler.api import models as m
    from reconciler.emulator.backend import GroupListQuery

    backend = app_of(api).state.emulator.backend
    room_id = api.room("房间")
    api.post(GROUPS, {"group_name": "欢迎词", "interaction_rules": [{"rule_name": "r", "enabled": False}]})
    api.job(room_id, {"play_policy": {"random_play_mode": "NONE"}, "stream_keys": ["k"]})
    answers = [
        backend.list_interaction_rule_groups(GroupListQuery()),
        backend.show_smart_live_room(room_id),
        backend.list_smart_live(room_id, JobQuery()),
    ]
    for answer in answers:
        assert answer.model_dump_json(exclude_none=True) == m.to_wire_json(answer)
