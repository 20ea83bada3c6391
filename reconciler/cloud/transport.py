"""The production HTTP transport: httpx's interface over aiohttp's connection pool and C HTTP parser.

Why: measured with benchmarks/plan_scale.py, httpx's own stack (httpcore, h11, anyio) cost ~2.2 ms of
client CPU per signed GET, aiohttp ~0.65 ms, and a plan reads thousands of groups from one event loop.
httpx-aiohttp provides the connection pool's set-up and its error table (map_aiohttp_exceptions); this
module adapts each request itself (ExactAiohttpTransport.handle_async_request, one body stream instead of
httpx-aiohttp's inside ours) and makes the errors exact, because the retry rules in http.py read them: a connection that was never opened (ConnectError, ConnectTimeout) is retried for any
call, anything after that is "maybe committed" for a write. httpx-aiohttp 0.2 reports a refused
connection as a ConnectTimeout, lets malformed answers escape as aiohttp exceptions, reports a connection
dropped while the body is read as a ConnectTimeout too (after the request was sent!), and ignores proxies
from the environment.

Proxies are resolved once, when the transport is made (ProxySettings), and passed to aiohttp per request:
aiohttp's own `trust_env=True` reads ~/.netrc and the proxy variables again for every request, in a worker
thread, which a plan of thousands of GETs pays for thousands of times.
"""

from __future__ import annotations

import urllib.request
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from httpx_aiohttp.transport import map_aiohttp_exceptions

#: The most of an answer's body handed on at once (httpx-aiohttp's chunk size).
_CHUNK_BYTES = 16 * 1024


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


class _ExactBody(httpx.AsyncByteStream):
    """An answer's body, read from aiohttp; its read errors are exact: they all come after the request
    was sent."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            with map_aiohttp_exceptions():
                async for chunk in self._response.content.iter_chunked(_CHUNK_BYTES):
                    yield chunk
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            raise _while_reading(exc) from exc

    async def aclose(self) -> None:
        try:
            with map_aiohttp_exceptions():
                await self._response.__aexit__(None, None, None)
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            raise _while_reading(exc) from exc


@dataclass(frozen=True)
class ProxySettings:
    """The proxy variables as read once (urllib's reading: HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY,
    either case; REQUEST_METHOD set means a CGI script, where HTTP_PROXY is a client's header and ignored).

    `for_url` is pure: it consults what was read, never the environment or a file, and remembers its
    answer per scheme, host and port (a run talks to one or two)."""

    proxies: Mapping[str, str]  # "http" / "https" / "all" -> proxy URL, "no" -> the NO_PROXY list
    _decided: dict[tuple[str, str, int | None], httpx.Proxy | None] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def from_environment(cls) -> ProxySettings:
        return cls(dict(urllib.request.getproxies_environment()))

    def for_url(self, url: httpx.URL) -> httpx.Proxy | None:
        key = (url.scheme, url.host, url.port)
        if key not in self._decided:
            self._decided[key] = self._decide(url.scheme, url.host, url.port)
        return self._decided[key]

    def _decide(self, scheme: str, host: str, port: int | None) -> httpx.Proxy | None:
        proxy = self.proxies.get(scheme) or self.proxies.get("all")
        if not proxy:
            return None
        # proxy_bypass_environment (stdlib since 2.x, absent from typeshed) matches NO_PROXY entries
        # against "host" and "host:port", as aiohttp's trust_env did.
        where = f"{host}:{port}" if port is not None else host
        if urllib.request.proxy_bypass_environment(where, dict(self.proxies)):  # type: ignore[attr-defined]
            return None
        # httpx.Proxy moves credentials in the URL into .auth, which AiohttpTransport passes as aiohttp's
        # proxy_auth: deprecated, but the one way aiohttp sends them both to a plain-HTTP proxy (as a
        # request header) and in a CONNECT (proxy_headers reach only the latter).
        return httpx.Proxy(proxy if "://" in proxy else f"http://{proxy}")


class ExactAiohttpTransport(AiohttpTransport):
    def __init__(self, *, proxies: ProxySettings | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.proxies = proxies if proxies is not None else ProxySettings.from_environment()
        self._last_timeout: tuple[tuple[float | None, ...], aiohttp.ClientTimeout] = (
            (),
            aiohttp.ClientTimeout(),
        )

    def get_client(self) -> aiohttp.ClientSession:
        # trust_env stays False: proxies come from self.proxies, read once; no per-request netrc read.
        connector = aiohttp.TCPConnector(
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.ssl_context,
            limit=self.limits.max_connections or 0,
        )
        return aiohttp.ClientSession(connector=connector, trust_env=False)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """AiohttpTransport's adaptation, made exact and lean: one stream over aiohttp's body (not one
        inside another), the headers passed as a list, the time limits made once per value."""
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self.get_client()
        proxy = self.proxies.for_url(request.url)
        try:
            with map_aiohttp_exceptions():
                response = await self.client.request(
                    request.method,
                    str(request.url),
                    headers=request.headers.multi_items(),
                    data=_content(request),
                    allow_redirects=False,
                    auto_decompress=False,  # httpx decodes (Response.aiter_bytes), within the size cap
                    compress=False,
                    timeout=self._timeout(request.extensions.get("timeout", {})),
                    server_hostname=request.extensions.get("sni_hostname"),
                    proxy=str(proxy.url) if proxy else None,
                    # Deprecated, but the one way aiohttp sends a proxy's credentials both to a plain-HTTP
                    # proxy and in a CONNECT (see ProxySettings._decide).
                    proxy_auth=aiohttp.BasicAuth(*proxy.auth) if proxy and proxy.auth else None,
                    proxy_headers=proxy.headers if proxy else None,
                ).__aenter__()
        except httpx.TransportError as exc:
            raise _exact(exc.__cause__, exc) from exc.__cause__
        except aiohttp.ClientError as exc:  # a malformed answer, a dropped connection: after sending
            raise httpx.RemoteProtocolError(str(exc)) from exc
        extensions = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode()
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_ExactBody(response),
            request=request,
            extensions=extensions,
        )

    def _timeout(self, limits: Mapping[str, float | None]) -> aiohttp.ClientTimeout:
        """httpx's time limits as aiohttp's; the last one made is kept (a run sends the same ones)."""
        key = (limits.get("connect"), limits.get("read"), limits.get("pool"))
        if self._last_timeout[0] != key:
            connect, read, pool = key
            self._last_timeout = (
                key,
                aiohttp.ClientTimeout(sock_connect=connect, sock_read=read, connect=pool),
            )
        return self._last_timeout[1]


def _content(request: httpx.Request) -> bytes | httpx.AsyncByteStream | None:
    try:
        return request.content or None
    except httpx.RequestNotRead:  # a streamed body: aiohttp frames it
        request.headers.pop("transfer-encoding", None)
        assert isinstance(request.stream, httpx.AsyncByteStream)
        return request.stream


def default_transport(parallelism: int) -> httpx.AsyncBaseTransport:
    """`parallelism` keep-alive connections; proxies from the environment, read now, once."""
    n = max(1, parallelism)
    return ExactAiohttpTransport(
        limits=httpx.Limits(max_connections=n, max_keepalive_connections=n),
        proxies=ProxySettings.from_environment(),
    )
