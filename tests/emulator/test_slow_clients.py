"""A client that drips its request (slowloris) does not hold the emulator: slow headers are disconnected,
a slow body is answered 408. Over a real socket."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest

from reconciler.emulator import gateway, server
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import running_emulator


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=10)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_headers_that_do_not_arrive_in_time_close_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "HEADER_SECONDS", 0.5)
    with running_emulator(EmulatorConfig(rate_limits={})) as url, _connect(url) as sock:
        sock.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n")  # never the blank line
        started = time.monotonic()
        assert _read_all(sock) == b""  # closed by the server, nothing answered
        assert time.monotonic() - started < 5


def test_a_body_that_does_not_arrive_in_time_is_answered_408(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway, "BODY_SECONDS", 0.5)
    with running_emulator(EmulatorConfig(rate_limits={})) as url, _connect(url) as sock:
        sock.sendall(
            b"POST /v1/p/smart-live-interaction-rule-groups HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"
        )
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"APIGW.0408" in answer


def test_a_prompt_client_is_served_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "HEADER_SECONDS", 0.5)
    with running_emulator(EmulatorConfig(rate_limits={})) as url, _connect(url) as sock:
        sock.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert _read_all(sock).startswith(b"HTTP/1.1 200")
