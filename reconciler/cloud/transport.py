"""The production HTTP transport: httpx's interface over aiohttp's connection pool and C HTTP parser.

Why: measured with benchmarks/plan_scale.py, httpx's own stack (httpcore, h11, anyio) cost ~2.2 ms of
client CPU per signed GET, aiohttp ~0.65 ms, and a plan reads thousands of groups from one event loop.
httpx-aiohttp does the adapting; this module only makes its errors exact, because the retry rules in
http.py read them: a connection that was never opened (ConnectError, ConnectTimeout) is retried for any
call, anything after that is "maybe committed" for a write. httpx-aiohttp 0.2 reports a refused
connection as a ConnectTimeout, lets malformed answers escape as aiohttp exceptions, reports a connection
dropped while the body is read as a ConnectTimeout too (after the request was sent!), and ignores proxies
from the environment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport


def _exact(cause: BaseException | None, mapped: httpx.TransportError) -> httpx.TransportError:
    message = str(cause) if cause is not None else str(mapped)
    if isinstance(cause, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(cause, aiohttp.ClientConnectorError):  # refused, unresolvable, TLS verification
        return httpx.ConnectError(message)
    if isinstance(cause, aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(message)
    if isinstance(mapped, httpx.ConnectError | httpx.ConnectTimeout):
        # The connection was open (a server that hung up, a reset): the request may have been sent, so
        # it must not read as "never sent" (httpx-aiohttp maps every ClientConnectionError that way).
        return httpx.RemoteProtocolError(message)
    return mapped


def _while_reading(exc: BaseException) -> httpx.TransportError:
    """An error met while the body was read: whatever it is mapped to, the request had been sent."""
    mapped = (
        _exact(exc.__cause__, exc) if isinstance(exc, httpx.TransportError) else httpx.ReadError(str(exc))
    )
    if isinstance(mapped, httpx.ConnectError | httpx.ConnectTimeout):
        return httpx.RemoteProtocolError(str(mapped))
    return mapped


class _ExactStream(httpx.AsyncByteStream):
    """A response body whose read errors are exact: they all come after the request was sent."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            raise _while_reading(exc) from exc

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            raise _while_reading(exc) from exc


class ExactAiohttpTransport(AiohttpTransport):
    def get_client(self) -> aiohttp.ClientSession:
        # httpx-aiohttp 0.2 drops trust_env: without it HTTPS_PROXY / NO_PROXY would be ignored.
        connector = aiohttp.TCPConnector(
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.ssl_context,
            limit=self.limits.max_connections or 0,
        )
        return aiohttp.ClientSession(connector=connector, trust_env=True)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except httpx.TransportError as exc:
            raise _exact(exc.__cause__, exc) from exc.__cause__
        except aiohttp.ClientError as exc:  # a malformed answer, a dropped connection: after sending
            raise httpx.RemoteProtocolError(str(exc)) from exc
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _ExactStream(response.stream)
        return response


def default_transport(parallelism: int) -> httpx.AsyncBaseTransport:
    """`parallelism` keep-alive connections; proxies from the environment are honoured (trust_env)."""
    n = max(1, parallelism)
    return ExactAiohttpTransport(limits=httpx.Limits(max_connections=n, max_keepalive_connections=n))
