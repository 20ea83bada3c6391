"""The emulator reacts to live events: each job runs the rules its room held when it started (copies, as
sent), replies recorded, callbacks sent to loopback receivers only, signed as the service signs them."""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from reconciler.api import models as m
from reconciler.emulator.app import create_app
from reconciler.emulator.callbacks_out import loopback_host, redact_url, refusal
from reconciler.emulator.clock import ManualClock
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.reactions import ENGINE_SEED
from reconciler.events.callbacks import verify_callback
from reconciler.events.engine import RuleEngine
from tests.emulator.conftest import AK, PROJECT, SK, Api, InProcessClient, MakeApi, app_of

USER = {"userId": "u1", "name": "ann", "level": 3, "badge": "", "badgeLevel": 0}
VIP = {**USER, "userId": "u2", "level": 30}
T0 = 1_700_000_000_000
KEY = "cb-key-0123456789"


def comment(text: str, at: int = T0, user: dict[str, Any] = USER) -> dict[str, Any]:
    return {"timestamp": at, "type": 1, "content": json.dumps({"user": user, "content": text})}


def entry(at: int = T0, user: dict[str, Any] = USER) -> dict[str, Any]:
    return {"timestamp": at, "type": 2, "content": json.dumps({"user": user})}


def gift(value: int, at: int = T0) -> dict[str, Any]:
    content = {
        "user": USER,
        "gift": {"giftName": "star", "giftNum": 1, "totalValue": value, "giftValue": value},
    }
    return {"timestamp": at, "type": 4, "content": json.dumps(content)}


def batch(*events: dict[str, Any]) -> dict[str, Any]:
    return {"total": len(events), "events": list(events)}


def rule(name: str, event_type: int, texts: list[str], **trigger: Any) -> dict[str, Any]:
    tags = trigger.pop("tags", None)
    found: dict[str, Any] = {"rule_name": name, "event_type": event_type}
    if "enabled" in trigger:
        found["enabled"] = trigger.pop("enabled")
    priority = trigger.pop("priority", None)
    if tags or priority is not None:
        found["hit_condition"] = {"relation": "AND", "tags": tags or [], "priority": priority}
    found["trigger"] = {"reply_texts": texts, **trigger}
    return found


KEYWORD = [{"tag": "content", "operation": "NONE", "match": "REGEX", "value": "price"}]
RULES = [
    rule("price", 1, ["It is 99.", "Only 99 today."], tags=KEYWORD, priority=10),
    rule("chatter", 1, ["Thanks for chatting!"], reply_mode="SYSTEM_REPLY", time_window=60),
    rule("welcome", 2, ["Hi!", "Hello!", "Welcome!"], reply_order="RANDOM", time_window=-1),
    rule("thanks", 4, ["Thank you!"], reply_mode="CALLBACK"),
]


# ----------------------------------------------------------------------------------------------------
# A loopback receiver
# ----------------------------------------------------------------------------------------------------


@dataclass
class Received:
    path: str  # the request target: path and query
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Receiver:
    base_url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.requests)


#: A throwaway self-signed certificate for 127.0.0.1/localhost, for https receivers in tests only (the
#: emulator does not verify loopback certificates). Valid until 2126.
TEST_TLS_PEM = """\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1/FcwmPxLOndluHF
PKi4E6gDKaJcwmY5qMVhVi4yvJChRANCAATdpyPGzXFVtEzeV06F9GSg91m5SIzD
AO7NUw4l08OaH3Z3DocLLz4i0yMzu4HK9DahvtKjH1eMUk5piutN2mgF
-----END PRIVATE KEY-----
-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUHWS3SjZ5/b6v/FI4ibYv4MQLV3cwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyMTE5NTczMloYDzIxMjYxMDI4
MTk1NzMyWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATdpyPGzXFVtEzeV06F9GSg91m5SIzDAO7NUw4l08OaH3Z3DocLLz4i
0yMzu4HK9DahvtKjH1eMUk5piutN2mgFo28wbTAdBgNVHQ4EFgQUp7p6O7XzvCsi
VF7C6fwL/jwGn7EwHwYDVR0jBBgwFoAUp7p6O7XzvCsiVF7C6fwL/jwGn7EwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIgENlE1oupRRTDkRRzomkHzy6Uuz8JVOcFR64mFUt5hF8CIQDB
Lh7/hAlHnGbiSyAgVao+xn9YNfSgxiRp5yUBbDmJPA==
-----END CERTIFICATE-----
"""


@contextmanager
def running_receiver(tls: bool = False, tmp: Path | None = None) -> Iterator[Receiver]:
    """A loopback HTTP(S) server on a free port that records every POST and answers `status`."""
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            if state.delay:
                time.sleep(state.delay)
            state.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(body))
            )
            self.send_response(state.status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    scheme = "http"
    if tls:
        assert tmp is not None
        pem = tmp / "receiver.pem"
        pem.write_text(TEST_TLS_PEM, encoding="ascii")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pem)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    state.base_url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as state:
        yield state


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[Receiver]:
    with running_receiver(tls=True, tmp=tmp_path) as state:
        yield state


# ----------------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------------


@dataclass
class Live:
    api: Api
    room_id: str
    job_id: str
    url: str

    def report(self, *events: dict[str, Any]) -> None:
        response = self.api.report(self.url, batch(*events))
        assert response.status_code == 200, response.text

    def replies(self) -> list[dict[str, Any]]:
        response = self.api.control("GET", f"replies/{self.job_id}")
        assert response.status_code == 200, response.text
        return list(response.json()["replies"])

    def callbacks(self, wait: float = 5.0) -> list[dict[str, Any]]:
        response = self.api.http.request(
            "GET", f"{self.api.base_url}/_emulator/callbacks/{self.job_id}", params={"wait": wait}
        )
        assert response.status_code == 200, response.text
        assert response.json()["pending"] == 0
        return list(response.json()["callbacks"])


def start(api: Api, room: dict[str, Any], job: dict[str, Any] | None = None) -> Live:
    room_id = api.room(**room)
    response = api.start(room_id, job or {})
    assert response.status_code == 202, response.text
    return Live(api, room_id, response.json()["job_id"], response.json()["live_event_report_url"])


def predicted(
    rules: list[dict[str, Any]], events: list[dict[str, Any]]
) -> list[tuple[int, str | None, str | None]]:
    engine = RuleEngine([m.InteractionRuleInfo.model_validate(r) for r in rules], seed=ENGINE_SEED)
    out = []
    for index, event in enumerate(events):
        outcome = engine.evaluate(m.LiveEvent.model_validate(event))
        if outcome.fired:
            out.append((index, outcome.rule_name, outcome.reply.text if outcome.reply else None))
    return out


def seen(replies: list[dict[str, Any]]) -> list[tuple[int, str | None, str | None]]:
    return [(r["event_index"], r["rule_name"], r["reply_text"]) for r in replies]


# ----------------------------------------------------------------------------------------------------
# Replies
# ----------------------------------------------------------------------------------------------------


def test_replies_are_what_the_engine_predicts(api: Api) -> None:
    live = start(api, {"interaction_rules": RULES})
    stream = [
        comment("what is the price?"),
        comment("nice", T0 + 1000),
        comment("lol", T0 + 2000),  # chatter is inside its 60 s window: nothing
        entry(T0 + 3000),
        entry(T0 + 4000, VIP),  # welcome fires once per job
        comment("price again", T0 + 5000),
        {"timestamp": T0 + 6000, "type": 6, "content": json.dumps({"numberOfViewers": 10})},  # no rules
    ]
    live.report(*stream[:3])
    live.report(*stream[3:])  # the engine's state carries over from one report to the next
    replies = live.replies()
    expected = predicted(RULES, stream)
    assert seen(replies) == expected
    assert [name for _, name, _ in expected] == ["price", "chatter", "welcome", "price"]
    # ORDER round-robins across reports: the second "price" says the second text.
    assert [r["reply_text"] for r in replies if r["rule_name"] == "price"] == ["It is 99.", "Only 99 today."]
    first = replies[0]
    assert (
        first["event_timestamp"] == T0 and first["event_type"] == 1 and first["reply_mode"] == "SYSTEM_REPLY"
    )
    assert first["spoken"] is True and first["callback"] is False and len(first["reply_id"]) == 32
    assert len({r["reply_id"] for r in replies}) == len(replies)
    assert live.callbacks() == []  # no callback mode, no callback config


def test_random_replies_replay_with_seed_zero(make_api: MakeApi) -> None:
    rules = [rule("welcome", 2, ["a", "b", "c", "d", "e"], reply_order="RANDOM")]
    stream = [entry(T0 + i * 1000) for i in range(20)]
    texts = []
    for _ in range(2):  # two emulators, two jobs: the same sequence, the one `smartlive test` predicts
        live = start(make_api(), {"interaction_rules": rules})
        live.report(*stream)
        texts.append([r["reply_text"] for r in live.replies()])
    assert texts[0] == texts[1] == [text for _, _, text in predicted(rules, stream)]
    assert len(set(texts[0])) > 1


def test_disabled_rules_never_fire(api: Api) -> None:
    rules = [
        rule("off", 1, ["never"], enabled=False, priority=1),
        rule("on", 1, ["yes"], priority=900),
    ]
    live = start(api, {"interaction_rules": rules})
    live.report(comment("a"), comment("b", T0 + 1))
    assert [r["rule_name"] for r in live.replies()] == ["on", "on"]


def test_a_room_without_rules_stores_events_and_records_nothing(api: Api) -> None:
    live = start(api, {})
    live.report(comment("hello"), entry(), gift(5))
    assert api.control("GET", f"events/{live.job_id}").json()["count"] == 3
    assert live.replies() == []
    assert live.callbacks() == []


def test_replies_and_callbacks_of_unknown_jobs_are_404(api: Api) -> None:
    assert api.control("GET", "replies/nope").status_code == 404
    assert api.control("GET", "callbacks/nope").status_code == 404


def test_callbacks_wait_must_be_a_bounded_number(api: Api) -> None:
    live = start(api, {})
    for bad in ("soon", "-1", "11"):
        response = api.http.request(
            "GET", f"{api.base_url}/_emulator/callbacks/{live.job_id}", params={"wait": bad}
        )
        assert response.status_code == 400


# ----------------------------------------------------------------------------------------------------
# Rules in a room are copies (docs/emulator-rooms.md)
# ----------------------------------------------------------------------------------------------------


def make_group(api: Api, name: str, rules: list[dict[str, Any]]) -> str:
    response = api.post(
        "/smart-live-interaction-rule-groups", {"group_name": name, "interaction_rules": rules}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["group_id"])


def copies(api: Api, group_id: str) -> list[dict[str, Any]]:
    """A group's rules as a console import copies them into a room: rule fields plus where they came from."""
    shown = api.get(f"/smart-live-interaction-rule-groups/{group_id}").json()
    server = {"rule_id", "create_time", "update_time"}
    return [
        {
            **{k: v for k, v in r.items() if k not in server},
            "group_id": group_id,
            "group_name": shown["group_name"],
        }
        for r in shown["interaction_rules"]
    ]


def test_a_group_edit_changes_neither_the_room_nor_its_running_job(api: Api) -> None:
    group_id = make_group(api, "faq", [rule("v1", 1, ["one"])])
    room_id = api.room(interaction_rules=copies(api, group_id))
    room_before = api.get(f"/smart-live-rooms/{room_id}").json()
    first = api.start(room_id).json()
    response = api.put(
        f"/smart-live-interaction-rule-groups/{group_id}",
        {"group_name": "faq", "interaction_rules": [rule("v2", 1, ["two"])]},
    )
    assert response.status_code == 200
    room_after = api.get(f"/smart-live-rooms/{room_id}").json()
    assert room_after == room_before  # the room holds its copies; not even update_time moved
    assert room_after["interaction_rules"][0]["group_id"] == group_id
    second = api.start(room_id).json()  # a new job of the same room runs the room's copies too
    for started in (first, second):
        assert api.report(started["live_event_report_url"], batch(comment("x"))).status_code == 200
        replies = api.control("GET", f"replies/{started['job_id']}").json()["replies"]
        assert [(r["rule_name"], r["reply_text"]) for r in replies] == [("v1", "one")]


def test_a_room_stores_its_rules_exactly_as_sent(api: Api) -> None:
    sent = [
        {**RULES[0], "group_id": "g-1", "group_name": "faq", "enabled_scenes": ["opening"]},
        RULES[3],
    ]
    room_id = api.room(interaction_rules=sent)
    # No rule_index, rule_id or enabled filled in: the copies are what the client sent.
    assert api.get(f"/smart-live-rooms/{room_id}").json()["interaction_rules"] == sent


def test_an_entry_that_only_names_a_group_imports_nothing(api: Api) -> None:
    """No documented import by reference: the entry stays as sent, a rule that matches no event."""
    group_id = make_group(api, "faq", RULES[:2])
    live = start(api, {"interaction_rules": [{"group_name": "faq"}, {"group_id": group_id}, RULES[3]]})
    shown = api.get(f"/smart-live-rooms/{live.room_id}").json()
    assert shown["interaction_rules"][:2] == [{"group_name": "faq"}, {"group_id": group_id}]
    record = api.control("GET", f"jobs/{live.job_id}").json()
    assert [r.get("rule_name") for r in record["interaction_rules"]] == [None, None, "thanks"]
    assert record["rule_problems"] == [
        "interaction_rules[0]: no event_type, it matches no event; it names group 'faq', but a room "
        "holds copies of rules, not references to a group",
        f"interaction_rules[1]: no event_type, it matches no event; it names group '{group_id}', but a "
        "room holds copies of rules, not references to a group",
    ]
    live.report(comment("price?"), gift(1))
    assert [r["rule_name"] for r in live.replies()] == ["thanks"]  # the group's "price" never runs


def test_copied_comment_rules_count_for_the_start_warnings(api: Api) -> None:
    group_id = make_group(api, "comments", [rule(f"c{i}", 1, ["x"]) for i in range(3)])
    by_copy = api.start(api.room(interaction_rules=copies(api, group_id)))
    assert "TOO_LESS_DANMAKU_RULES" not in {w["warning_type"] for w in by_copy.json()["live_warning_info"]}
    by_name = api.start(api.room(interaction_rules=[{"group_id": group_id}]))
    assert "TOO_LESS_DANMAKU_RULES" in {w["warning_type"] for w in by_name.json()["live_warning_info"]}


def test_rules_that_cannot_run_are_reported_and_react_to_nothing(api: Api) -> None:
    broken = rule(
        "broken", 1, ["x"], tags=[{"tag": "content", "operation": "NONE", "match": "REGEX", "value": "("}]
    )
    live = start(api, {"interaction_rules": [broken]})
    problems = api.control("GET", f"jobs/{live.job_id}").json()["rule_problems"]
    assert len(problems) == 1 and "does not compile" in problems[0]
    live.report(comment("("))
    assert live.replies() == []


# ----------------------------------------------------------------------------------------------------
# Callbacks
# ----------------------------------------------------------------------------------------------------


def test_callback_mode_posts_the_reply_to_the_interaction_callback_url(api: Api, receiver: Receiver) -> None:
    rules = [
        RULES[3],
        rule("both", 1, ["Said and sent"], reply_mode="SYSTEM_REPLY_AND_CALLBACK"),
        rule("layer", 2, [], reply_mode="SHOW_LAYER"),
    ]
    url = f"{receiver.base_url}/interact?token=tok-secret-1"
    live = start(api, {"interaction_rules": rules}, {"interaction_callback_url": url})
    live.report(gift(1), comment("hello", T0 + 1), entry(T0 + 2))
    callbacks = live.callbacks()
    replies = live.replies()
    assert [r["reply_mode"] for r in replies] == ["CALLBACK", "SYSTEM_REPLY_AND_CALLBACK", "SHOW_LAYER"]
    assert [c["type"] for c in callbacks] == ["INTERACTION", "INTERACTION"]
    assert all(c["state"] == "delivered" and c["status_code"] == 200 for c in callbacks)
    got = receiver.wait_for(2)
    assert [r.path for r in got] == ["/interact?token=tok-secret-1"] * 2
    assert got[0].body == {
        "room_id": live.room_id,
        "job_id": live.job_id,
        "reply_id": replies[0]["reply_id"],
        "rule_name": "thanks",
        "rule_index": None,  # a room's own rule has none unless given (a group numbers its rules)
        "reply_mode": "CALLBACK",
        "reply_text": "Thank you!",
        "reply_audio": None,
        "event": gift(1),
    }
    assert got[1].body["reply_id"] == replies[1]["reply_id"] and got[1].body["event"] == comment(
        "hello", T0 + 1
    )
    assert got[0].headers["content-type"].startswith("application/json")
    assert "x-hw-mss-secret" not in got[0].headers  # the URL carries its own authentication
    # The record: URL with its query values masked, headers by name, the body as sent.
    assert callbacks[0]["url"] == f"{receiver.base_url}/interact?token=******"
    assert callbacks[0]["headers"] == ["content-type"] and callbacks[0]["body"] == got[0].body
    assert "tok-secret-1" not in json.dumps(callbacks)


@pytest.mark.parametrize("auth_type", ["MSS_A", "MSS_A_HEAD"])
def test_reply_command_finish_is_signed(
    auth_type: str, api: Api, receiver: Receiver, clock: ManualClock
) -> None:
    config = {
        "live_event_type_callback_url": f"{receiver.base_url}/smartlive/events",
        "auth_type": auth_type,
        "key": KEY,
        "callback_event_type": ["RTMP_STREAM_STATE_CHANGE", "REPLY_COMMAND_FINISH"],
    }
    live = start(api, {"interaction_rules": RULES}, {"live_event_callback_config": config})
    live.report(comment("price?"), gift(1, T0 + 1), entry(T0 + 2))
    replies = live.replies()
    callbacks = live.callbacks()
    # Spoken replies only: the CALLBACK-mode "thanks" is not played, so it has no REPLY_COMMAND_FINISH.
    spoken = [r for r in replies if r["spoken"]]
    assert [r["rule_name"] for r in spoken] == ["price", "welcome"]
    # In the order the events caused them.
    assert [c["type"] for c in callbacks] == ["REPLY_COMMAND_FINISH", "INTERACTION", "REPLY_COMMAND_FINISH"]
    assert callbacks[1]["state"] == "not_delivered"  # CALLBACK mode, but the job has no interaction URL
    assert callbacks[1]["error"] == "not delivered: the job has no interaction_callback_url"
    got = receiver.wait_for(2)
    assert len(got) == 2
    for request, reply in zip(got, spoken, strict=True):
        message = {"room_id": live.room_id, "job_id": live.job_id, "reply_id": reply["reply_id"]}
        assert request.body == {
            "event_type": "REPLY_COMMAND_FINISH",
            "message": json.dumps(message, separators=(",", ":")),
        }
        url = receiver.base_url + request.path
        result = verify_callback(url, KEY, headers=request.headers, auth_type=auth_type, now=clock.now())
        assert result, result.reason
        assert not verify_callback(
            url, "wrong-key", headers=request.headers, auth_type=auth_type, now=clock.now()
        )
        if auth_type == "MSS_A":
            assert "hwSecret=" in request.path and "x-hw-mss-secret" not in request.headers
        else:
            assert "?" not in request.path and "x-hw-mss-time" in request.headers
    recorded = callbacks[0]
    assert recorded["auth_type"] == auth_type and recorded["state"] == "delivered"
    if auth_type == "MSS_A":
        assert "hwSecret=******" in recorded["url"] and "hwTime=" in recorded["url"]
    else:
        assert recorded["headers"] == ["content-type", "x-hw-mss-secret", "x-hw-mss-time"]
    assert KEY not in json.dumps(callbacks)
    assert verify_callback.__module__ == "reconciler.events.callbacks"


def test_https_loopback_receivers_get_callbacks(api: Api, tls_receiver: Receiver, clock: ManualClock) -> None:
    """The service wants https callback URLs: a local receiver's self-signed certificate is accepted."""
    config = {
        "live_event_type_callback_url": f"{tls_receiver.base_url}/events",
        "auth_type": "MSS_A_HEAD",
        "key": KEY,
        "callback_event_type": ["REPLY_COMMAND_FINISH"],
    }
    job = {"interaction_callback_url": f"{tls_receiver.base_url}/cb", "live_event_callback_config": config}
    live = start(
        api, {"interaction_rules": [rule("both", 1, ["hi"], reply_mode="SYSTEM_REPLY_AND_CALLBACK")]}, job
    )
    live.report(comment("hello"))
    assert [c["state"] for c in live.callbacks()] == ["delivered", "delivered"]
    interaction, finish = tls_receiver.wait_for(2)
    assert interaction.path == "/cb" and finish.path == "/events"
    assert verify_callback(tls_receiver.base_url + finish.path, KEY, headers=finish.headers, now=clock.now())


def test_reply_command_finish_only_when_subscribed_and_none_is_unsigned(api: Api, receiver: Receiver) -> None:
    base = {"live_event_type_callback_url": f"{receiver.base_url}/events", "auth_type": "NONE"}
    unsubscribed = start(api, {"interaction_rules": RULES}, {"live_event_callback_config": base})
    unsubscribed.report(comment("price?"))
    assert unsubscribed.callbacks() == []
    # The room's config applies when the job has none.
    subscribed = start(
        api,
        {
            "interaction_rules": RULES,
            "live_event_callback_config": {**base, "callback_event_type": ["REPLY_COMMAND_FINISH"]},
        },
    )
    subscribed.report(comment("price?"))
    assert [c["state"] for c in subscribed.callbacks()] == ["delivered"]
    (request,) = receiver.wait_for(1)
    assert request.path == "/events" and "x-hw-mss-secret" not in request.headers


def test_unknown_auth_type_is_not_sent(api: Api, receiver: Receiver) -> None:
    config = {
        "live_event_type_callback_url": f"{receiver.base_url}/events",
        "auth_type": "MEITUAN_DEFAULT",
        "callback_event_type": ["REPLY_COMMAND_FINISH"],
    }
    live = start(api, {"interaction_rules": RULES}, {"live_event_callback_config": config})
    live.report(comment("price?"))
    (callback,) = live.callbacks()
    assert callback["state"] == "not_delivered" and "MEITUAN_DEFAULT" in callback["error"]
    assert receiver.requests == []


def test_non_loopback_hosts_are_never_contacted(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[str] = []

    def no_network(*args: Any, **kw: Any) -> Any:
        attempts.append(repr(args))
        raise AssertionError("the emulator tried the network")

    async def no_transport(self: Any, request: httpx.Request) -> httpx.Response:
        attempts.append(str(request.url))
        raise AssertionError("the emulator opened an HTTP request")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", no_transport)
    config = {
        "live_event_type_callback_url": "https://hooks.example.com/smartlive/events",
        "auth_type": "MSS_A",
        "key": KEY,
        "callback_event_type": ["REPLY_COMMAND_FINISH"],
    }
    job = {
        "interaction_callback_url": "http://10.1.2.3:8080/interact?token=t0k",
        "live_event_callback_config": config,
    }
    live = start(
        api, {"interaction_rules": [rule("both", 1, ["hi"], reply_mode="SYSTEM_REPLY_AND_CALLBACK")]}, job
    )
    live.report(comment("hello"))
    callbacks = live.callbacks()
    assert [(c["type"], c["state"]) for c in callbacks] == [
        ("INTERACTION", "not_delivered"),
        ("REPLY_COMMAND_FINISH", "not_delivered"),
    ]
    assert callbacks[0]["error"].startswith("not delivered: non-loopback host 10.1.2.3")
    assert callbacks[1]["error"].startswith("not delivered: non-loopback host hooks.example.com")
    assert callbacks[1]["url"].startswith(
        "https://hooks.example.com/smartlive/events?hwSecret=******&hwTime="
    )
    assert callbacks[0]["status_code"] is None and callbacks[0]["finish_time"] is not None
    assert attempts == []


def test_a_failed_delivery_is_recorded_and_not_retried(api: Api, receiver: Receiver) -> None:
    receiver.status = 503
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there
    live = start(
        api,
        {"interaction_rules": [RULES[3]]},
        {"interaction_callback_url": f"{receiver.base_url}/cb"},
    )
    refused = start(
        api, {"interaction_rules": [RULES[3]]}, {"interaction_callback_url": f"http://127.0.0.1:{port}/cb"}
    )
    live.report(gift(1))
    refused.report(gift(1))
    (failed,) = live.callbacks()
    assert (failed["state"], failed["status_code"], failed["error"]) == (
        "failed",
        503,
        "the receiver answered HTTP 503",
    )
    assert len(receiver.requests) == 1
    (unreachable,) = refused.callbacks()
    assert (
        unreachable["state"] == "failed"
        and unreachable["error"] == "ConnectError: the request did not complete"
    )


def test_a_slow_receiver_times_out_without_holding_the_report(api: Api, receiver: Receiver) -> None:
    app_of(api).state.emulator.reactions.deliverer.timeout = 0.3
    receiver.delay = 1.0
    live = start(
        api, {"interaction_rules": [RULES[3]]}, {"interaction_callback_url": f"{receiver.base_url}/cb"}
    )
    began = time.monotonic()
    live.report(gift(1))
    assert time.monotonic() - began < 0.3  # answered before the delivery even started
    assert api.control("GET", f"callbacks/{live.job_id}").json()["callbacks"][0]["state"] == "pending"
    (slow,) = live.callbacks()
    assert slow["state"] == "failed" and slow["error"] == "timed out after 0.3 s"


def test_no_secret_reaches_the_log(api: Api, receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    config = {
        "live_event_type_callback_url": "https://hooks.example.com/e?token=url-secret",
        "auth_type": "MSS_A_HEAD",
        "key": KEY,
        "callback_event_type": ["REPLY_COMMAND_FINISH"],
    }
    job = {
        "interaction_callback_url": f"{receiver.base_url}/cb?token=url-secret",
        "live_event_callback_config": config,
    }
    live = start(
        api, {"interaction_rules": [rule("both", 1, ["hi"], reply_mode="SYSTEM_REPLY_AND_CALLBACK")]}, job
    )
    live.report(comment("hello"))
    live.callbacks()
    assert caplog.records  # the not-delivered callback is logged...
    assert KEY not in caplog.text and "url-secret" not in caplog.text  # ...without its secrets


# ----------------------------------------------------------------------------------------------------
# State across processes and over a real socket
# ----------------------------------------------------------------------------------------------------


def test_the_engine_state_survives_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    """A new process (an emulator restart with --data, each --local CLI run) replays the stored events."""
    config = EmulatorConfig(
        ak=AK,
        sk=SK,
        project_id=PROJECT,
        clock=clock,
        start_delay=0,
        rate_limits={},
        data_path=tmp_path / "e.db",
    )
    stream = [entry(T0), entry(T0 + 1000), comment("price?", T0 + 2000), comment("price!", T0 + 3000)]
    client = InProcessClient(create_app(config))
    api = Api(client, "http://emulator.test")
    live = start(api, {"interaction_rules": RULES})
    live.report(*stream[:3])
    client.close()
    client = InProcessClient(create_app(config))
    try:
        live.api = Api(client, "http://emulator.test")
        live.report(stream[3])
        # welcome (once per job) did not fire again; price went on to its second text.
        assert seen(live.replies()) == predicted(RULES, stream)
        assert [r["event_index"] for r in live.replies()] == [0, 2, 3]
    finally:
        client.close()


def test_over_a_socket(receiver: Receiver) -> None:
    from reconciler.emulator.server import running_emulator

    config = EmulatorConfig(ak=AK, sk=SK, project_id=PROJECT, start_delay=0, rate_limits={})
    with running_emulator(config) as base_url, httpx.Client(timeout=10) as http:
        api = Api(http, base_url)
        callback = {
            "live_event_type_callback_url": f"{receiver.base_url}/events",
            "auth_type": "MSS_A_HEAD",
            "key": KEY,
            "callback_event_type": ["REPLY_COMMAND_FINISH"],
        }
        job = {"interaction_callback_url": f"{receiver.base_url}/cb", "live_event_callback_config": callback}
        live = start(api, {"interaction_rules": RULES}, job)
        live.report(comment("price?"), gift(1, T0 + 1))
        callbacks = live.callbacks()
    assert [(c["type"], c["state"]) for c in callbacks] == [
        ("REPLY_COMMAND_FINISH", "delivered"),
        ("INTERACTION", "delivered"),
    ]
    requests = receiver.wait_for(2)
    assert sorted(r.path for r in requests) == ["/cb", "/events"]
    finish = next(r for r in requests if r.path == "/events")
    assert verify_callback(receiver.base_url + finish.path, KEY, headers=finish.headers)


# ----------------------------------------------------------------------------------------------------
# The loopback rule and redaction
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.255.3.4", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("10.0.0.1", False),
        ("0.0.0.0", False),
        ("::ffff:10.0.0.1", False),
        ("hooks.example.com", False),
        ("127.0.0.1.nip.io", False),
        ("localhost.example.com", False),
        (None, False),
    ],
)
def test_loopback_hosts(host: str | None, loopback: bool) -> None:
    assert loopback_host(host) is loopback


def test_refusals_and_redaction() -> None:
    assert refusal("http://127.0.0.1:9/x") is None
    assert refusal("http://[::1]:9/x") is None
    assert refusal("ftp://127.0.0.1/x") == "not delivered: scheme 'ftp' (http and https only)"
    assert refusal("http://127.0.0.1:port/x") == "not delivered: the URL does not parse"
    assert refusal("http://user:pw@evil.example/") is not None
    assert redact_url("https://u:p@h.example/p?hwSecret=abc&hwTime=6553f100&token=t") == (
        "https://h.example/p?hwSecret=******&hwTime=6553f100&token=******"
    )
    assert urlsplit(redact_url("http://127.0.0.1/p") or "").path == "/p"


def test_in_process_local_mode_answers_after_its_callbacks(tmp_path: Path, receiver: Receiver) -> None:
    """--local: the CLI may exit as soon as the report is answered, so the answer waits for delivery."""
    from reconciler.emulator.local import LOCAL_BASE_URL, local_app

    app = local_app(tmp_path / ".smartlive" / "emulator.db")
    backend = app.state.emulator.backend
    room_id = backend.create_smart_live_room(
        m.CreateSmartLiveRoomReq.model_validate({"room_name": "r", "interaction_rules": [RULES[3]]})
    ).room_id
    body = m.StartSmartLiveReq(interaction_callback_url=f"{receiver.base_url}/cb")
    started = backend.start_smart_live(room_id, body, LOCAL_BASE_URL)
    client = InProcessClient(app)
    try:
        api = Api(client, LOCAL_BASE_URL)
        assert api.report(started.live_event_report_url, batch(gift(1), gift(2, T0 + 1))).status_code == 200
        assert len(receiver.requests) == 2  # already there: no wait, no polling
        states = [c["state"] for c in app.state.emulator.reactions.deliverer.records(started.job_id)]
        assert states == ["delivered", "delivered"]
    finally:
        client.close()


def test_a_stopping_server_gives_deliveries_under_way_their_attempt(
    tmp_path: Path, receiver: Receiver
) -> None:
    from reconciler.emulator.server import running_emulator

    receiver.delay = 0.5
    config = EmulatorConfig(
        ak=AK, sk=SK, project_id=PROJECT, start_delay=0, rate_limits={}, data_path=tmp_path / "e.db"
    )
    with running_emulator(config) as base_url, httpx.Client(timeout=10) as http:
        job = {"interaction_callback_url": f"{receiver.base_url}/cb"}
        live = start(Api(http, base_url), {"interaction_rules": [RULES[3]]}, job)
        live.report(gift(1))
    # The server has stopped: the delivery was finished before its database closed.
    assert len(receiver.requests) == 1
    app = create_app(config)
    try:
        (record,) = app.state.emulator.reactions.deliverer.records(live.job_id)
        assert record["state"] == "delivered"
    finally:
        app.state.emulator.store.close()


def test_intelligent_and_silent_replies(api: Api) -> None:
    rules = [
        {
            "rule_name": "robot",
            "event_type": 1,
            "trigger": {"reply_mode": "INTELLIGENT_REPLY", "robot_id": "bot-1"},
        },
        {"rule_name": "quiet", "event_type": 2, "trigger": {"reply_mode": "SYSTEM_REPLY"}},  # nothing to say
    ]
    live = start(api, {"interaction_rules": rules})
    live.report(comment("tell me more"), entry(T0 + 1))
    robot, quiet = live.replies()
    assert (robot["reply_mode"], robot["reply_text"], robot["robot_id"], robot["spoken"]) == (
        "INTELLIGENT_REPLY",
        None,
        "bot-1",
        True,
    )
    assert (quiet["rule_name"], quiet["reply_text"], quiet["spoken"]) == ("quiet", None, False)
