"""The production transport (httpx over aiohttp, reconciler/cloud/transport.py) against a
scripted server on a real socket: body framings, keep-alive and its limits, and failures surfacing as
httpx's exception types, which the retry rules of http.py read."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from reconciler.cloud.transport import ExactAiohttpTransport, default_transport

Answer = Callable[[bytes, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[bool]]


class Server:
    """Accepts connections; for each request head read, calls `answer` (returns False to stop the connection)."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.heads: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
                body = await reader.readexactly(int(length[0].split(b":")[1])) if length else b""
                self.heads.append(head + body)
                if not await self.answer(head, reader, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(
    answer: Answer, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[Server, str]]:
    server = Server(answer)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=ssl_context)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield server, f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"
    finally:
        listener.close()


def replying(raw: bytes, keep: bool = True) -> Answer:
    async def answer(head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        writer.write(raw)
        await writer.drain()
        return keep

    return answer


async def get(
    transport: httpx.AsyncBaseTransport, url: str, method: str = "GET", timeout: float = 5.0
) -> httpx.Response:
    request = httpx.Request(method, url, content=b"{}" if method == "POST" else None)
    request.extensions["timeout"] = httpx.Timeout(timeout).as_dict()
    response = await transport.handle_async_request(request)
    await response.aread()
    return response


def run(coro: Awaitable[None]) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def test_content_length_body_and_keep_alive_reuse() -> None:
    async def go() -> None:
        raw = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"a": "\xc3\xa9"}'
        async with serving(replying(raw)) as (server, url):
            transport = default_transport(2)
            for _ in range(5):
                response = await get(transport, url + "/v1/p/x?b=%20c")
                assert response.status_code == 200 and response.json() == {"a": "é"}
                assert response.reason_phrase == "OK" and response.http_version == "HTTP/1.1"
            await transport.aclose()
            assert server.connections == 1, "one keep-alive connection carries them all"
            assert server.heads[0].startswith(b"GET /v1/p/x?b=%20c HTTP/1.1\r\n")
            assert b"\r\nhost: 127.0.0.1:" in server.heads[0].lower()

    run(go())


def test_a_request_body_is_sent_after_its_head() -> None:
    async def go() -> None:
        async with serving(replying(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")) as (server, url):
            transport = default_transport(1)
            response = await get(transport, url + "/groups", method="POST")
            assert response.status_code == 201 and response.content == b""
            assert server.heads[0].endswith(b"\r\n\r\n{}") and b"content-length: 2" in server.heads[0].lower()
            await transport.aclose()

    run(go())


def test_chunked_and_gzip_bodies() -> None:
    payload = gzip.compress(b'{"count": 3}')
    chunked = b"".join(
        [
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n",
            b"%x;ext=1\r\n" % 5,
            payload[:5],
            b"\r\n",
            b"%x\r\n" % (len(payload) - 5),
            payload[5:],
            b"\r\n0\r\nX-Trailer: t\r\n\r\n",
        ]
    )

    async def go() -> None:
        async with serving(replying(chunked)) as (server, url):
            transport = default_transport(1)
            assert (await get(transport, url)).json() == {"count": 3}
            assert (await get(transport, url)).json() == {"count": 3}
            assert server.connections == 1
            await transport.aclose()

    run(go())


def test_connection_close_and_a_body_read_to_the_end() -> None:
    async def go() -> None:
        raw = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"x" * 70_000
        async with serving(replying(raw, keep=False)) as (server, url):
            transport = default_transport(1)
            assert len((await get(transport, url)).content) == 70_000
            assert len((await get(transport, url)).content) == 70_000
            assert server.connections == 2, "a closed connection is not reused"
            await transport.aclose()

    run(go())


def test_interim_answers_and_bodiless_statuses() -> None:
    async def go() -> None:
        raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
        async with serving(replying(raw)) as (_, url):
            transport = default_transport(1)
            assert (await get(transport, url)).status_code == 204
            assert (await get(transport, url)).status_code == 204, "the connection stays in step"
            await transport.aclose()

    run(go())


def test_an_idle_connection_the_server_closed_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    async def go() -> None:
        # The server answers one request per connection, closing it afterwards without saying so.
        async with serving(replying(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", keep=False)) as (
            server,
            url,
        ):
            transport = default_transport(1)
            await get(transport, url)
            await asyncio.sleep(0.05)  # the close reaches the client while the connection is idle
            assert (await get(transport, url)).status_code == 200
            assert server.connections == 2
            await transport.aclose()

    run(go())


def test_at_most_n_connections() -> None:
    async def slow(head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.02)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()
        return True

    async def go() -> None:
        async with serving(slow) as (server, url):
            transport = default_transport(3)
            await asyncio.gather(*(get(transport, url) for _ in range(12)))
            assert server.connections == 3
            await transport.aclose()

    run(go())


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        # Any httpx.TransportError is what the retry rules need: a read retried, a write "outcome unknown".
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", httpx.TransportError),
        (b"", httpx.TransportError),
        (b"SSH-2.0-OpenSSH\r\n\r\n", httpx.TransportError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", httpx.TransportError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", httpx.TransportError),
    ],
    ids=["short-body", "no-answer", "not-http", "bad-length", "bad-chunk"],
)
def test_broken_answers_are_protocol_errors(raw: bytes, error: type[Exception]) -> None:
    async def go() -> None:
        async with serving(replying(raw, keep=False)) as (_, url):
            transport = default_transport(1)
            try:
                with pytest.raises(error) as raised:
                    await get(transport, url)
                # The request went out: it must not read as a connection that never opened (retried blindly).
                assert not isinstance(raised.value, httpx.ConnectError | httpx.ConnectTimeout)
            finally:
                await transport.aclose()

    run(go())


def test_a_silent_server_is_a_read_timeout() -> None:
    async def silent(head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(1)
        return False

    async def go() -> None:
        async with serving(silent) as (_, url):
            transport = default_transport(1)
            try:
                with pytest.raises(httpx.TimeoutException):
                    await get(transport, url, timeout=0.05)
            finally:
                await transport.aclose()

    run(go())


def test_a_refused_connection_is_a_connect_error() -> None:
    async def go() -> None:
        transport = default_transport(1)
        try:
            with pytest.raises(httpx.ConnectError):
                await get(transport, "http://127.0.0.1:9/")
        finally:
            await transport.aclose()

    run(go())


def test_tls_with_verification_and_a_refused_certificate(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))

    async def go() -> None:
        async with serving(replying(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"), server_side) as (
            _,
            url,
        ):
            transport = ExactAiohttpTransport(verify=trusting)
            assert (await get(transport, url)).json() == {}
            await transport.aclose()
            default = default_transport(1)  # the CA bundle does not know this certificate
            try:
                with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                    await get(default, url)
            finally:
                await default.aclose()

    run(go())


PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "REQUEST_METHOD")


def clean_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"


def test_the_proxy_from_the_environment_carries_requests_and_no_proxy_bypasses_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clean_proxy_environment(monkeypatch)

    async def go() -> None:
        async with serving(replying(OK)) as (proxy, proxy_url), serving(replying(OK)) as (target, url):
            # The proxy listens on "localhost", the target on "127.0.0.1": NO_PROXY can name one only.
            monkeypatch.setenv("HTTP_PROXY", proxy_url.replace("127.0.0.1", "user:pa%20ss@localhost"))
            through = default_transport(1)
            assert (await get(through, url + "/v1/x")).json() == {}
            await through.aclose()
            assert proxy.heads[0].startswith(f"GET {url}/v1/x HTTP/1.1\r\n".encode())
            assert b"proxy-authorization: basic dxnlcjpwysbzcw==" in proxy.heads[0].lower()  # user:pa ss
            assert target.heads == []

            monkeypatch.setenv("NO_PROXY", "example.com, 127.0.0.1")
            direct = default_transport(1)
            assert (await get(direct, url + "/v1/y")).json() == {}
            await direct.aclose()
            assert len(proxy.heads) == 1 and target.heads[0].startswith(b"GET /v1/y HTTP/1.1\r\n")

    run(go())


def test_proxy_settings_are_read_once_per_transport_not_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """aiohttp's trust_env read ~/.netrc and the proxy variables for every request (in a thread)."""
    import urllib.request

    import aiohttp.client

    clean_proxy_environment(monkeypatch)
    calls: list[str] = []

    def counting(name: str, real: Callable[..., object]) -> Callable[..., object]:
        def wrapper(*args: object, **kwargs: object) -> object:
            calls.append(name)
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        urllib.request, "getproxies_environment", counting("env", urllib.request.getproxies_environment)
    )
    monkeypatch.setattr(aiohttp.client, "netrc_from_env", counting("netrc", aiohttp.client.netrc_from_env))
    monkeypatch.setattr(
        aiohttp.client, "get_env_proxy_for_url", counting("proxy", aiohttp.client.get_env_proxy_for_url)
    )

    async def go() -> None:
        async with serving(replying(OK)) as (server, url):
            transport = default_transport(2)
            for _ in range(5):
                assert (await get(transport, url)).json() == {}
            await transport.aclose()
            assert len(server.heads) == 5

    run(go())
    assert calls == ["env"]


def test_proxy_settings_choose_by_scheme_fall_back_to_all_and_honour_no_proxy() -> None:
    from reconciler.cloud.transport import ProxySettings

    def proxy_for(proxies: dict[str, str], url: str) -> str | None:
        chosen = ProxySettings(proxies).for_url(httpx.URL(url))
        return None if chosen is None else str(chosen.url)

    both = {"http": "http://plain:3128", "https": "http://secure:3128"}
    assert proxy_for(both, "https://metastudio.example.com/v1") == "http://secure:3128"
    assert proxy_for(both, "http://metastudio.example.com/v1") == "http://plain:3128"
    assert proxy_for({"all": "socks-less:8080"}, "https://a.example.com") == "http://socks-less:8080"
    assert proxy_for({}, "https://a.example.com") is None
    no = {"https": "http://p:1", "no": "internal.example.com, .corp, 10.0.0.1:8443"}
    assert proxy_for(no, "https://internal.example.com/x") is None
    assert proxy_for(no, "https://api.corp/x") is None, "a domain suffix"
    assert proxy_for(no, "https://10.0.0.1:8443/x") is None, "host:port"
    assert proxy_for(no, "https://10.0.0.1:9443/x") == "http://p:1", "another port of that host"
    assert proxy_for(no, "https://metastudio.example.com/x") == "http://p:1"
    assert proxy_for({"https": "http://p:1", "no": "*"}, "https://anything.example.com") is None
