"""A service that answers every write `200` with an empty body (a broken gateway, a proxy's blank page):
a create or a start whose answer carries no id is not a success. Its outcome is unknown, so apply looks
the object up as for a lost answer, and finding nothing, fails the action saying so: exit 1, never
"Apply complete", and no record in the state store with an empty id beside the intent written before
the write (which the next apply completes if the object turns out to exist)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.apply.support import PROJECT, Project, cli_env

ROOM_ID = "0badf00d-0000-4000-8000-000000000001"
#: The one room the server lists (a job needs a room that exists to be planned at all).
ROOM = {"room_id": ROOM_ID, "room_name": "the only room", "room_type": "NORMAL", "room_state": "ENABLE"}
ROOM_MANIFEST = {
    "apiVersion": "smartlive/v1",
    "kind": "SmartLiveRoom",
    "metadata": {"name": "hall"},
    "spec": {"room_name": "hall"},
}


class _Hostile(BaseHTTPRequestHandler):
    """Reads get well-formed answers (empty lists, and one room); every write gets 200 and no body."""

    seen: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _read_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        self.seen.append(f"GET {path}")
        prefix = f"/v1/{PROJECT}"
        lists = {
            f"{prefix}/smart-live-interaction-rule-groups": "interaction_rule_groups",
            f"{prefix}/smart-live-jobs": "smart_live_jobs",
            f"{prefix}/smart-live-rooms/{ROOM_ID}/smart-live-jobs": "smart_live_jobs",
        }
        if path in lists:
            self._answer(200, json.dumps({"count": 0, lists[path]: []}).encode())
        elif path == f"{prefix}/smart-live-rooms":
            self._answer(200, json.dumps({"count": 1, "smart_live_rooms": [ROOM]}).encode())
        elif path == f"{prefix}/smart-live-rooms/{ROOM_ID}":
            self._answer(200, json.dumps(ROOM).encode())
        else:
            self._answer(400, json.dumps({"error_code": "MSS.10001001", "error_msg": "no such id"}).encode())

    def _empty(self) -> None:
        self._read_body()
        self.seen.append(f"{self.command} {urlsplit(self.path).path}")
        self._answer(200, b"")

    do_POST = do_PUT = do_DELETE = _empty


@contextmanager
def hostile_server() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (_Hostile,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_empty_answers_to_creates_and_starts_are_outcome_unknown_never_success(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch)
    with hostile_server() as (url, seen):
        project = Project(tmp_path / "hostile", url)
        project.declare(["welcome", "faq"], {"live": ROOM_ID})
        (project.manifests / "hall.yaml").write_text(json.dumps(ROOM_MANIFEST), encoding="utf-8")

        result = project.run(*project.apply_args())
        posts = [line for line in seen if not line.startswith("GET ")]

    assert result.code == 1, result.text
    assert "Apply complete" not in result.out and "Apply finished with errors" in result.out
    assert "Traceback" not in result.text
    errors = sorted(line for line in result.err.splitlines() if line.startswith("error: "))
    expected = {
        "InteractionRuleGroup/faq": "CreateInteractionRuleGroup answered without a group_id",
        "InteractionRuleGroup/welcome": "CreateInteractionRuleGroup answered without a group_id",
        "SmartLiveJob/live": "StartSmartLive answered without a job_id",
        "SmartLiveRoom/hall": "CreateSmartLiveRoom answered without a room_id",
    }
    assert len(errors) == len(expected), result.err
    for line, (address, answer) in zip(errors, sorted(expected.items()), strict=True):
        assert line.startswith(f"error: {address}: ")
        assert "outcome unknown after 4 tries, and each look-up for it found nothing" in line
        assert answer in line
    # Each write was looked up after every empty answer before it was sent again: 4 tries each.
    assert len(posts) == 4 * len(expected), posts

    # Nothing is recorded as done: each record is the intent written before the write, which apply
    # never completed with an empty id (the next apply adopts the object if it turns out to exist).
    records = project.records()
    assert sorted(str(a) for a in records) == sorted(expected)
    assert all(record.is_intent for record in records.values())
    listing = project.run("state", "list", "--endpoint", url, "--state", project.state, "--format", "json")
    assert listing.code == 0, listing.text
    assert {r["remote_id"] for r in json.loads(listing.out)["resources"]} == {""}
