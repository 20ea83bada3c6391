"""Sending batches of live events to a job's live_event_report_url (seeds 000/001), and what it cost.

One batch is one POST `{"total": n, "events": [...]}` (n 1-1000). The call is not signed with AK/SK:
the URL's auth_key authenticates it, and the key expires. `BatchSender.post` handles, per batch:

- **expiry before it bites**: when the key has less than `refresh_margin` seconds left by our clock, the
  batch goes with `refresh_url=true` and the answer's new URL (later expiry) is used from then on; when
  it has already expired by our clock, the job is read again first (when we can read it);
- **expiry after it bit**: a 401 reads the job again (`refetch`) and resends once with the URL found
  there; a second 401, or no way to read the job (`--url`), ends the run;
- **throttling and failures**: 429 and 5xx answers, timeouts and dropped connections are retried with
  full-jitter backoff (reconciler.cloud.retry; at least 1 s after a 429).

Delivery is at least once per batch. The API has no idempotency key, so a batch resent after a lost
answer (a timeout, a dropped connection or a 5xx, where the service may have stored the batch before
failing) can be stored twice; `Summary.maybe_duplicated` counts those events. A connection that never
opened sent nothing and is retried without that caveat. Batches go one at a time, each after the
previous one was answered, so the service sees events in input order.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from reconciler.api.models import LiveEvent
from reconciler.cloud.error_body import ErrorBody, error_of, is_throttling
from reconciler.cloud.retry import BACKOFF, GIVE_UP, RetryPolicy, Verdict, retrying
from reconciler.errors import UserError
from reconciler.events.jsonl import wire
from reconciler.events.reporturl import ReportUrl
from reconciler.redaction import SENSITIVE as REDACTED
from reconciler.redaction import redact

#: The service's limit on events per request (seed 000 table 4: total 1-1000).
MAX_BATCH: Final = 1000
#: Refresh a URL whose auth_key has less than this many seconds left (the emulator's keys live 24 h).
DEFAULT_REFRESH_MARGIN: Final = 300.0
#: A live bridge rides out longer trouble than a plan does: about 30 s of retries before it gives up.
DEFAULT_RETRY: Final = RetryPolicy(attempts=8)
#: MSS.20020001: the job no longer takes events; MSS.10001001: no such job. No event is to blame.
JOB_GONE_CODES: Final = frozenset({"MSS.20020001", "MSS.10001001"})

#: Reads the job again and returns its current live_event_report_url (raises UserError if it cannot).
Refetch = Callable[[], Awaitable[str]]


class ReportStopped(UserError):
    """Sending cannot go on: the job ended, the key is refused for good, or retries ran out."""


class BatchRefused(Exception):
    """The service refused a batch with a 4xx answer that says the request itself is wrong."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.error_msg = message
        super().__init__(f"HTTP {status} {code}: {message}".replace("  ", " "))


@dataclass
class Summary:
    """What a run did. `requests` counts every POST to the report URL, retries included."""

    read: int = 0
    sent: int = 0
    rejected: int = 0
    requests: int = 0
    retries: int = 0
    refreshes: int = 0
    job_reads: int = 0
    #: Valid events read but not delivered because the run stopped.
    unsent: int = 0
    #: Events of batches that were resent after an answer was lost: the service may hold them twice.
    maybe_duplicated: int = 0
    #: Batches formed (the requests a run without retries, refreshes or refusals makes).
    batches: int = 0
    #: Input line of the first event not delivered, when the run stopped early.
    resume_line: int | None = None

    def reset(self) -> None:
        for name, spec in self.__dataclass_fields__.items():
            setattr(self, name, spec.default)

    def line(self) -> str:
        text = f"read {self.read}, sent {self.sent}, rejected {self.rejected}, requests {self.requests}"
        extras = [
            f"{label} {value}"
            for label, value in (
                ("not sent", self.unsent),
                ("retries", self.retries),
                ("URL refreshes", self.refreshes),
                ("job reads", self.job_reads),
            )
            if value
        ]
        if self.maybe_duplicated:
            extras.append(f"{self.maybe_duplicated} may be duplicated (resent after a lost answer)")
        return text + (f" ({'; '.join(extras)})" if extras else "")

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def resume_hint(summary: Summary, name: str) -> str | None:
    """How to send what a stopped run did not: every line from the first undelivered one."""
    line = summary.resume_line
    if line is None:
        return None
    if name == "<stdin>":
        return f"events from input line {line} on were not sent"
    return f"lines {line} and after were not sent; to send them: tail -n +{line} {name} | smartlive events report ... -"


class _Retryable(Exception):
    """A failure another attempt may get past (no connection, no answer, a 429, a 5xx): `problem` says
    what happened, with no auth_key in it."""

    def __init__(self, problem: str, throttled: bool) -> None:
        super().__init__(problem)
        self.problem = problem
        self.throttled = throttled


@dataclass
class _Delivery:
    """One batch on its way, and what its attempts have found out so far."""

    events: Sequence[LiveEvent]
    body: bytes
    #: Ask for a fresh URL with this batch (the key is close to expiry).
    refresh: bool
    renewed_after_401: bool = False
    #: Some attempt may have stored the batch without our hearing of it.
    answer_lost: bool = False
    failures: int = 0


@dataclass
class BatchSender:
    """Posts batches to one job's report URL, keeping that URL fresh (see the module doc)."""

    client: httpx.AsyncClient
    url: ReportUrl
    #: Milliseconds since the epoch, by the clock that decides when to refresh.
    clock: Callable[[], int]
    refetch: Refetch | None = None
    refresh_margin: float = DEFAULT_REFRESH_MARGIN
    retry: RetryPolicy = DEFAULT_RETRY
    no_need_review: bool | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    summary: Summary = field(default_factory=Summary)
    rng: random.Random = field(default_factory=random.Random)
    #: Every auth_key this sender has held, so that no message can carry one (see `clean`).
    _keys: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._remember(self.url)

    def _remember(self, url: ReportUrl) -> None:
        if url.auth_key:
            self._keys.add(url.auth_key)

    def clean(self, text: str) -> str:
        """`text` without any auth_key: redacted as a query parameter, and as a bare value anywhere."""
        text = redact(text)
        for key in self._keys:
            text = text.replace(key, REDACTED)
        return text

    def _body(self, events: Sequence[LiveEvent]) -> bytes:
        body: dict[str, Any] = {"total": len(events), "events": [wire(event) for event in events]}
        if self.no_need_review is not None:
            body["review_config"] = {"no_need_review": self.no_need_review}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    async def _renew(self, reason: str) -> None:
        """Replace the URL with the one the job holds now; ReportStopped when that cannot help."""
        if self.refetch is None:
            raise ReportStopped(
                f"{reason}; a --url cannot be renewed here: pass --job NAME or --room ROOM_ID --job-id JOB_ID "
                "so that smartlive reads a fresh URL from the job"
            )
        self.summary.job_reads += 1
        try:
            fresh = ReportUrl.parse(await self.refetch())
        except ReportStopped:
            raise
        except UserError as exc:  # the job ended, the API is unreachable, ...: stop and count what is left
            raise ReportStopped(f"{reason}; reading the job again failed: {self.clean(str(exc))}") from None
        self._remember(fresh)
        if fresh.url == self.url.url:
            raise ReportStopped(f"{reason}, and the job still holds the same URL (its key has expired?)")
        self.url = fresh

    def _seconds_left(self) -> float | None:
        return self.url.seconds_left(self.clock())

    async def post(self, events: Sequence[LiveEvent]) -> None:
        """Deliver one batch (1-1000 events). Raises BatchRefused (a 4xx for this request: the caller
        decides what to do with its events) or ReportStopped (nothing more can be sent)."""
        delivery = _Delivery(events, self._body(events), await self._wants_refresh())
        try:
            await retrying(
                lambda: self._attempt(delivery),
                self._verdict,
                self.retry,
                sleep=self.sleep,
                rng=self.rng,
                on_retry=self._count_retry,
            )
        except _Retryable as last:
            raise ReportStopped(f"gave up after {delivery.failures} attempts: {last.problem}") from None

    async def _wants_refresh(self) -> bool:
        """Whether the next batch asks for a fresh URL; a URL expired by our clock is read again first."""
        left = self._seconds_left()
        if left is not None and left <= 0 and self.refetch is not None:
            await self._renew(f"the report URL expired {-left:.0f} s ago by this machine's clock")
            left = self._seconds_left()
        return left is not None and left < self.refresh_margin

    def _verdict(self, failure: Exception) -> Verdict:
        if not isinstance(failure, _Retryable):
            return GIVE_UP  # refused, job gone, key refused for good: another try gets the same answer
        return self.retry.throttle_floor_seconds if failure.throttled else BACKOFF

    def _count_retry(self, _failure: Exception, _pause: float) -> None:
        self.summary.retries += 1

    def _failed(self, delivery: _Delivery, problem: str, throttled: bool = False) -> _Retryable:
        delivery.failures += 1
        return _Retryable(problem, throttled)

    async def _send(self, delivery: _Delivery) -> httpx.Response:
        """One POST of the batch to the URL held now; a transport failure is a _Retryable."""
        self.summary.requests += 1
        target = self.url.with_refresh() if delivery.refresh else self.url.url
        try:
            return await self.client.post(
                target, content=delivery.body, headers={"Content-Type": "application/json"}
            )
        except httpx.ConnectError:
            raise self._failed(delivery, "the connection could not be opened") from None  # nothing sent
        except httpx.TransportError as exc:
            delivery.answer_lost = True
            raise self._failed(delivery, f"no answer ({type(exc).__name__})") from None

    async def _attempt(self, delivery: _Delivery) -> None:
        """One attempt: a POST, and the resend after renewing a refused key (which is not a retry of a
        failure, so it does not use up an attempt)."""
        response = await self._send(delivery)
        while response.status_code == 401:
            await self._renew_after_401(delivery, self._problem(401, error_of(response)))
            response = await self._send(delivery)
        status = response.status_code
        if status < 300:
            self._accepted(response, delivery.refresh)
            if delivery.answer_lost:
                self.summary.maybe_duplicated += len(delivery.events)
            return
        code, message = error = error_of(response)
        problem = self._problem(status, error)
        throttled = is_throttling(status, code)
        if not throttled and status < 500:
            if code in JOB_GONE_CODES:
                raise ReportStopped(f"the job takes no more events: {problem}")
            raise BatchRefused(status, code, self.clean(message))
        delivery.answer_lost = delivery.answer_lost or status >= 500  # a 5xx may come after it was stored
        raise self._failed(delivery, problem, throttled)

    def _problem(self, status: int, error: ErrorBody) -> str:
        """One line for messages: `HTTP 503 MSS.00000004: ...`, with no auth_key in it."""
        return self.clean(f"HTTP {status} {error.code}: {error.message}".replace("  ", " "))

    async def _renew_after_401(self, delivery: _Delivery, problem: str) -> None:
        if delivery.renewed_after_401:
            raise ReportStopped(f"the report URL's auth_key is refused again after renewing it ({problem})")
        delivery.renewed_after_401 = True
        await self._renew(f"the service refused the report URL's auth_key ({problem})")

    def _accepted(self, response: httpx.Response, refreshed: bool) -> None:
        if not refreshed:
            return
        try:
            fresh = response.json().get("live_event_report_url")
        except (ValueError, AttributeError):
            fresh = None
        if isinstance(fresh, str) and fresh:
            url = ReportUrl.parse(fresh)
            self._remember(url)
            self.url = url
            self.summary.refreshes += 1
