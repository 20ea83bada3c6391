"""Live-event reporting: 100,000 events from a JSON Lines file into a running job of the emulator.

    .venv/bin/python benchmarks/events.py [--events 100000] [--single 3000] [--seed 7]

The emulator is `smartlive emulator serve` in a subprocess (its own process, over a socket, state in a
SQLite file), so the figures are the client's, not a shared interpreter's. The client is what `smartlive
events report --url URL FILE` runs (jsonl parsing and checks, Bridge, BatchSender over httpx), timed from
the first line read to the last answer. Printed side by side, measured in the same run:

- batched: every event of the file, in requests of up to 1000 events (the API's maximum);
- one event per request (`--batch-size 1`): a sample of `--single` events, since 100,000 requests would
  take minutes; its requests for the whole file are then 1 per event by construction;
- the rule engine over the 50-rule group of benchmarks/rule_engine.py, with that script's own stream
  and timer (LiveEvent input, as the emulator receives events).

Goals (issue 6): at most 100 requests for 100,000 events; at least 100,000 events/s through the engine.
The run also checks that the emulator stored every event sent (a mismatch exits 1).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))  # rule_engine.py and _common.py, beside this file

from _common import emulator
from emulator_load import cpu_seconds
from rule_engine import GOAL_EVENTS_PER_SECOND, rule_group, stream, timed

from reconciler.api.models import StartSmartLiveReq
from reconciler.cloud.api import MetaStudioApi
from reconciler.cloud.config import Credentials, Target
from reconciler.cloud.http import HttpClient
from reconciler.emulator.config import DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK
from reconciler.events.bridge import Bridge
from reconciler.events.engine import RuleEngine
from reconciler.events.jsonl import now_ms, parse_lines, wire
from reconciler.events.report import MAX_BATCH, BatchSender, Summary
from reconciler.events.reporturl import ReportUrl

GOAL_REQUESTS_PER_100K = 100


async def start_job(base_url: str) -> tuple[str, str]:
    target = Target(base_url, DEFAULT_PROJECT_ID, Credentials(ak=DEFAULT_AK, sk=DEFAULT_SK))
    async with HttpClient(target) as http:
        room = await http.request("POST", "/smart-live-rooms", body={"room_name": "events benchmark"})
        job = await MetaStudioApi(http).start_job(room["room_id"], StartSmartLiveReq())
    assert job.job_id and job.live_event_report_url
    return job.job_id, job.live_event_report_url


async def report(path: Path, url: str, batch_size: int, limit: int | None = None) -> tuple[Summary, float]:
    """What `smartlive events report --url URL --batch-size N FILE` does; (summary, wall seconds)."""
    async with httpx.AsyncClient(timeout=30.0) as client:
        sender = BatchSender(client, ReportUrl.parse(url), clock=now_ms)
        started = time.perf_counter()
        with path.open("rb") as lines:
            source = parse_lines(line for number, line in enumerate(lines) if limit is None or number < limit)
            summary = await Bridge(sender, batch_size=batch_size).run(source)
        return summary, time.perf_counter() - started


def stored(base_url: str, job_id: str) -> int:
    response = httpx.get(f"{base_url}/_emulator/jobs/{job_id}", timeout=30.0)
    response.raise_for_status()
    return int(response.json()["event_count"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000, help="events in the file (default 100,000)")
    parser.add_argument(
        "--single", type=int, default=3_000, help="events sent one per request (default 3,000)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    events = stream(args.events, args.seed)  # benchmarks/rule_engine.py's mixed stream: 5 event types
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for event in events:
                out.write(json.dumps(wire(event), ensure_ascii=False) + "\n")
        size = f"{path.stat().st_size / 1e6:.1f} MB"
        with emulator(data=Path(tmp) / "emulator.db", rate_limits=False, start_delay=0) as emu:
            job_id, url = asyncio.run(start_job(emu.url))
            server_before, client_before = cpu_seconds(emu.process.pid), time.process_time()
            batched, batched_s = asyncio.run(report(path, url, MAX_BATCH))
            server_cpu, client_cpu = (
                cpu_seconds(emu.process.pid) - server_before,
                time.process_time() - client_before,
            )
            single, single_s = asyncio.run(report(path, url, 1, limit=args.single))
            count = stored(emu.url, job_id)

    batched_rate, single_rate = batched.sent / batched_s, single.sent / single_s
    print(f"{args.events:,} events ({size} of JSON Lines, types 1/2/3/4/6), emulator in its own process")
    print(f"{'':<44} {'requests':>10} {'events/s':>10} {'seconds':>8}")
    print(
        f"{'batched (up to 1000 per request)':<44} {batched.requests:>10,} {batched_rate:>10,.0f} {batched_s:>8.2f}"
    )
    print(
        f"{f'one per request ({single.sent:,} sampled)':<44} {single.requests:>10,} {single_rate:>10,.0f} "
        f"{single_s:>8.2f}"
    )
    print(
        f"{'one per request, the whole file (1 / event)':<44} {args.events:>10,} {single_rate:>10,.0f} "
        f"{args.events / single_rate:>8.1f}"
    )
    print(
        f"  batched, CPU: client {client_cpu:.2f} s (parse, check, send), emulator {server_cpu:.2f} s "
        f"({server_cpu / batched.requests * 1000:.0f} ms per 1000-event request)"
    )
    print(
        f"ratio batched / one per request: {args.events / batched.requests:,.0f}x fewer requests, "
        f"{batched_rate / single_rate:,.1f}x the events/s"
    )
    requests_goal = batched.requests <= GOAL_REQUESTS_PER_100K * max(1, args.events // 100_000)
    print(
        f"goal <= {GOAL_REQUESTS_PER_100K} requests per 100,000 events: "
        f"{'met' if requests_goal else 'NOT met'} ({batched.requests})"
    )

    engine = RuleEngine(rule_group(), seed=args.seed)

    def run_engine() -> list[object]:
        engine.reset()
        return list(engine.evaluate_all(events))

    engine_rate, _ = timed("rule engine, 50 rules, LiveEvent input", run_engine, args.events, 3)
    print(
        f"engine goal >= {GOAL_EVENTS_PER_SECOND:,} events/s: {'met' if engine_rate >= GOAL_EVENTS_PER_SECOND else 'NOT met'}; "
        f"the engine is {engine_rate / batched_rate:,.1f}x the reporting rate"
    )

    expected = batched.sent + single.sent
    print(f"stored by the emulator: {count:,} of {expected:,} sent")
    ok = count == expected and batched.rejected == 0 and batched.sent == args.events
    return 0 if ok and requests_goal else 1


if __name__ == "__main__":
    sys.exit(main())
