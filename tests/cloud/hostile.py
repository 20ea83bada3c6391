"""A hostile MetaStudio: a raw HTTP/1.1 server on a loopback socket, in a thread of its own, that answers
each request however a test says (a wrong-shaped body, a lying count, a body that never ends, one byte
every few seconds, nothing at all), so that the real CLI and its real transport meet it over a socket.

Every answer that could go on forever is bounded (HOSTILE_SECONDS, a byte budget), so that a client
without the defences under test ends its test with a failure, not a hang.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: The longest any hostile answer lasts; a defended client gives up long before.
HOSTILE_SECONDS = 20.0
AK, SK, PROJECT = "hostile-ak", "hostile-sk-never-printed-3c9d", "hostile-project"
CREDENTIALS_ENV = {
    "HUAWEICLOUD_SDK_AK": AK,
    "HUAWEICLOUD_SDK_SK": SK,
    "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT,
    "NO_COLOR": "1",
}
#: The list operations plan reads, by path: the key of their items.
LIST_KEYS = {
    f"/v1/{PROJECT}/smart-live-interaction-rule-groups": "interaction_rule_groups",
    f"/v1/{PROJECT}/smart-live-jobs": "smart_live_jobs",
    f"/v1/{PROJECT}/smart-live-rooms": "smart_live_rooms",
}
GROUPS = f"/v1/{PROJECT}/smart-live-interaction-rule-groups"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]

    @property
    def offset(self) -> int:
        return int(self.query.get("offset", "0"))


Writer = asyncio.StreamWriter
#: An answer: writes to the connection; returns False to close it afterwards.
Answer = Callable[[Request, Writer], Awaitable[bool]]


def head(status: int = 200, headers: dict[str, str] | None = None, length: int | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}"]
    fields = {"Content-Type": "application/json", **(headers or {})}
    if length is not None:
        fields["Content-Length"] = str(length)
    lines += [f"{k}: {v}" for k, v in fields.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def body(content: bytes | str | Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    """A complete answer: bytes as they are, text encoded, anything else as JSON."""
    if isinstance(content, str):
        data = content.encode()
    elif isinstance(content, bytes):
        data = content
    else:
        data = json.dumps(content).encode()

    async def answer(_request: Request, writer: Writer) -> bool:
        writer.write(head(status, headers, len(data)) + data)
        await writer.drain()
        return True

    return answer


def empty_list(request: Request) -> Answer:
    """What an empty project answers to a list (and {} to anything else)."""
    key = LIST_KEYS.get(request.path)
    return body({"count": 0, key: []} if key else {})


async def hang(_request: Request, _writer: Writer) -> bool:
    """Reads the request and never answers (until HOSTILE_SECONDS)."""
    await asyncio.sleep(HOSTILE_SECONDS)
    return False


def drip(every: float) -> Answer:
    """A status line and headers at once, then the body one byte every `every` seconds: a read timeout
    that restarts with each byte never fires."""

    async def answer(_request: Request, writer: Writer) -> bool:
        writer.write(head(200, {"Connection": "close"}))
        await writer.drain()
        loop = asyncio.get_running_loop()
        until = loop.time() + HOSTILE_SECONDS
        while loop.time() < until:
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(every)
        return False

    return answer


def endless(budget: int = 256 * 1024 * 1024) -> Answer:
    """A 200 with no length that goes on until the client hangs up (or `budget` bytes are sent)."""
    chunk = b"[" * 65536

    async def answer(_request: Request, writer: Writer) -> bool:
        writer.write(head(200, {"Connection": "close"}))
        sent = 0
        while sent < budget:
            writer.write(chunk)
            await writer.drain()
            sent += len(chunk)
        return False

    return answer


@dataclass
class HostileServer:
    """Serves `route(request)` for every request; records the requests and the most in flight at once."""

    route: Callable[[Request], Answer]
    requests: list[Request] = field(default_factory=list)
    in_flight: int = 0
    peak: int = 0
    url: str = ""

    def count(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    async def _handle(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        try:
            while True:
                request = await self._read(reader)
                self.requests.append(request)
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                try:
                    keep = await self.route(request)(request, writer)
                finally:
                    self.in_flight -= 1
                if not keep:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass  # the client hung up: what a defended client does to a hostile answer
        except asyncio.CancelledError:
            pass  # the server stops (serving() ends): asyncio would log a cancelled handler as an error
        finally:
            writer.close()

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> Request:
        raw = await reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        length = next(
            (int(v) for k, _, v in (ln.partition(":") for ln in lines) if k.lower() == "content-length"), 0
        )
        if length:
            await reader.readexactly(length)
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        return Request(method, parts.path, query)


@contextmanager
def serving(route: Callable[[Request], Answer]) -> Iterator[HostileServer]:
    """The server on 127.0.0.1 (a free port), running in a thread with its own event loop."""
    server = HostileServer(route)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    handles: dict[str, asyncio.Server] = {}

    async def start() -> None:
        handles["server"] = await asyncio.start_server(server._handle, "127.0.0.1", 0)
        server.url = f"http://127.0.0.1:{handles['server'].sockets[0].getsockname()[1]}"
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    started.wait(10)
    try:
        yield server
    finally:

        async def stop() -> None:
            handles["server"].close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def one_group(directory: Path, name: str = "welcome") -> Path:
    """A manifest directory declaring one rule group: plan lists groups, then the project's jobs."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = {
        "apiVersion": "smartlive/v1",
        "kind": "InteractionRuleGroup",
        "metadata": {"name": name},
        "spec": {"interaction_rules": [{"rule_name": "hi", "event_type": 1}]},
    }
    (directory / f"{name}.yaml").write_text(json.dumps(manifest), encoding="utf-8")
    return directory
