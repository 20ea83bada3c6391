"""Defect 11 of the hostile-inputs issue: a service that echoes the request in its error message must not
make smartlive print a secret. Over a real socket: an endpoint that answers the start of a job with a
400 whose message is the whole request, headers included, over many lines."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.acceptance.conftest import PROJECT, SECRETS, Workspace

STS_TOKEN = "sts-token-" + "Zq" * 40
IAM_TOKEN = "MII" + "Ab3+" * 60


class Echo(BaseHTTPRequestHandler):
    """Lists are empty, the room exists, every write is refused with the request echoed back."""

    def do_GET(self) -> None:
        if "/smart-live-rooms/" in self.path:
            self._answer(200, {"room_id": "room-1", "room_name": "console"})
        else:
            self._answer(200, {"count": 0, "smart_live_jobs": [], "interaction_rule_groups": []})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
        echoed = f"invalid request:\n{self.requestline}\n{self.headers}\n{body}\nX-Auth-Token: {IAM_TOKEN}"
        self._answer(400, {"error_code": "MSS.00000003", "error_msg": echoed})

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


JOB = """apiVersion: smartlive/v1
kind: SmartLiveJob
metadata: {name: echoed}
spec:
  room_id: room-1
  output_urls: [rtmp://push.example.com/live]
  stream_keys: ['${env:LANDSCAPE_STREAM_KEY}']
  interaction_callback_url: ${env:INTERACTION_CALLBACK_URL}
  live_event_callback_config:
    live_event_type_callback_url: https://hooks.example.com/live
    auth_type: MSS_A
    key: ${env:LIVE_CALLBACK_KEY}
"""


def test_a_service_echoing_the_request_never_makes_smartlive_print_a_secret(
    workspace: Workspace, echo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path(workspace.root / "echo")
    folder.mkdir()
    (folder / "job.yaml").write_text(JOB, encoding="utf-8")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", STS_TOKEN)
    result = workspace.run(
        "apply", str(folder), "--auto-approve", "--endpoint", echo_url, "--project-id", PROJECT
    )
    assert result.code == 1, result.text
    printed = result.text
    secrets = [*SECRETS.values(), "tok-93ab17cd", STS_TOKEN, IAM_TOKEN, "acc-sk-secret-0000"]
    assert not [s for s in secrets if s in printed], printed
    assert "(sensitive)" in printed and "MSS.00000003" in printed
    errors = [line for line in result.err.splitlines() if line.startswith("error: SmartLiveJob/echoed")]
    assert len(errors) == 1, result.err
    assert "invalid request: POST /v1/" in errors[0]  # the echoed message, on that one line
