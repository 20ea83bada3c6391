"""The report URL's auth_key against the emulator (manual clock, keys living 600 s): renewed before it
expires (refresh_url=true), renewed from the job after a 401, and never shown in clear."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import pytest

from reconciler.events.bridge import Bridge
from reconciler.events.jsonl import parse_lines
from reconciler.events.report import BatchSender, ReportStopped
from reconciler.events.reporturl import ReportUrl, redact
from tests.events.conftest import Live, comment, jsonl, show_url


def expiry(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["expires_time"][0])


def key_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["auth_key"][0]


async def send(sender: BatchSender, *texts: str) -> None:
    await Bridge(sender).run(parse_lines(jsonl(*(comment(t) for t in texts)).splitlines()))


def test_a_url_close_to_expiry_is_refreshed_on_the_next_batch(live: Live) -> None:
    async def main() -> BatchSender:
        async with live.client() as client:
            sender = live.sender(client, refresh_margin=300)
            await send(sender, "one")  # 600 s left: sent as is
            assert sender.url.url == live.url
            live.clock.advance(400)  # 200 s left: inside the margin
            await send(sender, "two")
            await send(sender, "three")  # the new URL has 600 s again: no refresh
            return sender

    sender = asyncio.run(main())
    summary = sender.summary
    assert (summary.sent, summary.requests, summary.refreshes, summary.job_reads) == (3, 3, 1, 0)
    assert expiry(sender.url.url) == expiry(live.url) + 400_000
    assert live.show_url() == sender.url.url  # the service now shows the refreshed URL
    assert [e["type"] for e in live.events()] == [1, 1, 1]


def test_a_url_expired_by_our_clock_is_read_again_from_the_job_first(live: Live) -> None:
    live.clock.advance(400)
    fresh = live.refresh_at_job()  # another bridge renewed it: the job holds a URL valid until 1000 s
    live.clock.advance(300)  # 700 s: ours expired at 600 s

    async def main() -> BatchSender:
        async with live.client() as client:

            async def refetch() -> str:
                return await show_url(live, client)

            sender = live.sender(client, refetch=refetch, refresh_margin=60)
            await send(sender, "late")
            return sender

    sender = asyncio.run(main())
    assert sender.url.url == fresh
    assert (sender.summary.requests, sender.summary.job_reads, sender.summary.sent) == (1, 1, 1)


def test_a_401_reads_the_job_again_and_resends_once(live: Live) -> None:
    live.clock.advance(400)
    fresh = live.refresh_at_job()
    live.clock.advance(300)
    stored_before = len(live.events())

    async def main() -> BatchSender:
        async with live.client() as client:

            async def refetch() -> str:
                return await show_url(live, client)

            # This machine's clock is late: it believes the old key still has 600 s.
            sender = live.sender(client, refetch=refetch, clock=lambda: 0 + expiry(live.url) - 600_000)
            await send(sender, "a", "b")
            return sender

    sender = asyncio.run(main())
    summary = sender.summary
    assert (summary.requests, summary.job_reads, summary.sent, summary.retries) == (2, 1, 2, 0)
    assert sender.url.url == fresh
    assert len(live.events()) == stored_before + 2  # the refused attempt stored nothing


def test_a_401_with_nothing_fresher_at_the_job_stops_without_showing_the_key(live: Live) -> None:
    live.clock.advance(700)

    async def main() -> tuple[BatchSender, ReportStopped]:
        async with live.client() as client:

            async def refetch() -> str:
                return await show_url(live, client)

            sender = live.sender(client, refetch=refetch, clock=lambda: expiry(live.url) - 600_000)
            with pytest.raises(ReportStopped) as stopped:
                await send(sender, "a")
            return sender, stopped.value

    sender, stopped = asyncio.run(main())
    message = str(stopped)
    assert "refused the report URL's auth_key (HTTP 401 MSS.00000001" in message
    assert "still holds the same URL" in message
    assert key_of(live.url) not in message + sender.summary.line()
    assert (sender.summary.requests, sender.summary.job_reads, sender.summary.unsent) == (1, 1, 1)


def test_a_401_on_a_bare_url_says_how_to_get_a_renewable_one(live: Live) -> None:
    live.clock.advance(700)

    async def main() -> ReportStopped:
        async with live.client() as client:
            sender = live.sender(client, clock=lambda: expiry(live.url) - 600_000)
            with pytest.raises(ReportStopped) as stopped:
                await send(sender, "a")
            return stopped.value

    message = str(asyncio.run(main()))
    assert "pass --job NAME or --room ROOM_ID --job-id JOB_ID" in message
    assert key_of(live.url) not in message


def test_the_key_is_never_shown(live: Live) -> None:
    key = key_of(live.url)
    url = ReportUrl.parse(live.url)
    assert key not in str(url) and key not in repr(url) and key not in url.redacted
    assert redact(f"POST {live.url} failed") == f"POST {live.url.replace(key, '(sensitive)')} failed"
    assert "auth_key=(sensitive)&expires_time=" in url.redacted


def test_a_job_that_cannot_be_read_again_stops_the_run_with_its_reason(live: Live) -> None:
    from reconciler.errors import ConfigError

    live.clock.advance(700)

    async def main() -> BatchSender:
        async with live.client() as client:

            async def refetch() -> str:
                raise ConfigError(f"job {live.job_id} is SUCCEED: events are taken only while it runs")

            sender = live.sender(client, refetch=refetch)
            with pytest.raises(ReportStopped, match=r"reading the job again failed: job .* is SUCCEED"):
                await send(sender, "a")
            return sender

    sender = asyncio.run(main())
    assert (sender.summary.requests, sender.summary.job_reads, sender.summary.unsent) == (0, 1, 1)
