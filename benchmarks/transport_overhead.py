"""Client CPU per request of the production transport, with proxies read once vs per request.

The transport (reconciler/cloud/transport.py) reads the proxy variables once and passes the proxy to
aiohttp; the alternative is the same transport with aiohttp's `trust_env=True`, as before: a `.netrc`
read and a proxy lookup, in a worker thread, for every request. Both send the same GETs, 8 at a time,
to a minimal HTTP/1.1 server in the same process (so the CPU figure includes the server's share, the
same in both), one run each.

    .venv/bin/python benchmarks/transport_overhead.py [--requests 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the reconciler package beside benchmarks/

from reconciler.cloud.transport import ExactAiohttpTransport, ProxySettings

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
IN_FLIGHT = 8


class PerRequestLookups(ExactAiohttpTransport):
    """The alternative: aiohttp reads .netrc and the proxy variables for each request itself."""

    def get_client(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(ssl=self.ssl_context, limit=IN_FLIGHT)
        return aiohttp.ClientSession(connector=connector, trust_env=True)


async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(OK)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def cpu_per_request(transport: httpx.AsyncBaseTransport, requests: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of `requests` GETs, after one to open the connection."""
    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/p/groups"
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def get() -> None:
        async with slots:
            request = httpx.Request("GET", url)
            request.extensions["timeout"] = httpx.Timeout(5.0).as_dict()
            response = await transport.handle_async_request(request)
            await response.aread()

    await get()
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(get() for _ in range(requests)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await transport.aclose()
    server.close()
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    cases = {
        "proxies read once (smartlive)": ExactAiohttpTransport(limits=limits, proxies=ProxySettings({})),
        "per-request lookups (trust_env)": PerRequestLookups(limits=limits, proxies=ProxySettings({})),
    }
    figures = {name: asyncio.run(cpu_per_request(t, args.requests)) for name, t in cases.items()}
    for name, (wall, cpu) in figures.items():
        print(
            f"{name:32}: {args.requests} GETs in {wall * 1000:6.0f} ms, CPU {cpu * 1000:6.0f} ms "
            f"({cpu / args.requests * 1e6:4.0f} us per request)"
        )
    (_, once), (_, each) = figures.values()
    print(f"per-request lookups cost {each / once:.1f}x the CPU")


if __name__ == "__main__":
    main()
