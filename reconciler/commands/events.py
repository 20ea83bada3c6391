"""`smartlive events report`: feed a platform's live events (JSON Lines) into a running job.

    smartlive events report (--job NAME | --room ROOM_ID [--job-id JOB_ID] | --url REPORT_URL) [FILE | -]
                            [--batch-size N] [--strict] [--follow [--flush-interval S]] [--dry-run]

The line formats are reconciler/events/jsonl.py's, the delivery rules reconciler/events/report.py's and
the batching loop reconciler/events/bridge.py's. Rejected lines go to stderr as `NAME:LINE: message`,
the summary to stdout. Exit 0 when every line read was delivered, 1 otherwise (a rejected line, events
not sent, an error), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import exitcodes
from reconciler.cloud.retry import DEFAULT_RUN_TIMEOUT_SECONDS
from reconciler.commands._argtypes import bounded
from reconciler.commands._environment import use_environment
from reconciler.commands._help import examples
from reconciler.commands._target import (
    TimeLimits,
    add_target_arguments,
    local_transport,
    open_api,
    rate_limits,
    target_from_args,
    time_limits,
)
from reconciler.errors import ConfigError

if TYPE_CHECKING:
    import httpx

    from reconciler.cloud.api import MetaStudioApi
    from reconciler.cloud.config import Target
    from reconciler.events.bridge import Bridge
    from reconciler.events.report import BatchSender, Refetch, Summary
    from reconciler.events.source import Input

ORDER = 70


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "events",
        help="live events: report a platform's comments, entries, likes, gifts into a running job",
        description="Live events of a running job, sent as the API's LiveEventReport operation takes them.",
        **examples(
            "smartlive events report demo/comments.jsonl --job store-landscape --local",
        ),
    )
    actions = parser.add_subparsers(dest="events_command", metavar="ACTION")
    actions.required = True
    report = actions.add_parser(
        "report",
        help="send JSON Lines events to a job's live_event_report_url, in batches of up to 1000",
        description=(
            "Send live events, one JSON object per line (the API's LiveEvent, or content as an object), "
            "to a running job in batches. Bad lines are reported with their line number and skipped "
            "(--strict: the run stops). Exit 0 when every line was delivered, 1 otherwise, 2 for usage."
        ),
        **examples(
            "smartlive events report events.jsonl --job evening-portrait           # a job smartlive applied",
            "smartlive events report events.jsonl --room ROOM_ID --job-id JOB_ID    # any active job",
            "platform-feed | smartlive events report --url-env REPORT_URL --follow  # a bridge, no credentials",
            "smartlive events report events.jsonl --dry-run                         # check the lines, send nothing",
        ),
    )
    report.add_argument(
        "input", nargs="?", default="-", metavar="FILE", help="JSON Lines file; - for stdin (default)"
    )
    job = report.add_argument_group("which job")
    job.add_argument(
        "--job", metavar="NAME", help="a SmartLiveJob applied by smartlive (read from the state store)"
    )
    job.add_argument("--room", metavar="ROOM_ID", help="the room: its one active job, or --job-id")
    job.add_argument("--job-id", metavar="JOB_ID", help="the job in --room")
    job.add_argument(
        "--url",
        metavar="REPORT_URL",
        help="the job's live_event_report_url itself (no credentials needed; cannot be renewed after a 401)",
    )
    job.add_argument(
        "--url-env",
        metavar="NAME",
        help="as --url, read from this environment variable (keeps the auth_key out of process listings)",
    )
    sending = report.add_argument_group("sending")
    sending.add_argument(
        "--batch-size",
        type=bounded(int, low=1, high=1000, note="the API takes at most 1000 events per request"),
        default=1000,
        metavar="N",
        help="events per request, 1-1000 (default 1000, the API's maximum)",
    )
    sending.add_argument("--strict", action="store_true", help="stop at the first bad line or refused event")
    sending.add_argument(
        "--follow",
        action="store_true",
        help="a bridge: keep reading stdin, sending a batch when full or --flush-interval after its first event",
    )
    sending.add_argument(
        "--flush-interval",
        type=bounded(float, low=0.0, high=86_400.0, note="seconds"),
        default=1.0,
        metavar="SECONDS",
        help="with --follow, the longest an event waits for its batch (default 1)",
    )
    sending.add_argument(
        "--refresh-margin",
        type=bounded(float, low=0.0, high=86_400.0, note="seconds"),
        default=300.0,
        metavar="SECONDS",
        help="renew the URL (refresh_url=true) when its auth_key has less than this left (default 300)",
    )
    sending.add_argument(
        "--no-review",
        action="store_true",
        help="send review_config.no_need_review=true (honoured for whitelisted tenants only)",
    )
    sending.add_argument(
        "--dry-run", action="store_true", help="check and count the lines and batches; send nothing"
    )
    from reconciler.state import add_state_arguments

    add_state_arguments(report)
    add_target_arguments(report)
    report.set_defaults(func=handle_report)


def _usage_problem(args: argparse.Namespace) -> str | None:
    if args.url_env:
        if args.url:
            return "give --url or --url-env, not both"
        args.url = os.environ.get(args.url_env)
        if not args.url:
            return f"--url-env {args.url_env}: the environment variable is not set"
    chosen = [
        flag for flag, value in (("--job", args.job), ("--room", args.room), ("--url", args.url)) if value
    ]
    if args.job_id and not args.room:
        return "--job-id needs --room ROOM_ID"
    if len(chosen) > 1:
        return f"{' and '.join(chosen)} name the job twice: give one of --job, --room, --url"
    if not chosen and not args.dry_run:
        return "which job? give --job NAME, --room ROOM_ID [--job-id JOB_ID] or --url REPORT_URL"
    if args.follow and args.input != "-":
        return "--follow reads standard input (for a growing file: tail -F FILE | smartlive events report --follow ...)"
    return None


def handle_report(args: argparse.Namespace) -> int:
    problem = _usage_problem(args)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return exitcodes.USAGE
    from reconciler.events.report import Summary, resume_hint
    from reconciler.events.source import open_input

    use_environment(args)  # its target and state store, before the input is opened
    source = open_input(args.input)
    summary = Summary()
    signals: list[int] = []
    try:
        stopped = asyncio.run(_report(args, source, summary, signals))
    except BaseException:
        if summary.read:  # lines were read before the failure: say what became of them
            print(summary.line())
        raise
    finally:
        source.close()
    print(summary.line())
    if args.dry_run:
        print(f"dry run: nothing sent; {summary.batches} requests of up to {args.batch_size} events would be")
    if stopped is not None:
        print(f"error: {stopped}", file=sys.stderr)
        hint = resume_hint(summary, source.name)
        if hint:
            print(hint, file=sys.stderr)
        return exitcodes.ERROR
    if signal.SIGINT in signals:  # Ctrl-C: what was read was delivered, but the input was not finished
        return exitcodes.INTERRUPTED
    return exitcodes.OK if summary.rejected == 0 and summary.unsent == 0 else exitcodes.ERROR


async def _report(
    args: argparse.Namespace, source: Input, summary: Summary, signals: list[int]
) -> str | None:
    """Run the report; the summary is filled in place, `signals` gets the stop signals received.
    Returns why sending stopped early, or None."""
    from reconciler.events.bridge import Bridge, Rejection
    from reconciler.events.report import ReportStopped

    def rejected(rejection: Rejection) -> None:
        print(f"{source.name}:{rejection.line}: {rejection.message}", file=sys.stderr)

    def bridge_for(sender: BatchSender | None) -> Bridge:
        return Bridge(
            sender,
            batch_size=args.batch_size,
            strict=args.strict,
            flush_interval=args.flush_interval,
            on_reject=rejected,
            summary=summary,
        )

    if args.strict and source.rewindable:
        # Every line is checked before anything is sent, so that a bad line sends nothing at all.
        if not await _precheck(source, bridge_for(None)):
            summary.sent, summary.resume_line = 0, None
            summary.unsent = summary.read - summary.rejected
            return "nothing was sent: --strict, and the file has a bad line"
        summary.reset()
    try:
        async with _sender(args, summary) as sender:
            bridge = bridge_for(sender)
            with _stop_on_signals(bridge, signals):
                if args.follow:
                    await _follow(bridge, source)
                else:
                    from reconciler.events.jsonl import parse_lines
                    from reconciler.events.source import stream_lines

                    await bridge.run(parse_lines(stream_lines(source.stream)))
    except ReportStopped as exc:
        return str(exc)
    return None


async def _precheck(source: Input, checker: Bridge) -> bool:
    """A dry pass over a whole file (--strict); False at the first bad line, which it reports."""
    from reconciler.events.jsonl import parse_lines
    from reconciler.events.report import ReportStopped
    from reconciler.events.source import stream_lines

    try:
        await checker.run(parse_lines(stream_lines(source.stream)))
    except ReportStopped:
        return False
    finally:
        source.stream.seek(0)
    return True


async def _follow(bridge: Bridge, source: Input) -> None:
    from reconciler.events.jsonl import Line
    from reconciler.events.source import QUEUE_SIZE, NotJsonLines, start_reader

    queue: asyncio.Queue[Line | None] = asyncio.Queue(maxsize=QUEUE_SIZE)
    stopped: list[NotJsonLines] = []
    start_reader(source.stream, asyncio.get_running_loop(), queue, stopped=stopped)
    await bridge.follow(queue)
    if stopped:
        raise stopped[0]


@contextlib.contextmanager
def _stop_on_signals(bridge: Bridge, received: list[int]) -> Iterator[None]:
    """SIGINT/SIGTERM stop reading; what was read is still delivered and the summary printed."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []

    def stop(number: int) -> None:
        received.append(number)
        bridge.stop()
        if number == signal.SIGINT:
            # A second Ctrl-C quits at once (Python's KeyboardInterrupt), retries in flight or not.
            loop.remove_signal_handler(signal.SIGINT)
            print("stopping: sending what was read (Ctrl-C again to quit at once)", file=sys.stderr)

    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(number, stop, number)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no such signal
            continue
        installed.append(number)
    try:
        yield
    finally:
        for number in installed:
            loop.remove_signal_handler(number)


@contextlib.asynccontextmanager
async def _sender(args: argparse.Namespace, summary: Summary) -> AsyncIterator[BatchSender | None]:
    """The BatchSender for the job the arguments name (None for --dry-run), with its clients open."""
    if args.dry_run:
        yield None
        return
    import httpx

    from reconciler.events.jsonl import now_ms
    from reconciler.events.report import BatchSender
    from reconciler.events.reporturl import ReportUrl

    target: Target | None = None
    if args.url is None or args.local or os.environ.get("SMARTLIVE_LOCAL") == "1":
        target = target_from_args(args)  # for --url, only to know whether the emulator is in-process
    transport = local_transport(target) if target is not None else None

    def sender(client: httpx.AsyncClient, url: str, refetch: Refetch | None) -> BatchSender:
        return BatchSender(
            client,
            ReportUrl.parse(url),
            clock=now_ms,
            refetch=refetch,
            refresh_margin=args.refresh_margin,
            no_need_review=True if args.no_review else None,
            summary=summary,
        )

    async with httpx.AsyncClient(transport=transport, timeout=30.0) as client:
        if args.url is not None:
            yield sender(client, args.url, None)
            return
        assert target is not None
        limits, rates = _time_limits(args), rate_limits(args)
        async with open_api(target, args.parallelism, transport=transport, limits=limits, rates=rates) as api:
            room_id, job_id = await _which_job(args, api, target)

            async def refetch() -> str:
                return await _report_url(api, room_id, job_id)

            yield sender(client, await refetch(), refetch)


def _time_limits(args: argparse.Namespace) -> TimeLimits:
    # A --follow bridge runs as long as its input does, and reads the job again whenever its report URL
    # expires: the run's time limit would end it after half an hour, so it has none unless asked for.
    return time_limits(args, default_run=None if args.follow else DEFAULT_RUN_TIMEOUT_SECONDS)


async def _which_job(args: argparse.Namespace, api: MetaStudioApi, target: Target) -> tuple[str, str]:
    if args.job:
        from reconciler.kinds import live_job
        from reconciler.state import open_store

        store = open_store(args.state, workdir=Path.cwd())
        try:
            record = store.records(target.key).get(live_job.address(args.job))
        finally:
            store.close()
        if record is None or not record.remote_id or not record.room_id:
            raise ConfigError(
                f"no SmartLiveJob {args.job!r} in the state store for {target.endpoint} (project "
                f"{target.project_id}): apply it first, or name the job with --room ROOM_ID --job-id JOB_ID"
            )
        return record.room_id, record.remote_id
    if args.job_id:
        return args.room, args.job_id
    jobs = await api.list_room_jobs(args.room)
    ids = [job.job_id for job in jobs if job.job_id]
    if not ids:
        raise ConfigError(f"room {args.room} has no active job (WAITING or PROCESSING) to report events to")
    if len(ids) > 1:
        raise ConfigError(
            f"room {args.room} has {len(ids)} active jobs ({', '.join(ids)}): choose one with --job-id"
        )
    return args.room, ids[0]


async def _report_url(api: MetaStudioApi, room_id: str, job_id: str) -> str:
    from reconciler.api.models import ACTIVE_JOB_STATES

    job = await api.show_job(room_id, job_id)
    if job.state not in ACTIVE_JOB_STATES:
        raise ConfigError(
            f"job {job_id} in room {room_id} is {job.state}: events are taken only while it runs"
        )
    if not job.live_event_report_url:
        raise ConfigError(f"job {job_id} in room {room_id} shows no live_event_report_url")
    return job.live_event_report_url
