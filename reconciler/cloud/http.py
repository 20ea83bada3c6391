"""The HTTP layer under the API client: one bound on requests in flight, retries, deadlines, errors, paging.

Retry rules, chosen because the API has no idempotency token:
- 429 (gateway throttling, APIGW.0308 / APIG.0308) is waited out for every method, reads, writes and
  the look-ups after a lost write alike, until the run's time limit: the gateway refused the request
  before the service saw it, so it is no failed try (retry.WaitOut).
- Reads (GET) are also retried on 5xx, timeouts and connection errors.
- A write that failed after it may have reached the service (5xx, timeout, dropped connection)
  raises OutcomeUnknownError instead: the caller looks the object up before trying again.
- A write whose connection could not even be opened is retried: nothing was sent.

Pacing (pacing.py): a request of a paced operation first waits for that operation's slot (outside the
bound on requests in flight); a 429 on it lowers the operation's rate, an answer raises it back. A 429 on
an operation not paced yet makes it paced, at the limit the answer states; the requests of it already
waiting for a place in flight then go back for a slot instead of going out in one burst.

Bounds, so that no answer can hang a run or exhaust memory:
- one request, body included, gets `RetryPolicy.timeout_seconds` (--request-timeout): a server that
  drips one byte at a time resets a read timeout forever, not this one;
- the whole run gets a Deadline (--timeout): no request starts, and no retry waits, past it;
- a request still unanswered after WAIT_NOTICE_SECONDS is named on stderr (once per operation);
- an answer is read up to MAX_RESPONSE_BYTES (after decompression);
- a list is read page by page within a window, never from its `count` alone (paging.py).
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from reconciler import __version__
from reconciler.api import signing
from reconciler.cloud.auth import auth_for
from reconciler.cloud.config import DEFAULT_PARALLELISM, Target
from reconciler.cloud.error_body import THROTTLE_CODES as THROTTLE_CODES  # re-exported (engine, events)
from reconciler.cloud.error_body import error_of, is_throttling, stated_rate
from reconciler.cloud.pacing import DEFAULT_RATES, Pacer, Pacing
from reconciler.cloud.paging import Page, read_page, read_pages
from reconciler.cloud.retry import (
    BACKOFF,
    DEFAULT_RUN_TIMEOUT_SECONDS,
    GIVE_UP,
    Deadline,
    Verdict,
    WaitOut,
    retrying,
)
from reconciler.cloud.retry import RetryPolicy as RetryPolicy  # re-exported (callers, tests)
from reconciler.errors import (
    AuthError,
    ConnectError,
    OutcomeUnknownError,
    RemoteError,
    TimeLimitError,
    UnexpectedAnswerError,
)

PAGE_LIMIT: Final = 100
#: A list whose pages are still full after this many is refused (100,000 items; a project holds a few
#: thousand): a service that answers full pages forever must not be read forever.
MAX_PAGES = 1000
#: The largest answer read, in bytes after decompression. The largest API answer (a page of 100 groups
#: with their rules) is well under 1 MiB; an endless body or a compression bomb stops here.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: A request unanswered for this long is named on stderr, so that a slow endpoint is not a silent hang.
WAIT_NOTICE_SECONDS = 10.0
#: Tries of a read that --request-timeout cut short: one more may meet a passing stall, but an endpoint
#: that never answers must not cost five full timeouts.
TIMED_OUT_TRIES: Final = 2

Json = dict[str, Any]


@dataclass
class RequestStats:
    """What this client sent, for summaries and benchmarks (retries count as requests)."""

    total: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    throttled: int = 0

    @property
    def mutating(self) -> int:
        return sum(n for op, n in self.by_operation.items() if not op.startswith("GET "))


class _TimedOut(ConnectError):
    """A read the request's time limit cut short (see TIMED_OUT_TRIES)."""


@dataclass(frozen=True)
class _Call:
    """One API call as sent (every attempt the same bytes, signed anew) and as named to the user."""

    method: str
    url: httpx.URL
    content: bytes | None
    #: Every header sent, Host and Content-Length included, but the authentication's (added per attempt).
    headers: Mapping[str, str]
    #: `METHOD /template`: the key of RequestStats.by_operation.
    operation: str
    #: The API operation's name (ShowInteractionRuleGroup), or `operation` when the caller gave none.
    label: str

    @property
    def is_read(self) -> bool:
        return self.method == "GET"


def _redacted(url: httpx.URL) -> str:
    """The path without the query: live-event URLs carry auth_key there."""
    return url.path


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


#: Sent with every request, and signed (with Host, Content-Length and the authentication's: _headers).
_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "User-Agent": f"smartlive/{__version__}",
}


def _headers(
    method: str, url: httpx.URL, content: bytes | None, extra: Mapping[str, str] | None
) -> dict[str, str]:
    """Every header of a request but the authentication's: _HEADERS, then the caller's (a name given in
    any case replaces ours), then Host and Content-Length as httpx would add them. The request is built
    from exactly these (HttpClient._send), so that the signature covers every header sent."""
    headers = dict(_HEADERS)
    if extra:
        replaced = {name.lower() for name in extra}
        headers = {name: value for name, value in headers.items() if name.lower() not in replaced}
        headers.update(extra)
    present = {name.lower() for name in headers}
    added = {}
    if "host" not in present:
        added["Host"] = url.netloc.decode("ascii")
    if "content-length" not in present and "transfer-encoding" not in present:
        if content is not None:
            added["Content-Length"] = str(len(content))
        elif method in ("POST", "PUT", "PATCH"):
            added["Content-Length"] = "0"
    return {**added, **headers}


class HttpClient:
    """Async JSON client bound to one target. Use as `async with HttpClient(...) as http:`."""

    def __init__(
        self,
        target: Target,
        *,
        parallelism: int = DEFAULT_PARALLELISM,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        seed: int | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        deadline: Deadline | None = None,
        notify: Callable[[str], None] = _to_stderr,
        rates: Mapping[str, float] = DEFAULT_RATES,
    ) -> None:
        self.target = target
        self.retry = retry or RetryPolicy()
        self.stats = RequestStats()
        #: The run's time limit; `with http.deadline.paused():` keeps a question to the user off it.
        self.deadline = deadline or Deadline(DEFAULT_RUN_TIMEOUT_SECONDS, clock=clock)
        self._rng = random.Random(seed)
        self._sleep = sleep
        #: Per-operation pacing (pacing.py), shared by every request of the run and by apply's executor; on
        #: the clock `sleep` moves, so that a slot a retry's wait has passed is not waited for again.
        self.pacing = Pacing(rates, clock=clock, sleep=sleep)
        self._notify = notify
        self._noticed: set[str] = set()
        self._parallelism = max(1, parallelism)
        self._limit = asyncio.Semaphore(self._parallelism)
        self._auth = auth_for(target.credentials, target.project_id)
        self._base = target.endpoint.rstrip("/")
        #: None until the first request needs it (`_sending`): then the default, over aiohttp.
        self._transport = transport

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()

    def _sending(self) -> httpx.AsyncBaseTransport:
        """The transport, the default one made at the first request: aiohttp and its TLS set-up are most of
        the HTTP stack's start-up (~0.15 s), which --local (the emulator in-process) never needs and a
        plan that stops before its first request (manifests with errors) need not pay."""
        if self._transport is None:
            from reconciler.cloud.transport import default_transport

            self._transport = default_transport(self._parallelism)
        return self._transport

    def project_path(self, path: str) -> str:
        return f"/v1/{self.target.project_id}{path}"

    async def request(
        self,
        method: str,
        path: str,
        *,
        template: str = "",
        name: str = "",
        params: Mapping[str, str | int] | None = None,
        body: Json | None = None,
        headers: Mapping[str, str] | None = None,
        absolute: bool = False,
    ) -> Json:
        """Send one API call with the retry rules above; return the JSON body ({} when empty).

        `path` is under /v1/{project_id} unless `absolute`; `template` names the operation in stats,
        `name` (the API's operation name) in messages.
        """
        url = path if absolute else self.project_path(path)
        if params:
            # The query goes out exactly as the official SDK sends it: its canonical (signed) form, sorted,
            # percent-encoded with only `~` left alone (a space is %20, never `+`), so no gateway can read
            # the query we sent differently from the one we signed.
            url += "?" + signing.canonical_query((k, str(v)) for k, v in params.items())
        content = (
            json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() if body is not None else None
        )
        operation = f"{method} {template or path}"
        full_url = httpx.URL(self._base + url)  # parsed once, for every attempt
        call = _Call(
            method,
            full_url,
            content,
            _headers(method, full_url, content, headers),
            operation,
            name or operation,
        )

        async def attempt() -> Json:
            async with self._admitted(call) as pacer:
                self.stats.total += 1
                self.stats.by_operation[operation] += 1
                try:
                    answer = await self._attempt(call)
                except RemoteError as exc:
                    if is_throttling(exc.status, exc.code):
                        self._throttled(call, exc, pacer)
                    raise
            if pacer is not None:
                pacer.answered()
            return answer

        timed_out = 0

        def verdict(failure: Exception) -> Verdict:
            nonlocal timed_out
            timed_out += isinstance(failure, _TimedOut)
            return GIVE_UP if timed_out >= TIMED_OUT_TRIES else self._verdict(failure, call.is_read)

        return await retrying(
            attempt,
            verdict,
            self.retry,
            sleep=self._sleep,
            rng=self._rng,
            on_retry=self._count_retry,
            deadline=self.deadline,
        )

    @asynccontextmanager
    async def _admitted(self, call: _Call) -> AsyncIterator[Pacer | None]:
        """The operation's slot, then a place among the requests in flight; yields the pacer that spaced
        the request (None: its operation is not paced).

        The slot is waited for first, outside the bound: waiting for one operation's slot must not hold
        back the others. A request that waited for its place unpaced goes back for a slot if its operation
        became paced meanwhile (a 429 taught its limit): else all those queued would still go out at once.
        """
        while True:
            pacer = await self._paced(call)
            await self._limit.acquire()
            if pacer is not None or self.pacing.get(call.label) is None:
                break
            self._limit.release()
        try:
            yield pacer
        finally:
            self._limit.release()

    def _throttled(self, call: _Call, failure: RemoteError, pacer: Pacer | None) -> None:
        """A 429: the operation's pacer learns the limit the answer states, and holds its calls back. Only a
        request that pacer spaced halves its rate: one sent before the pacer existed says nothing of it."""
        learned = self.pacing.learn(call.label, stated_rate(failure.error_msg))
        if learned is pacer:
            learned.throttled(self.retry.throttle_floor_seconds)
        else:
            learned.pause(self.retry.throttle_floor_seconds)

    async def _paced(self, call: _Call) -> Pacer | None:
        """The operation's slot, waited for no longer than the run's time limit allows."""
        if self.pacing.get(call.label) is None:
            return None  # not paced (most operations): nothing to wait for, so no time limit to set
        left = self.deadline.remaining()
        try:
            async with asyncio.timeout(left if math.isfinite(left) else None):
                return await self.pacing.before(call.label)
        except TimeoutError:
            raise self._out_of_time(call) from None

    async def _attempt(self, call: _Call) -> Json:
        """One try; every failure comes out as the error the user sees if it is the last (see _verdict)."""
        if self.deadline.expired:
            raise self._out_of_time(call)
        try:
            response, problem = await self._timed(call)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # The connection was never opened (refused, unresolvable, too slow to open, no free slot in
            # the pool), so nothing reached the service: safe to retry any call.
            reason = str(exc) or type(exc).__name__
            raise ConnectError(
                f"cannot reach {self.target.endpoint}: {reason}; check --endpoint/--region and the network"
            ) from None
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            timed_out = isinstance(exc, httpx.TimeoutException)  # the transport's read timeout, same budget
            raise self._no_answer(
                call, type(exc).__name__, _TimedOut if timed_out else ConnectError
            ) from None
        status = response.status_code
        if status < 300:
            if problem:
                raise UnexpectedAnswerError(status, problem, call.label)
            return self._body(response, call)
        code, message = error_of(response)
        if status >= 500 and not call.is_read and not is_throttling(status, code):
            # A write answered 5xx may have been committed before the failure.
            raise OutcomeUnknownError(
                f"{call.label}: HTTP {status} {code}: {message}; the change may or may not have been made"
            )
        raise self._error(status, code, message, call.label, response.request.url)

    async def _timed(self, call: _Call) -> tuple[httpx.Response, str]:
        """_send within the request's time limit (and what is left of the run's), named on stderr if it
        keeps us waiting."""
        budget = min(self.retry.timeout_seconds, self.deadline.remaining())
        if budget <= 0:  # the run's time ran out while this waited for a free slot: nothing was sent
            raise self._out_of_time(call)
        notice = asyncio.get_running_loop().call_later(WAIT_NOTICE_SECONDS, self._waiting, call.label)
        try:
            async with asyncio.timeout(budget) as limit:
                return await self._send(call, budget)
        except TimeoutError:
            if not limit.expired():
                raise
            if not self.deadline.expired:
                raise self._no_answer(
                    call, f"none within {budget:g} s, --request-timeout", _TimedOut
                ) from None
            if call.is_read:
                raise self._out_of_time(call) from None
            raise self._no_answer(call, "the run's time limit ran out, --timeout") from None
        finally:
            notice.cancel()

    async def _send(self, call: _Call, budget: float) -> tuple[httpx.Response, str]:
        """One attempt: build, sign (anew: a fresh X-Sdk-Date each time) and send; the body is read.

        Returns the answer and what is wrong with its body ("" when nothing): a body too large or
        undecodable is not kept, and an error answer is then read by its status line alone."""
        # Built from its final headers, not by httpx's request preparation and an httpx.Auth flow: each
        # header operation on a built request costs as much as the whole signature.
        content = call.content or b""
        signed = self._auth.authenticate(call.method, call.url, call.headers, content)
        request = httpx.Request(
            call.method,
            call.url,
            headers=signed,
            stream=httpx.ByteStream(content),
            extensions={"timeout": httpx.Timeout(budget).as_dict()},
        )
        request.read()  # the content, as a request built with content= has it (transports read it)
        response = await self._sending().handle_async_request(request)
        response.request = request
        try:
            # What httpx's own aread() does, less the bytes past the cap: the decoded body becomes the
            # response's content (rebuilding a Response instead costs a third more CPU per request).
            response._content, problem = await _read_body(response)
        finally:
            await response.aclose()
        return response, problem

    def _waiting(self, label: str) -> None:
        if label not in self._noticed:
            self._noticed.add(label)
            self._notify(f"waiting for {label} at {self.target.endpoint}: {WAIT_NOTICE_SECONDS:g} s")

    def _no_answer(
        self, call: _Call, why: str, read_error: type[ConnectError] = ConnectError
    ) -> ConnectError:
        """A request that got no (complete) answer: a read may be sent again, a write may have happened."""
        if not call.is_read:
            return OutcomeUnknownError(
                f"{call.label}: no answer from {self.target.endpoint} ({why}); "
                "the change may or may not have been made"
            )
        return read_error(f"{call.label}: no answer from {self.target.endpoint} ({why})")

    def _out_of_time(self, call: _Call) -> TimeLimitError:
        return TimeLimitError(
            f"{call.label}: the run's time limit of {self.deadline.seconds:g} s ran out "
            f"(--timeout, SMARTLIVE_TIMEOUT) waiting for {self.target.endpoint}"
        )

    def _verdict(self, failure: Exception, is_read: bool) -> Verdict:
        """The retry rules of the module doc, on what _attempt raised."""
        if isinstance(failure, OutcomeUnknownError):
            return GIVE_UP  # the caller must look the object up before sending it again
        if isinstance(failure, ConnectError):
            return BACKOFF  # never opened (nothing sent), or a read with no answer
        if isinstance(failure, RemoteError) and not isinstance(failure, UnexpectedAnswerError):
            if is_throttling(failure.status, failure.code):
                return WaitOut(self.retry.throttle_floor_seconds)
            if is_read and failure.status >= 500:
                return BACKOFF
        return GIVE_UP

    def _count_retry(self, failure: Exception, _pause: float) -> None:
        self.stats.retries += 1
        if isinstance(failure, RemoteError) and is_throttling(failure.status, failure.code):
            self.stats.throttled += 1

    def _body(self, response: httpx.Response, call: _Call) -> Json:
        if not response.content:
            return {}
        try:
            body = response.json()
        except RecursionError:
            raise UnexpectedAnswerError(
                response.status_code, "JSON nested too deep to read", call.label
            ) from None
        except ValueError:  # not JSON, not UTF-8, a number of thousands of digits
            body = None
        if not isinstance(body, dict):
            # A proxy's or a wrong endpoint's HTML page, say: one clear error, not a traceback.
            kind = _header(response, "content-type") or "unknown content type"
            endpoint = self.target.endpoint
            problem = f"the answer is not a JSON object ({kind}); is {endpoint} the MetaStudio endpoint?"
            raise UnexpectedAnswerError(response.status_code, problem, call.label)
        return body

    def _error(self, status: int, code: str, message: str, label: str, url: httpx.URL) -> RemoteError:
        if status == 401 or (status == 403 and code.startswith(("APIGW.", "APIG."))):
            hint = (
                "the embedded emulator refused its own credentials"
                if self.target.is_local
                else f"check the credentials from {self.target.credentials.source or 'the environment'} "
                f"and the project id {self.target.project_id}"
            )
            return AuthError(status, code, f"{message} ({hint})", label)
        return RemoteError(status, code, message, f"{label} ({_redacted(url)})")

    async def list_all(
        self,
        path: str,
        items_key: str,
        *,
        template: str = "",
        name: str = "",
        params: Mapping[str, str | int] | None = None,
        key: str | None = None,
    ) -> list[Json]:
        """Every item of a paged list (paging.read_pages: page 1 first, then a window of pages at once).

        Offset paging over a list that changes while it is read can repeat an item (kept once, by its `key`
        field) or skip one (a skipped group would be planned as a create): when the pages disagree on
        `count`, the list moved under us and is read once more.
        """
        label = name or f"GET {template or path}"
        base = dict(params or {})

        async def fetch(offset: int) -> Page:
            page = {**base, "offset": offset, "limit": PAGE_LIMIT}
            body = await self.request("GET", path, template=template, name=name, params=page)
            return read_page(body, items_key, label)

        items: list[Json] = []
        for _ in range(2):
            items, consistent = await read_pages(
                fetch, limit=PAGE_LIMIT, window=self._parallelism, max_pages=MAX_PAGES, operation=label
            )
            if consistent:
                break
        if key is None:
            return items
        unique: dict[Any, Json] = {}
        for item in items:
            unique.setdefault(item.get(key), item)
        return list(unique.values())


def _header(response: httpx.Response, name: str) -> str:
    """A header for a message: the answer's to choose, so cut short (a header may be kilobytes long)."""
    value = str(response.headers.get(name, ""))
    return value if len(value) <= 60 else value[:60] + "..."


async def _read_body(response: httpx.Response) -> tuple[bytes, str]:
    """The decoded body, at most MAX_RESPONSE_BYTES of it, and what is wrong with it ("" when nothing)."""
    too_large = f"the answer is larger than {MAX_RESPONSE_BYTES // (1024 * 1024)} MiB, the most one is read"
    declared = response.headers.get("content-length", "")
    # A declared length that cannot even be a number of bytes is left to the transport to refuse.
    if (
        declared.isascii()
        and declared.isdigit()
        and len(declared) < 20
        and int(declared) > MAX_RESPONSE_BYTES
    ):
        return b"", too_large
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                return b"", too_large
            chunks.append(chunk)
    except httpx.DecodingError:
        encoding = _header(response, "content-encoding")
        return b"", f"its body does not decode as Content-Encoding {encoding!r}"
    return b"".join(chunks), ""
