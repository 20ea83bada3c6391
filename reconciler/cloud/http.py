"""The HTTP layer under the API client: one bound on requests in flight, retries, errors, paging.

Retry rules, chosen because the API has no idempotency token:
- 429 (gateway throttling, APIGW.0308 / APIG.0308) is retried for every method: the gateway refused the
  request before the service saw it.
- Reads (GET) are also retried on 5xx, timeouts and connection errors.
- A write that failed after it may have reached the service (5xx, read timeout, dropped connection)
  raises OutcomeUnknownError instead: the caller looks the object up before trying again.
- A write whose connection could not even be opened is retried: nothing was sent.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler import __version__
from reconciler.api import signing
from reconciler.cloud.auth import auth_for
from reconciler.cloud.config import Target
from reconciler.cloud.error_body import THROTTLE_CODES as THROTTLE_CODES  # re-exported (engine, events)
from reconciler.cloud.error_body import error_of, is_throttling
from reconciler.cloud.retry import BACKOFF, GIVE_UP, Verdict, retrying
from reconciler.cloud.retry import RetryPolicy as RetryPolicy  # re-exported (callers, tests)
from reconciler.cloud.transport import default_transport
from reconciler.errors import AuthError, ConnectError, OutcomeUnknownError, RemoteError

PAGE_LIMIT = 100

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


def _redacted(url: httpx.URL) -> str:
    """The path without the query: live-event URLs carry auth_key there."""
    return url.path


#: Sent with every request (the signature covers them, with Host and Content-Length that httpx adds).
_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "User-Agent": f"smartlive/{__version__}",
}


class HttpClient:
    """Async JSON client bound to one target. Use as `async with HttpClient(...) as http:`."""

    def __init__(
        self,
        target: Target,
        *,
        parallelism: int = 8,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        seed: int | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.target = target
        self.retry = retry or RetryPolicy()
        self.stats = RequestStats()
        self._rng = random.Random(seed)
        self._sleep = sleep
        self._limit = asyncio.Semaphore(max(1, parallelism))
        self._auth = auth_for(target.credentials, target.project_id)
        self._base = target.endpoint.rstrip("/")
        self._timeout = httpx.Timeout(self.retry.timeout_seconds).as_dict()
        self._transport = transport if transport is not None else default_transport(parallelism)

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def _send(
        self, method: str, url: str, content: bytes | None, headers: Mapping[str, str] | None
    ) -> httpx.Response:
        """One attempt: build, sign (anew: a fresh X-Sdk-Date each time) and send; the body is read."""
        request = httpx.Request(method, self._base + url, headers=_HEADERS, content=content)
        if headers:
            request.headers.update(headers)
        request = next(self._auth.auth_flow(request))  # our flows sign in one step, with no I/O
        request.extensions["timeout"] = self._timeout
        response = await self._transport.handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    def project_path(self, path: str) -> str:
        return f"/v1/{self.target.project_id}{path}"

    async def request(
        self,
        method: str,
        path: str,
        *,
        template: str = "",
        params: Mapping[str, str | int] | None = None,
        body: Json | None = None,
        headers: Mapping[str, str] | None = None,
        absolute: bool = False,
    ) -> Json:
        """Send one API call with the retry rules above; return the JSON body ({} when empty).

        `path` is under /v1/{project_id} unless `absolute`; `template` names the operation in stats.
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
        is_read = method == "GET"

        async def attempt() -> Json:
            self.stats.total += 1
            self.stats.by_operation[operation] += 1
            return await self._attempt(method, url, content, headers, operation)

        return await retrying(
            attempt,
            lambda exc: self._verdict(exc, is_read),
            self.retry,
            sleep=self._sleep,
            rng=self._rng,
            on_retry=self._count_retry,
        )

    async def _attempt(
        self, method: str, url: str, content: bytes | None, headers: Mapping[str, str] | None, operation: str
    ) -> Json:
        """One try; every failure comes out as the error the user sees if it is the last (see _verdict)."""
        is_read = method == "GET"
        try:
            async with self._limit:
                response = await self._send(method, url, content, headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # The connection was never opened (refused, unresolvable, too slow to open, no free slot in
            # the pool), so nothing reached the service: safe to retry any call.
            reason = str(exc) or type(exc).__name__
            raise ConnectError(
                f"cannot reach {self.target.endpoint}: {reason}; check --endpoint/--region and the network"
            ) from None
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            if not is_read:
                raise OutcomeUnknownError(
                    f"{operation}: no answer from {self.target.endpoint} ({type(exc).__name__}); "
                    "the change may or may not have been made"
                ) from None
            raise ConnectError(
                f"{operation}: no answer from {self.target.endpoint} ({type(exc).__name__})"
            ) from None
        status = response.status_code
        if status < 300:
            return self._body(response, operation)
        code, message = error_of(response)
        if status >= 500 and not is_read and not is_throttling(status, code):
            # A write answered 5xx may have been committed before the failure.
            raise OutcomeUnknownError(
                f"{operation}: HTTP {status} {code}: {message}; the change may or may not have been made"
            )
        raise self._error(status, code, message, operation, response.request.url)

    def _verdict(self, failure: Exception, is_read: bool) -> Verdict:
        """The retry rules of the module doc, on what _attempt raised."""
        if isinstance(failure, OutcomeUnknownError):
            return GIVE_UP  # the caller must look the object up before sending it again
        if isinstance(failure, ConnectError):
            return BACKOFF  # never opened (nothing sent), or a read with no answer
        if isinstance(failure, RemoteError):
            if is_throttling(failure.status, failure.code):
                return self.retry.throttle_floor_seconds
            if is_read and failure.status >= 500:
                return BACKOFF
        return GIVE_UP

    def _count_retry(self, failure: Exception, _pause: float) -> None:
        self.stats.retries += 1
        if isinstance(failure, RemoteError) and is_throttling(failure.status, failure.code):
            self.stats.throttled += 1

    def _body(self, response: httpx.Response, operation: str) -> Json:
        if not response.content:
            return {}
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            # A proxy's or a wrong endpoint's HTML page, say: one clear error, not a traceback.
            kind = response.headers.get("content-type", "unknown content type")
            raise RemoteError(
                response.status_code,
                "",
                f"the answer is not a JSON object ({kind}); is {self.target.endpoint} the MetaStudio endpoint?",
                f"{operation} ({_redacted(response.request.url)})",
            )
        return body

    def _error(self, status: int, code: str, message: str, operation: str, url: httpx.URL) -> RemoteError:
        if status == 401 or (status == 403 and code.startswith(("APIGW.", "APIG."))):
            hint = (
                "the embedded emulator refused its own credentials"
                if self.target.is_local
                else f"check the credentials from {self.target.credentials.source or 'the environment'} "
                f"and the project id {self.target.project_id}"
            )
            return AuthError(status, code, f"{message} ({hint})", operation)
        return RemoteError(status, code, message, f"{operation} ({_redacted(url)})")

    async def list_all(
        self,
        path: str,
        items_key: str,
        *,
        template: str = "",
        params: Mapping[str, str | int] | None = None,
        key: str | None = None,
    ) -> list[Json]:
        """Every item of a paged list: page 1 (limit 100), then the rest concurrently from `count`.

        Offset paging over a list that changes while it is read can repeat an item (kept once, by its `key`
        field) or skip one (a skipped group would be planned as a create): when the pages disagree on
        `count`, the list moved under us and is read once more.
        """
        items: list[Json] = []
        for _ in range(2):
            items, consistent = await self._read_pages(path, items_key, template, dict(params or {}))
            if consistent:
                break
        if key is None:
            return items
        unique: dict[Any, Json] = {}
        for item in items:
            unique.setdefault(item.get(key), item)
        return list(unique.values())

    async def _read_pages(
        self, path: str, items_key: str, template: str, base: dict[str, str | int]
    ) -> tuple[list[Json], bool]:
        first = await self.request(
            "GET", path, template=template, params={**base, "offset": 0, "limit": PAGE_LIMIT}
        )
        items: list[Json] = list(first.get(items_key) or [])
        count = int(first.get("count") or 0)
        offsets: Sequence[int] = range(PAGE_LIMIT, count, PAGE_LIMIT)
        pages = await asyncio.gather(
            *(
                self.request(
                    "GET", path, template=template, params={**base, "offset": o, "limit": PAGE_LIMIT}
                )
                for o in offsets
            )
        )
        consistent = True
        for page in pages:
            items.extend(page.get(items_key) or [])
            consistent = consistent and int(page.get("count") or 0) == count
        return items, consistent
