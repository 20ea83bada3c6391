"""Load on the emulator over a real socket: list calls per second, and concurrent writers with a count check.

    .venv/bin/python benchmarks/emulator_load.py [--seconds 5] [--connections 32] [--writers 64] [--groups 5000]

The server is `smartlive emulator serve` in a subprocess (its own process, as a user runs it), state in a
SQLite file. The clients are asyncio keep-alive HTTP/1.1 connections that sign every request with AK/SK
(reconciler.api.signing, as the SDK signs), in this process, so the client costs little next to the
server; the same machine's two cores serve both.

Figures printed, each beside what it is compared to in the same run:
  * ListInteractionRuleGroups calls/s against the goal (1,500/s) and against GET /_emulator/health on the
    same server and client (the floor cost of the HTTP stack, no auth, no database);
  * 64 writers creating 5,000 rule groups: writes/s, then the count and the set of names read back
    (no write lost, none duplicated).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _common.py, beside this file

from _common import emulator

from reconciler.api import signing

AK, SK, PROJECT = "bench-ak", "bench-sk", "bench-project"
GOAL_LIST_PER_SECOND = 1500
GROUPS_PATH = f"/v1/{PROJECT}/smart-live-interaction-rule-groups"


@dataclass
class Answer:
    status: int
    body: bytes


class Connection:
    """One keep-alive HTTP/1.1 connection; requests on it are sequential."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.netloc = f"{host}:{port}"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()

    async def request(
        self, method: str, path: str, query: list[tuple[str, str]], body: bytes = b"", sign: bool = True
    ) -> Answer:
        assert self._reader is not None and self._writer is not None
        headers = {"Host": self.netloc, "Content-Type": "application/json", "X-Project-Id": PROJECT}
        if sign:
            headers.update(
                signing.sign_headers(
                    ak=AK, sk=SK, method=method, path=path, query=query, headers=headers, body=body
                )
            )
        target = path + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")
        head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        status_line = await self._reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self._reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return Answer(status, await self._reader.readexactly(length) if length else b"")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): the server's cost per request, which the
    machine's other load does not change, beside the wall-clock rate, which it does."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def connections(host: str, port: int, count: int) -> list[Connection]:
    opened = [Connection(host, port) for _ in range(count)]
    await asyncio.gather(*(c.open() for c in opened))
    return opened


async def rate(
    host: str, port: int, count: int, seconds: float, path: str, query: list[tuple[str, str]], sign: bool
) -> tuple[float, int]:
    """Requests per second over `count` connections for `seconds`; also the number of non-200 answers."""
    pool = await connections(host, port, count)
    done = failed = 0
    deadline = time.perf_counter() + seconds

    async def loop(connection: Connection) -> None:
        nonlocal done, failed
        while time.perf_counter() < deadline:
            answer = await connection.request("GET", path, query, sign=sign)
            done += 1
            failed += answer.status != 200

    started = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in pool))
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(c.close() for c in pool))
    return done / elapsed, failed


async def writers(host: str, port: int, count: int, groups: int) -> tuple[float, int]:
    pool = await connections(host, port, count)
    names = iter(range(groups))
    failed = 0

    async def loop(connection: Connection) -> None:
        nonlocal failed
        for index in names:  # one shared iterator: each name is written exactly once
            body = json.dumps(
                {"group_name": f"load-{index:05}", "interaction_rules": [{"rule_name": "r", "event_type": 1}]}
            )
            answer = await connection.request("POST", GROUPS_PATH, [], body.encode())
            failed += answer.status != 200

    started = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in pool))
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(c.close() for c in pool))
    return groups / elapsed, failed


async def read_back(host: str, port: int) -> tuple[int, list[str]]:
    [connection] = await connections(host, port, 1)
    names: list[str] = []
    count, offset = 0, 0
    while True:
        answer = await connection.request("GET", GROUPS_PATH, [("limit", "100"), ("offset", str(offset))])
        page = json.loads(answer.body)
        count = page["count"]
        names += [g["group_name"] for g in page["interaction_rule_groups"]]
        offset += 100
        if offset >= count:
            break
    await connection.close()
    return count, names


async def run(args: argparse.Namespace, url: str, server_pid: int) -> int:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    # A realistic list: 20 groups exist, a page of 10 is returned.
    [seeder] = await connections(host, port, 1)
    for index in range(20):
        await seeder.request("POST", GROUPS_PATH, [], json.dumps({"group_name": f"seed-{index}"}).encode())
    await seeder.close()
    await rate(host, port, args.connections, 1.0, GROUPS_PATH, [("limit", "10")], True)  # warm-up

    print(f"machine: {os.cpu_count()} cores, load average before {os.getloadavg()[0]:.2f}")
    health_before = cpu_seconds(server_pid)
    health, _ = await rate(host, port, args.connections, args.seconds, "/_emulator/health", [], False)
    health_cpu_per_call = (cpu_seconds(server_pid) - health_before) / (health * args.seconds)
    server_before, client_before = cpu_seconds(server_pid), time.process_time()
    listed, list_failed = await rate(
        host, port, args.connections, args.seconds, GROUPS_PATH, [("limit", "10")], True
    )
    server_cpu, client_cpu = cpu_seconds(server_pid) - server_before, time.process_time() - client_before
    cpu_per_call = server_cpu / (listed * args.seconds)
    print(
        f"list calls/s (AK/SK-signed ListInteractionRuleGroups, {args.connections} connections): {listed:,.0f}"
    )
    print(f"  vs goal {GOAL_LIST_PER_SECOND:,}/s: x{listed / GOAL_LIST_PER_SECOND:.2f}")
    print(f"  vs GET /_emulator/health on the same stack ({health:,.0f}/s): x{listed / health:.2f}")
    print(
        f"  server CPU per call: {cpu_per_call * 1e6:,.0f} us, i.e. {1 / cpu_per_call:,.0f} calls/s "
        "for one free core (the server is one process)"
    )
    print(f"  of which the HTTP stack (server CPU per health call): {health_cpu_per_call * 1e6:,.0f} us")
    print(
        f"  busy during the run: server {server_cpu / args.seconds:.0%} of a core, "
        f"client {client_cpu / args.seconds:.0%} of a core"
    )
    print(f"  non-200 answers: {list_failed}")

    per_second, write_failed = await writers(host, port, args.writers, args.groups)
    count, names = await read_back(host, port)
    expected = {f"load-{i:05}" for i in range(args.groups)}
    written = [n for n in names if n.startswith("load-")]
    lost, duplicated = len(expected - set(written)), len(written) - len(set(written))
    print(
        f"writes/s ({args.writers} concurrent writers, {args.groups:,} CreateInteractionRuleGroup): {per_second:,.0f}"
    )
    print(
        f"  count after: {count - 20:,} of {args.groups:,}; lost {lost}, duplicated {duplicated}, non-200 {write_failed}"
    )
    ok = listed >= GOAL_LIST_PER_SECOND and lost == duplicated == write_failed == list_failed == 0
    ok = ok and count - 20 == args.groups
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("result:", "goal met" if ok else "goal NOT met")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each rate measurement")
    parser.add_argument(
        "--connections", type=int, default=32, help="concurrent connections for the list rate"
    )
    parser.add_argument("--writers", type=int, default=64)
    parser.add_argument("--groups", type=int, default=5000)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        emulator(
            credentials=(AK, SK, PROJECT), data=Path(tmp) / "bench.db", rate_limits=False, quiet=False
        ) as emu,
    ):
        return asyncio.run(run(args, emu.url, emu.process.pid))


if __name__ == "__main__":
    raise SystemExit(main())
