"""live-event-report: the URL's own authentication, the checks of seed 000/001, storage, refresh_url."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from reconciler.emulator.app import create_app
from reconciler.emulator.clock import ManualClock
from reconciler.emulator.config import DEFAULT_EVENT_URL_TTL, EmulatorConfig
from tests.emulator.conftest import AK, PROJECT, SEED_EXAMPLES, SK, Api, InProcessClient, error_of

USER = {"userId": "2027271526", "name": "viewer", "level": 17, "badge": "", "badgeLevel": 0}


def event(kind: int, content: Any, timestamp: int = 1694481224245) -> dict[str, Any]:
    return {
        "timestamp": timestamp,
        "type": kind,
        "content": content if isinstance(content, str) else json.dumps(content),
    }


def batch(*events: dict[str, Any]) -> dict[str, Any]:
    return {"total": len(events), "events": list(events)}


COMMENT = event(1, {"user": USER, "content": "hello"})


@pytest.fixture
def live(api: Api) -> tuple[str, str, str]:
    room_id = api.room()
    response = api.start(room_id)
    return room_id, response.json()["job_id"], response.json()["live_event_report_url"]


def test_events_are_stored_in_order(api: Api, live: tuple[str, str, str]) -> None:
    _, job_id, url = live
    examples = [
        json.loads((SEED_EXAMPLES / f"001_live_event_type{n}_example.json").read_text())
        for n in (1, 2, 3, 4, 6)
    ]
    assert api.report(url, batch(*examples)).status_code == 200
    assert api.report(url, batch(event(5, "anything at all"), event(42, "free too"))).status_code == 200
    stored = api.control("GET", f"events/{job_id}").json()
    assert stored["count"] == 7
    # The seed's type=3 example is a copy of the type=2 one, type included.
    assert [e["type"] for e in stored["events"]] == [1, 2, 2, 4, 6, 5, 42]
    assert stored["events"][0]["content"] == examples[0]["content"]


def test_auth_key_as_query_or_headers(api: Api, live: tuple[str, str, str]) -> None:
    _, job_id, url = live
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    bare = f"{parts.scheme}://{parts.netloc}{parts.path}"
    headers = {"x-mss-auth-key": query["auth_key"][0], "x-mss-expires-time": query["expires_time"][0]}
    assert api.report(bare, batch(COMMENT), headers=headers).status_code == 200
    assert api.control("GET", f"events/{job_id}").json()["count"] == 1


def test_missing_wrong_or_expired_auth_is_401(
    api: Api, live: tuple[str, str, str], clock: ManualClock
) -> None:
    room_id, job_id, url = live
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    key, expires = query["auth_key"][0], int(query["expires_time"][0])
    bare = f"{parts.scheme}://{parts.netloc}{parts.path}"
    wrong_key = f"{bare}?auth_key={'0' * 64}&expires_time={expires}"
    other_expiry = f"{bare}?auth_key={key}&expires_time={expires + 1}"
    for attempt in (
        bare,
        f"{bare}?auth_key={key}",
        f"{bare}?expires_time={expires}",
        wrong_key,
        other_expiry,
    ):
        assert error_of(api.report(attempt, batch(COMMENT))) == (401, "MSS.00000001"), attempt
    # The key of one job does not open another.
    other_job = api.start(room_id).json()["job_id"]
    assert error_of(api.report(url.replace(job_id, other_job), batch(COMMENT))) == (401, "MSS.00000001")
    clock.advance(DEFAULT_EVENT_URL_TTL + 1)
    assert error_of(api.report(url, batch(COMMENT))) == (401, "MSS.00000001")
    assert api.control("GET", f"events/{job_id}").json()["count"] == 0


def test_auth_is_checked_before_the_body(api: Api, live: tuple[str, str, str]) -> None:
    url = live[2].split("?")[0]
    assert error_of(api.report(url, {"total": 0})) == (401, "MSS.00000001")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"total": 2, "events": [COMMENT]}, "total"),
        ({"total": 1}, "total"),
        ({"total": 0, "events": []}, "total"),
        ({"total": 1001, "events": [COMMENT] * 1001}, "total"),
        (batch({**COMMENT, "timestamp": 4102415999001}), "events[0].timestamp"),
        (batch({**COMMENT, "timestamp": -1}), "events[0].timestamp"),
        (batch({**COMMENT, "type": 101}), "events[0].type"),
        (batch({"type": 1, "content": COMMENT["content"]}), "events[0].timestamp"),
        (batch(COMMENT, event(1, '"just a JSON string"')), "events[1].content"),
        (batch(event(1, {"user": USER})), "events[0].content.content"),
        (batch(event(4, {"user": USER, "gift": {"giftNum": "ten"}})), "events[0].content.gift.giftNum"),
        (batch(event(6, {"numberOfViewers": "many"})), "events[0].content.numberOfViewers"),
        (batch(event(2, [USER])), "events[0].content"),
        (batch({"timestamp": 1, "type": 3}), "events[0].content"),
        (batch({**COMMENT, "colour": "red"}), "events[0].colour"),
    ],
)
def test_body_checks_name_the_field(
    api: Api, live: tuple[str, str, str], body: dict[str, Any], field: str
) -> None:
    _, job_id, url = live
    response = api.report(url, body)
    assert error_of(response) == (400, "MSS.00000003")
    assert field in response.json()["error_msg"]
    assert api.control("GET", f"events/{job_id}").json()["count"] == 0


def test_content_that_is_not_json_is_opaque(api: Api, live: tuple[str, str, str]) -> None:
    # Seed 000/001's own request example sends type 1 with content "xxxxx": accepted, stored as sent.
    _, job_id, url = live
    example = json.loads((SEED_EXAMPLES / "001_live_event_report_request.json").read_text())
    assert api.report(url, example).status_code == 200
    assert api.control("GET", f"events/{job_id}").json()["events"][0]["content"] == "xxxxx"


def test_thousand_events_at_once(api: Api, live: tuple[str, str, str]) -> None:
    _, job_id, url = live
    events = [event(6, {"numberOfViewers": n}, timestamp=1700000000000 + n) for n in range(1000)]
    assert api.report(url, batch(*events)).status_code == 200
    stored = api.control("GET", f"events/{job_id}").json()["events"]
    assert [json.loads(e["content"])["numberOfViewers"] for e in stored] == list(range(1000))


def test_unknown_platform_keys_in_content_are_kept(api: Api, live: tuple[str, str, str]) -> None:
    _, job_id, url = live
    content = {"user": {**USER, "avatar": "a.png"}, "content": "hi", "platform": "douyin"}
    assert api.report(url, batch(event(1, content))).status_code == 200
    assert json.loads(api.control("GET", f"events/{job_id}").json()["events"][0]["content"]) == content


def test_refresh_url_returns_a_fresh_url(api: Api, live: tuple[str, str, str], clock: ManualClock) -> None:
    room_id, job_id, url = live
    same = api.report(url, batch(COMMENT))
    assert same.json() == {"live_event_report_url": url}
    clock.advance(60)
    refreshed = api.report(url + "&refresh_url=true", batch(COMMENT)).json()["live_event_report_url"]
    assert refreshed != url
    assert int(parse_qs(urlsplit(refreshed).query)["expires_time"][0]) > int(
        parse_qs(urlsplit(url).query)["expires_time"][0]
    )
    assert api.show_job(room_id, job_id)["live_event_report_url"] == refreshed
    assert api.report(refreshed, batch(COMMENT)).status_code == 200
    assert error_of(api.report(url + "&refresh_url=maybe", batch(COMMENT))) == (400, "MSS.00000003")


def test_finished_job_takes_no_events(api: Api, live: tuple[str, str, str]) -> None:
    room_id, job_id, url = live
    api.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/stop")
    assert error_of(api.report(url, batch(COMMENT))) == (400, "MSS.20020001")


def test_the_rule_engine_hook_sees_stored_events(clock: ManualClock) -> None:
    seen: list[tuple[str, list[int | None]]] = []
    config = EmulatorConfig(ak=AK, sk=SK, project_id=PROJECT, clock=clock)
    app = create_app(
        config, on_events=lambda job, events: seen.append((job.job_id, [e.type for e in events]))
    )
    client = InProcessClient(app)
    try:
        api = Api(client, "http://emulator.test")
        started = api.start(api.room()).json()
        api.report(started["live_event_report_url"], batch(COMMENT, event(6, {"numberOfViewers": 3})))
        api.report(started["live_event_report_url"], {"total": 2, "events": [COMMENT]})  # refused: not seen
    finally:
        client.close()
    assert seen == [(started["job_id"], [1, 6])]


def test_events_of_unknown_job(api: Api) -> None:
    assert api.control("GET", "events/nope").status_code == 404


def test_redact_hides_the_auth_key(live: tuple[str, str, str]) -> None:
    from reconciler.emulator.eventurl import redact

    url = live[2]
    key = parse_qs(urlsplit(url).query)["auth_key"][0]
    assert key not in redact(url) and "auth_key=***&expires_time=" in redact(url)
