"""Batching and delivery (reconciler/events/bridge.py, report.py) against a scripted transport: batch
sizes and totals, --strict, bad lines, refused events isolated by halving, retries, giving up, --follow."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import pytest

from reconciler.events.bridge import Bridge, Rejection
from reconciler.events.jsonl import Line, parse_lines
from reconciler.events.report import BatchSender, ReportStopped, Summary, resume_hint
from reconciler.events.reporturl import ReportUrl
from reconciler.events.source import raw_lines
from tests.events.conftest import comment

URL = "https://metastudio.example.com/v1/p/smart-live-rooms/r/smart-live-jobs/j/live-event-report?auth_key=0123abcd&expires_time=4102415999000"
NOW_MS = 1_700_000_000_000
Respond = Callable[[dict[str, Any]], httpx.Response]


class Service:
    """A scripted live-event-report endpoint that records every body it receives."""

    def __init__(self, respond: Respond | None = None) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.urls: list[str] = []
        self.respond = respond or (lambda body: httpx.Response(200, json={"live_event_report_url": URL}))

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        self.urls.append(str(request.url))
        return self.respond(body)

    @property
    def texts(self) -> list[str]:
        """The comment text of every event stored (accepted), in order."""
        return [
            json.loads(e["content"])["content"]
            for b, ok in zip(self.bodies, self.ok, strict=True)
            if ok
            for e in b["events"]
        ]

    ok: list[bool]


def run(
    service: Service,
    lines: Iterable[Line],
    *,
    strict: bool = False,
    batch_size: int = 1000,
    attempts: int = 8,
) -> tuple[Summary, list[Rejection], ReportStopped | None]:
    rejections: list[Rejection] = []
    service.ok = []
    original = service.respond

    def recording(body: dict[str, Any]) -> httpx.Response:
        response = original(body)
        service.ok.append(response.status_code < 300)
        return response

    service.respond = recording

    async def main() -> tuple[Summary, ReportStopped | None]:
        async def no_sleep(seconds: float) -> None:
            return None

        from reconciler.cloud.http import RetryPolicy

        async with httpx.AsyncClient(transport=httpx.MockTransport(service.handler)) as client:
            sender = BatchSender(
                client,
                ReportUrl.parse(URL),
                clock=lambda: NOW_MS,
                sleep=no_sleep,
                retry=RetryPolicy(attempts=attempts),
            )
            bridge = Bridge(sender, batch_size=batch_size, strict=strict, on_reject=rejections.append)
            try:
                return await bridge.run(lines), None
            except ReportStopped as exc:
                return bridge.summary, exc

    summary, stopped = asyncio.run(main())
    return summary, rejections, stopped


def comments(count: int, bad: dict[int, Any] | None = None) -> list[Line]:
    raw = [json.dumps(comment(f"c{i}")) for i in range(1, count + 1)]
    for number, record in (bad or {}).items():
        raw[number - 1] = record if isinstance(record, str) else json.dumps(record)
    return list(parse_lines(raw))


def test_batches_of_at_most_1000_with_total_equal_to_the_batch() -> None:
    service = Service()
    summary, rejections, stopped = run(service, comments(2500))
    assert stopped is None and rejections == []
    assert [len(b["events"]) for b in service.bodies] == [1000, 1000, 500]
    assert all(b["total"] == len(b["events"]) for b in service.bodies)
    assert service.texts == [f"c{i}" for i in range(1, 2501)]  # in input order
    assert (summary.read, summary.sent, summary.rejected, summary.requests) == (2500, 2500, 0, 3)
    assert summary.line() == "read 2500, sent 2500, rejected 0, requests 3"


def test_a_lower_batch_size() -> None:
    service = Service()
    summary, _, _ = run(service, comments(15), batch_size=7)
    assert [b["total"] for b in service.bodies] == [7, 7, 1]
    assert summary.requests == 3


def test_a_bad_line_is_reported_with_its_number_and_skipped() -> None:
    service = Service()
    summary, rejections, stopped = run(service, comments(5, bad={2: "{oops", 4: {"timestamp": 1, "type": 1}}))
    assert stopped is None
    assert [(r.line, r.message) for r in rejections] == [
        (2, "not JSON: key must be a string at line 1 column 2"),
        (4, "content: required for type 1"),
    ]
    assert service.texts == ["c1", "c3", "c5"]
    assert summary.line() == "read 5, sent 3, rejected 2, requests 1"


def test_strict_stops_at_the_first_bad_line_and_sends_nothing_after_it() -> None:
    service = Service()
    lines = comments(2500, bad={1500: {"timestamp": 1, "type": 99, "content": 3}})
    summary, rejections, stopped = run(service, lines, strict=True)
    assert isinstance(stopped, ReportStopped) and "line 1500" in str(stopped) and "--strict" in str(stopped)
    assert [r.line for r in rejections] == [1500]
    assert service.texts == [f"c{i}" for i in range(1, 1001)]  # the first full batch had already gone
    assert (summary.sent, summary.unsent, summary.resume_line) == (1000, 499, 1001)
    assert resume_hint(summary, "events.jsonl") == (
        "lines 1001 and after were not sent; to send them: tail -n +1001 events.jsonl | smartlive events report ... -"
    )


def refuse_poison(body: dict[str, Any]) -> httpx.Response:
    if any("poison" in e["content"] for e in body["events"]):
        return httpx.Response(400, json={"error_code": "MSS.00000003", "error_msg": "Invalid parameter"})
    return httpx.Response(200, json={})


def test_events_the_service_refuses_are_isolated_and_the_rest_delivered_in_order() -> None:
    service = Service(refuse_poison)
    lines = comments(8, bad={3: comment("poison"), 8: comment("poison")})
    summary, rejections, stopped = run(service, lines)
    assert stopped is None
    assert [(r.line, r.message) for r in rejections] == [
        (3, "refused by the service: HTTP 400 MSS.00000003: Invalid parameter"),
        (8, "refused by the service: HTTP 400 MSS.00000003: Invalid parameter"),
    ]
    assert service.texts == ["c1", "c2", "c4", "c5", "c6", "c7"]
    # 8 -> [1-4 refused: 1-2 ok, 3-4 refused: 3 refused, 4 ok], [5-8 refused: 5-6 ok, 7-8 refused: 7 ok, 8 refused]
    assert summary.requests == 11 and (summary.sent, summary.rejected) == (6, 2)


def test_strict_stops_at_the_first_refused_batch() -> None:
    service = Service(refuse_poison)
    summary, _, stopped = run(service, comments(8, bad={3: comment("poison")}), strict=True)
    assert isinstance(stopped, ReportStopped) and "refused the batch of lines 1-8" in str(stopped)
    assert (summary.requests, summary.sent, summary.unsent, summary.resume_line) == (1, 0, 8, 1)


def test_a_service_that_refuses_every_event_stops_the_run_quickly() -> None:
    service = Service(
        lambda body: httpx.Response(400, json={"error_code": "MSS.00000003", "error_msg": "no"})
    )
    summary, rejections, stopped = run(service, comments(1000))
    assert isinstance(stopped, ReportStopped) and "3 events in a row" in str(stopped)
    assert len(rejections) == 3 and summary.requests < 30
    assert summary.sent == 0 and summary.unsent == 997


def test_a_job_that_ended_stops_the_run_at_once() -> None:
    gone = {"error_code": "MSS.20020001", "error_msg": "job j is SUCCEED; events are taken while it runs"}
    service = Service(lambda body: httpx.Response(400, json=gone))
    summary, rejections, stopped = run(service, comments(10))
    assert isinstance(stopped, ReportStopped) and "takes no more events" in str(stopped)
    assert rejections == [] and summary.requests == 1 and summary.unsent == 10


def flaky(*statuses: int | type[Exception]) -> Respond:
    """Answer with these statuses (or raise these transport errors) first, then 200."""
    script = list(statuses)

    def respond(body: dict[str, Any]) -> httpx.Response:
        if script:
            step = script.pop(0)
            if isinstance(step, type):
                raise step("scripted")
            return httpx.Response(
                step, json={"error_code": "APIGW.0308" if step == 429 else "MSS.00000004", "error_msg": "x"}
            )
        return httpx.Response(200, json={})

    return respond


def test_429_and_5xx_are_retried_and_a_resend_after_a_5xx_may_duplicate() -> None:
    service = Service(flaky(429, 503, 500))
    summary, _, stopped = run(service, comments(3))
    assert stopped is None
    assert (summary.sent, summary.requests, summary.retries) == (3, 4, 3)
    assert summary.maybe_duplicated == 3
    assert summary.line() == (
        "read 3, sent 3, rejected 0, requests 4 (retries 3; 3 may be duplicated (resent after a lost answer))"
    )


def test_a_throttled_batch_alone_is_not_a_possible_duplicate() -> None:
    summary, _, _ = run(Service(flaky(429, 429)), comments(2))
    assert (summary.retries, summary.maybe_duplicated) == (2, 0)


def test_lost_connections() -> None:
    # Never opened: nothing was sent. Dropped after sending: the service may have stored the batch.
    summary, _, _ = run(Service(flaky(httpx.ConnectError)), comments(2))
    assert (summary.sent, summary.retries, summary.maybe_duplicated) == (2, 1, 0)
    summary, _, _ = run(Service(flaky(httpx.RemoteProtocolError, httpx.ReadTimeout)), comments(2))
    assert (summary.sent, summary.retries, summary.maybe_duplicated) == (2, 2, 2)


def test_retries_run_out() -> None:
    service = Service(flaky(*[503] * 10))
    summary, _, stopped = run(service, comments(1500), attempts=3)
    assert isinstance(stopped, ReportStopped)
    assert str(stopped) == "gave up after 3 attempts: HTTP 503 MSS.00000004: x"
    # The next batch is formed while the first one is retried: read, and not delivered either.
    assert (summary.read, summary.sent, summary.unsent, summary.requests, summary.resume_line) == (
        1500,
        0,
        1500,
        3,
        1,
    )


def test_follow_flushes_a_partial_batch_after_the_interval() -> None:
    service = Service()
    service.ok = []

    async def main() -> Summary:
        async with httpx.AsyncClient(transport=httpx.MockTransport(service.handler)) as client:
            sender = BatchSender(client, ReportUrl.parse(URL), clock=lambda: NOW_MS)
            bridge = Bridge(sender, flush_interval=0.05)
            queue: asyncio.Queue[Line | None] = asyncio.Queue()
            task = asyncio.create_task(bridge.follow(queue))
            for line in comments(3):
                await queue.put(line)
            await asyncio.sleep(0.2)  # a quiet room: the three go after 0.05 s, not at the end
            assert len(service.bodies) == 1
            for line in comments(2):
                await queue.put(line)
            await queue.put(None)
            return await task

    summary = asyncio.run(main())
    assert [b["total"] for b in service.bodies] == [3, 2]
    assert (summary.read, summary.sent) == (5, 5)


def test_follow_stops_on_request_and_still_delivers_what_it_read() -> None:
    service = Service()

    async def main() -> Summary:
        async with httpx.AsyncClient(transport=httpx.MockTransport(service.handler)) as client:
            bridge = Bridge(
                BatchSender(client, ReportUrl.parse(URL), clock=lambda: NOW_MS), flush_interval=60
            )
            queue: asyncio.Queue[Line | None] = asyncio.Queue()
            task = asyncio.create_task(bridge.follow(queue))
            for line in comments(4):
                await queue.put(line)
            await asyncio.sleep(0.01)
            bridge.stop()  # what a SIGTERM does
            return await asyncio.wait_for(task, 5)

    summary = asyncio.run(main())
    assert [b["total"] for b in service.bodies] == [4]
    assert summary.sent == 4


def test_dry_run_counts_batches_and_sends_nothing() -> None:
    bridge = Bridge(None, batch_size=400)
    summary = asyncio.run(bridge.run(comments(1000, bad={7: "[]"})))
    assert (summary.read, summary.rejected, summary.batches, summary.requests, summary.sent) == (
        1000,
        1,
        3,
        0,
        0,
    )


def test_raw_lines_yield_each_line_as_it_arrives() -> None:
    import os

    read, write = os.pipe()
    os.write(write, b'{"a": 1}\n{"b"')
    lines = raw_lines(read)
    assert next(lines) == b'{"a": 1}'  # without waiting for more input
    os.write(write, b": 2}\nlast")
    os.close(write)
    assert list(lines) == [b'{"b": 2}', b"last"]
    os.close(read)


@pytest.mark.parametrize("size", [0, 1001])
def test_batch_size_is_bounded_by_the_api(size: int) -> None:
    with pytest.raises(ValueError, match="1-1000"):
        Bridge(None, batch_size=size)
