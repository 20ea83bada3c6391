"""Fixtures of the emulator tests: an in-process app with a manual clock, and a signing client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.api import signing
from reconciler.emulator.app import create_app
from reconciler.emulator.clock import ManualClock
from reconciler.emulator.config import EmulatorConfig

AK, SK, PROJECT = "test-ak", "test-sk-0000000000000000", "test-project"
SEED_EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "seed_examples"


def signed_headers(
    method: str,
    url: str,
    body: bytes,
    ak: str = AK,
    sk: str = SK,
    project: str = PROJECT,
    date: str | None = None,
) -> dict[str, str]:
    """Headers as the SDK sends them: Host, Content-Type, X-Project-Id, X-Sdk-Date, Authorization."""
    parts = httpx.URL(url)
    headers = {"Host": parts.netloc.decode(), "Content-Type": "application/json", "X-Project-Id": project}
    headers.update(
        signing.sign_headers(
            ak=ak,
            sk=sk,
            method=method,
            path=parts.raw_path.split(b"?")[0].decode(),
            query=list(parts.params.multi_items()),
            headers=headers,
            body=body,
            date=date,
        )
    )
    return headers


class InProcessClient:
    """A synchronous face of httpx.AsyncClient over httpx.ASGITransport: the same no-socket path as the
    CLI's --local mode, usable from plain (non-async) tests."""

    def __init__(
        self, app: Starlette, client: tuple[str, int] = ("127.0.0.1", 50000), owns_app: bool = True
    ) -> None:
        self.app = app
        self._owns_app = owns_app
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=client))

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kw))

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def close(self) -> None:
        """Close the client and, for the app's owner, the app's database (as a process exit would)."""
        if self._loop.is_closed():
            return
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()
        if self._owns_app:
            self.app.state.emulator.store.close()


class Api:
    """Calls the emulated API signed with AK/SK, over any httpx client (in-process or socket)."""

    def __init__(self, http: httpx.Client | InProcessClient, base_url: str, project: str = PROJECT) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.project = project

    def url(self, path: str) -> str:
        return f"{self.base_url}/v1/{self.project}{path}"

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        sign: bool = True,
        raw: bytes | None = None,
    ) -> httpx.Response:
        url = str(httpx.URL(self.url(path), params=params)) if params else self.url(path)
        content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        sent = signed_headers(method, url, content) if sign else {"Content-Type": "application/json"}
        sent.update(headers or {})
        return self.http.request(method, url, content=content, headers=sent)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.call("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.call("DELETE", path, **kw)

    def control(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return self.http.request(method, f"{self.base_url}/_emulator/{path}", json=body)

    # conveniences
    def room(self, name: str = "room", **fields: Any) -> str:
        response = self.post("/smart-live-rooms", {"room_name": name, **fields})
        assert response.status_code == 200, response.text
        return str(response.json()["room_id"])

    def start(self, room_id: str, body: Any = None) -> httpx.Response:
        return self.post(f"/smart-live-rooms/{room_id}/smart-live-jobs", {} if body is None else body)

    def job(self, room_id: str, body: Any = None) -> str:
        response = self.start(room_id, body)
        assert response.status_code == 202, response.text
        return str(response.json()["job_id"])

    def show_job(self, room_id: str, job_id: str) -> dict[str, Any]:
        response = self.get(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def report(self, report_url: str, body: Any, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """POST to a live_event_report_url as a platform bridge does: no AK/SK, the URL carries auth."""
        parts = urlsplit(report_url)
        url = f"{self.base_url}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        return self.http.post(url, content=json.dumps(body).encode(), headers=dict(headers or {}))


def error_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, str(response.json()["error_code"])


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


MakeApi = Callable[..., Api]


@pytest.fixture
def make_api(clock: ManualClock) -> Iterator[MakeApi]:
    """make_api(**EmulatorConfig fields) -> Api over a fresh in-process app (loopback client address)."""
    clients: list[InProcessClient] = []

    def make(**overrides: Any) -> Api:
        fields: dict[str, Any] = {
            "ak": AK,
            "sk": SK,
            "project_id": PROJECT,
            "clock": clock,
            "start_delay": 5.0,
            "rate_limits": {},
        }
        fields.update(overrides)
        client = InProcessClient(create_app(EmulatorConfig(**fields)))
        clients.append(client)
        return Api(client, "http://emulator.test")

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def api(make_api: MakeApi) -> Api:
    return make_api()


def app_of(api: Api) -> Starlette:
    assert isinstance(api.http, InProcessClient)
    return api.http.app
