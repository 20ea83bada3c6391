"""Hostile requests (issue 15, item 17) and the fidelity items beside them: bodies the emulator must refuse
with a 4xx instead of a 500, reports signed with AK/SK, the job concurrency quota, jobs that end by
themselves."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from reconciler.emulator.clock import ManualClock
from tests.emulator.conftest import Api, MakeApi, error_of, signed_headers

GROUPS = "/smart-live-interaction-rule-groups"
DEEP = b'{"group_name": "g", "interaction_rules": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
COMMENT = {
    "timestamp": 1694481224245,
    "type": 1,
    "content": json.dumps({"user": {"userId": "1"}, "content": "hi"}),
}


def batch(*events: dict[str, Any]) -> dict[str, Any]:
    return {"total": len(events), "events": list(events)}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (DEEP, "nested more than 200 levels deep"),
        (b'{"group_name": "\\ud800"}', "half a surrogate pair"),
        (b'{"\\udfff": 1}', "half a surrogate pair"),
        (b'{"group_name": "g", "interaction_rules": [], "x": NaN}', "the body is not JSON"),
        (b"\xff\xfe{}", "the body is not JSON"),
    ],
    ids=["deep", "lone-surrogate", "surrogate-key", "nan", "not-utf8"],
)
def test_a_hostile_body_is_400_not_500(api: Api, raw: bytes, reason: str) -> None:
    response = api.post(GROUPS, raw=raw)
    assert error_of(response) == (400, "MSS.00000002")
    assert reason in response.json()["error_msg"]
    assert api.get(GROUPS).json()["count"] == 0


def test_a_body_over_12_mb_is_413_before_authentication(api: Api) -> None:
    """Huawei's API gateway refuses a body over 12 MB (413 APIG.0201); the signature is never checked,
    so the emulator never hashes (or holds) more than that."""
    raw = b'{"group_name": "g", "interaction_rules": []}' + b" " * (12 * 1024 * 1024)
    unsigned = api.post(GROUPS, raw=raw, sign=False)
    assert error_of(unsigned) == (413, "APIGW.0201")
    assert "Request entity too large" in unsigned.json()["error_msg"]
    # Also when the body arrives in chunks with no Content-Length to announce it.

    async def chunks() -> Any:
        for _ in range(13):
            yield b" " * (1024 * 1024)

    streamed = api.http.request(
        "POST", api.url(GROUPS), content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert error_of(streamed) == (413, "APIGW.0201")
    just_under = b'{"group_name": "g"}' + b" " * (12 * 1024 * 1024 - 100)
    assert api.post(GROUPS, raw=just_under).status_code == 200


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            b'{"rate_limits": {"StartSmartLive": -1}}',
            "rate_limits.StartSmartLive: Input should be greater than",
        ),
        (b'{"rate_limits": {"StartSmartLif": 2}}', "'StartSmartLif' is no operation of the API"),
        (b'{"latency_ms": 1e400}', "latency_ms: Input should be a finite number"),
        (b'{"error_rate": NaN}', "the body is not JSON"),
        (b"[" * 100_000, "nested more than 200 levels deep"),
        (b'{"\\ud800": 1}', "half a surrogate pair"),
        (b'{"max_active_jobs": -1}', "max_active_jobs: Input should be greater than or equal to 0"),
        (b'{"error_statuses": [1e400]}', "error_statuses[0]: Input should be a finite number"),
        (b'{"latncy_ms": 1}', "latncy_ms: Extra inputs are not permitted"),
        (b"[1]", "must be a JSON object"),
    ],
)
def test_a_bad_faults_body_is_400_with_the_reason(api: Api, body: bytes, reason: str) -> None:
    before = api.control("GET", "faults").json()
    response = api.http.request("POST", f"{api.base_url}/_emulator/faults", content=body)
    assert response.status_code == 400, response.text
    assert reason in response.json()["error_msg"]
    assert api.control("GET", "faults").json() == before  # nothing of it applied


def test_a_report_signed_with_ak_sk_needs_no_auth_key(api: Api) -> None:
    """Seeds 000/001: auth_key and expires_time are optional, and their example call is signed with AK/SK
    and carries none. API.md: a report is authenticated by either."""
    room_id = api.room()
    started = api.start(room_id).json()
    job_id, url = started["job_id"], started["live_event_report_url"]
    path = f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/live-event-report"
    assert api.post(path, batch(COMMENT)).status_code == 200  # signed, no key
    assert api.post(path, batch(COMMENT), params={"refresh_url": "true"}).status_code == 200
    # A wrong signature with no key is the signature's 401; no credentials at all, the URL's.
    forged = {"Authorization": signed_headers("POST", api.url(path), b"{}")["Authorization"]}
    assert error_of(api.post(path, batch(COMMENT), sign=False, headers=forged)) == (401, "APIGW.0301")
    assert error_of(api.post(path, batch(COMMENT), sign=False)) == (401, "MSS.00000001")
    # A valid key is enough even beside a signature that does not verify.
    parts = urlsplit(url)
    keyed = api.http.request(
        "POST",
        f"{api.base_url}{parts.path}?{parts.query}",
        content=json.dumps(batch(COMMENT)).encode(),
        headers=forged,
    )
    assert keyed.status_code == 200, keyed.text
    assert api.control("GET", f"events/{job_id}").json()["count"] == 3


def test_a_report_with_a_token_needs_no_auth_key(make_api: MakeApi) -> None:
    api = make_api(token="tok-1")
    room_id = api.room()
    job_id = api.job(room_id)
    path = f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/live-event-report"
    ok = api.post(path, batch(COMMENT), sign=False, headers={"X-Auth-Token": "tok-1"})
    assert ok.status_code == 200, ok.text
    refused = api.post(path, batch(COMMENT), sign=False, headers={"X-Auth-Token": "tok-2"})
    assert error_of(refused) == (401, "APIGW.0301")


def test_the_job_concurrency_quota(make_api: MakeApi) -> None:
    api = make_api(max_active_jobs=2)
    rooms = [api.room(f"r{i}") for i in range(3)]
    first, _ = api.job(rooms[0]), api.job(rooms[1])
    refused = api.start(rooms[2])
    assert error_of(refused) == (403, "MSS.41000012")
    assert "quota" in refused.json()["error_msg"]
    api.post(f"/smart-live-rooms/{rooms[0]}/smart-live-jobs/{first}/stop")
    assert api.start(rooms[2]).status_code == 202  # a stopped job frees its place
    # A fault setting: raised, lowered, lifted at run time.
    assert api.control("POST", "faults", {"max_active_jobs": 3}).json()["max_active_jobs"] == 3
    assert api.start(rooms[0]).status_code == 202
    api.control("POST", "faults", {"max_active_jobs": 0})
    assert error_of(api.start(rooms[1])) == (403, "MSS.41000012")
    api.control("POST", "faults", {"max_active_jobs": None})
    assert api.start(rooms[1]).status_code == 202


@pytest.mark.parametrize("state", ["FAILED", "BLOCKED", "SUCCEED"])
def test_a_running_job_ends_by_itself(api: Api, clock: ManualClock, state: str) -> None:
    room_id = api.room()
    job_id = api.job(room_id)
    clock.advance(10)
    ended = api.control("POST", f"jobs/{job_id}/end", {"state": state})
    assert ended.status_code == 200 and ended.json() == {"job_id": job_id, "state": state}
    shown = api.show_job(room_id, job_id)
    assert shown["state"] == state and shown["end_time"]
    # Ended as the service ends it: no more events, no stop, and the room takes a new job.
    assert error_of(api.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/stop")) == (
        400,
        "MSS.20020001",
    )
    again = api.control("POST", f"jobs/{job_id}/end", {"state": "FAILED"})
    assert again.status_code == 400 and "MSS.20020001" in again.text
    assert api.start(room_id).status_code == 202


def test_ending_a_job_names_what_is_wrong(api: Api) -> None:
    job_id = api.job(api.room())
    for body, status in (({"state": "PROCESSING"}, 400), ({"state": 3}, 400), ({"state": "DONE"}, 400)):
        response = api.control("POST", f"jobs/{job_id}/end", body)
        assert response.status_code == status, (body, response.text)
    assert api.control("POST", "jobs/no-such-job/end", {"state": "FAILED"}).status_code == 404
