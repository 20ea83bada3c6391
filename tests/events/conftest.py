"""Fixtures of the live-event tests: an in-process emulator with a manual clock and a running job, and
a sender wired to it over httpx.ASGITransport (the no-socket path of the CLI's --local mode)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from reconciler.emulator.app import create_app
from reconciler.emulator.clock import ManualClock
from reconciler.emulator.config import EmulatorConfig
from reconciler.events.report import BatchSender, Summary
from reconciler.events.reporturl import ReportUrl
from tests.emulator.conftest import AK, PROJECT, SK, Api, InProcessClient, signed_headers

USER = {"userId": "2027271526", "name": "viewer", "level": 17, "badge": "", "badgeLevel": 0}


def comment(text: str = "hello", timestamp: int = 1_700_000_000_000) -> dict[str, Any]:
    """One line in the friendly form."""
    return {"timestamp": timestamp, "type": "comment", "content": {"user": USER, "content": text}}


def jsonl(*records: Any) -> bytes:
    return b"".join(
        (r if isinstance(r, bytes) else json.dumps(r, ensure_ascii=False).encode()) + b"\n" for r in records
    )


@dataclass
class Live:
    """An emulator app with one running job, driven by a manual clock."""

    api: Api
    clock: ManualClock
    room_id: str
    job_id: str
    url: str

    @property
    def app(self) -> Any:
        assert isinstance(self.api.http, InProcessClient)
        return self.api.http.app

    def events(self) -> list[dict[str, Any]]:
        response = self.api.control("GET", f"events/{self.job_id}")
        assert response.status_code == 200, response.text
        return list(response.json()["events"])

    def show_url(self) -> str:
        return str(self.api.show_job(self.room_id, self.job_id)["live_event_report_url"])

    def refresh_at_job(self) -> str:
        """Another bridge asks for a fresh URL: the job shows the new one from then on."""
        response = self.api.report(
            self.url + "&refresh_url=true", {"total": 1, "events": [_wire(comment("x"))]}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["live_event_report_url"])

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app))

    def sender(self, client: httpx.AsyncClient, url: str | None = None, **options: Any) -> BatchSender:
        async def no_sleep(seconds: float) -> None:
            return None

        options.setdefault("clock", lambda: int(self.clock.now() * 1000))
        options.setdefault("sleep", no_sleep)
        options.setdefault("summary", Summary())
        return BatchSender(client, ReportUrl.parse(url or self.url), **options)


def _wire(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "type": 1, "content": json.dumps(record["content"])}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def make_live(clock: ManualClock, **config: Any) -> tuple[Live, InProcessClient]:
    fields: dict[str, Any] = {
        "ak": AK,
        "sk": SK,
        "project_id": PROJECT,
        "clock": clock,
        "start_delay": 0.0,
        "rate_limits": {},
        "fault_seed": 1,
    }
    fields.update(config)
    client = InProcessClient(create_app(EmulatorConfig(**fields)))
    api = Api(client, "http://emulator.test")
    room_id = api.room()
    started = api.start(room_id)
    assert started.status_code == 202, started.text
    body = started.json()
    return Live(api, clock, room_id, body["job_id"], body["live_event_report_url"]), client


@pytest.fixture
def live(clock: ManualClock) -> Iterator[Live]:
    made, client = make_live(clock, event_url_ttl=600.0)
    yield made
    client.close()


async def show_url(live: Live, client: httpx.AsyncClient) -> str:
    """The job's live_event_report_url, read with a signed ShowSmartLive as the CLI's refetch does."""
    url = f"http://emulator.test/v1/{PROJECT}/smart-live-rooms/{live.room_id}/smart-live-jobs/{live.job_id}"
    response = await client.get(url, headers=signed_headers("GET", url, b""))
    assert response.status_code == 200, response.text
    return str(response.json()["live_event_report_url"])
