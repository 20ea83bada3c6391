"""`smartlive emulator serve`: the local MetaStudio emulator on a socket, in the foreground.

Only argparse is imported at module level: the CLI discovers every command module on each start, and the
server's dependencies (starlette, uvicorn, the API models) load when `serve` runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reconciler import exitcodes
from reconciler.commands._argtypes import bounded
from reconciler.commands._help import examples
from reconciler.errors import ConfigError

ORDER = 60

# Repeated here rather than imported from reconciler.emulator.config, which would load the emulator's
# dependencies for `smartlive --help`; tests check the two stay equal.
DEFAULT_AK = "local-ak"
DEFAULT_SK = "local-sk"
DEFAULT_PROJECT_ID = "local-project"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8085
DEFAULT_START_DELAY = 2.0
#: The faults' own bound on latency_ms (reconciler/emulator/faults.py), so the option cannot pass a value
#: the fault settings then refuse with a traceback.
MAX_LATENCY_MS = 600_000
#: A start delay beyond this is no test of anything; far beyond it, the job's timestamps overflow SQLite.
MAX_START_DELAY = 86_400.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "emulator",
        help="run the local MetaStudio smart-live emulator",
        description="A local emulator of the MetaStudio smart-live API, for running plan/apply, demos, "
        "tests and benchmarks with no account.",
        **examples(
            "smartlive emulator serve --port 0                      # prints e.g. http://127.0.0.1:41234",
            "smartlive plan examples/ --endpoint http://127.0.0.1:8085",
            "smartlive emulator replies --job store-landscape       # what a --local job's rules answered",
        ),
    )
    commands = parser.add_subparsers(dest="emulator_command", metavar="SUBCOMMAND")
    commands.required = True
    serve = commands.add_parser(
        "serve",
        help="serve the emulated API over HTTP until interrupted",
        description="Serve the emulated API over HTTP. Prints the base URL on stdout, then runs in the "
        "foreground until interrupted (Ctrl-C). Test controls answer loopback clients under /_emulator/.",
        **examples(
            "smartlive emulator serve                                # http://127.0.0.1:8085, state in memory",
            "smartlive emulator serve --port 0 --data emulator.db --seed rooms.yaml --start-delay 5",
            "smartlive emulator serve --rate-limit ShowInteractionRuleGroup=20   # a tenant's limit",
            show_defaults=True,
        ),
    )
    serve.add_argument("--host", default=DEFAULT_HOST, help="address to listen on")
    serve.add_argument(
        "--port",
        type=bounded(int, low=0, high=65535),
        default=DEFAULT_PORT,
        help="port; 0 picks a free one",
    )
    serve.add_argument("--ak", default=DEFAULT_AK, help="access key accepted for SDK-HMAC-SHA256 signatures")
    serve.add_argument("--sk", default=DEFAULT_SK, help="secret key of --ak")
    serve.add_argument(
        "--project-id", default=DEFAULT_PROJECT_ID, help="the only project id the paths may name"
    )
    serve.add_argument("--token", default=None, help="an X-Auth-Token value accepted in place of AK/SK")
    serve.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="FILE",
        help="SQLite file keeping state across restarts (created if missing); None keeps it in memory",
    )
    serve.add_argument(
        "--seed",
        type=Path,
        default=None,
        metavar="FILE",
        help="YAML of rooms and rule groups created at start",
    )
    serve.add_argument(
        "--latency-ms",
        type=bounded(int, low=0, high=MAX_LATENCY_MS, note="ten minutes, as /_emulator/faults allows"),
        default=0,
        metavar="N",
        help="latency added to every API request",
    )
    serve.add_argument(
        "--start-delay",
        type=bounded(float, low=0.0, high=MAX_START_DELAY, note="a day at most"),
        default=DEFAULT_START_DELAY,
        metavar="SECONDS",
        help="how long a started job is WAITING before it is PROCESSING",
    )
    serve.add_argument(
        "--max-active-jobs",
        type=bounded(int, low=0),
        default=None,
        metavar="N",
        help="job concurrency quota: StartSmartLive answers 403 MSS.41000012 while N jobs are active; "
        "None: no quota",
    )
    serve.add_argument(
        "--no-rate-limits",
        action="store_true",
        help="turn off the per-operation limits (StartSmartLive 4/s, room create and update 1/s)",
    )
    serve.add_argument(
        "--rate-limit",
        action="append",
        type=_emulated_limit,
        default=[],
        metavar="OP=N",
        help="refuse (429) OP's requests past N per second (whole numbers; 0: no limit), on top of the "
        "defaults or --no-rate-limits; repeatable",
    )
    serve.set_defaults(func=handle_serve)

    seed = commands.add_parser(
        "seed",
        help="create a seed file's rooms and rule groups in the embedded (--local) emulator",
        description="Apply a seed file (rooms with fixed room ids, rule groups) to the embedded emulator's "
        "state under .smartlive/, the one `--local` uses. Idempotent: what exists is left alone.",
        **examples("smartlive emulator seed rooms.yaml   # then: smartlive plan manifests/ --local"),
    )
    seed.add_argument("file", type=Path, metavar="FILE", help="seed YAML (the format of serve --seed)")
    seed.add_argument(
        "--data",
        type=Path,
        default=Path(".smartlive") / "emulator.db",
        metavar="FILE",
        help="the embedded emulator's SQLite file (default .smartlive/emulator.db)",
    )
    seed.set_defaults(func=handle_seed)

    replies = commands.add_parser(
        "replies",
        help="print the replies the embedded (--local) emulator's rules made for a job",
        description="Print what the rules of a job running in the embedded emulator answered to the live "
        "events reported to it (smartlive events report --local), one reply a line: the event, the rule "
        "that fired, the reply text.",
        **examples(
            "smartlive emulator replies --job store-landscape   # after: smartlive events report ... --local",
            "smartlive emulator replies --job-id JOB_ID",
        ),
    )
    which = replies.add_mutually_exclusive_group(required=True)
    which.add_argument("--job", metavar="NAME", help="a SmartLiveJob applied by smartlive --local")
    which.add_argument("--job-id", metavar="JOB_ID", help="the job's id")
    replies.add_argument(
        "--state",
        metavar="URL",
        default=None,
        help="the state store that names --job's job (default .smartlive/state.db, or SMARTLIVE_STATE)",
    )
    replies.set_defaults(func=handle_replies)


def handle_seed(args: argparse.Namespace) -> int:
    from reconciler.emulator.local import local_app

    if not args.file.is_file():
        raise ConfigError(f"seed file {args.file} does not exist")
    app = local_app(args.data, seed_path=args.file)
    state = app.state.emulator
    state.store.close()
    print(
        f"seeded {args.data} from {args.file}: {len(state.seed.rooms)} room(s), {len(state.seed.rule_groups)} group(s)"
    )
    return exitcodes.OK


def _emulated_limit(text: str) -> tuple[str, int]:
    """`OP=N`: the emulator counts whole requests in a one-second window."""
    op, sep, number = text.partition("=")
    if not sep or not op.strip().isidentifier() or not number.strip().isdigit():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not OP=N (an API operation name, = and a whole number)"
        )
    return op.strip(), int(number)


def handle_serve(args: argparse.Namespace) -> int:
    from reconciler.emulator import server
    from reconciler.emulator.config import EmulatorConfig

    config = EmulatorConfig(
        ak=args.ak,
        sk=args.sk,
        project_id=args.project_id,
        token=args.token,
        data_path=args.data,
        seed_path=args.seed,
        latency_ms=args.latency_ms,
        start_delay=args.start_delay,
        max_active_jobs=args.max_active_jobs,
        rate_limits={
            **({} if args.no_rate_limits else EmulatorConfig().rate_limits),
            **dict(args.rate_limit),
        },
        host=args.host,
        port=args.port,
    )
    if args.data is not None and not args.data.parent.is_dir():
        raise ConfigError(f"--data: directory {args.data.parent} does not exist")
    try:
        sock = server.bind(args.host, args.port)
    except OSError as error:
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
    url = server.base_url(sock)
    try:
        app_server = server.build_server(config)
    except BaseException:
        sock.close()
        raise
    print(url, flush=True)
    print(
        f"smartlive emulator: project {config.project_id}, ak {config.ak}, "
        f"state in {config.data_path or 'memory'}; Ctrl-C to stop",
        file=sys.stderr,
        flush=True,
    )
    app_server.run(sockets=[sock])
    return exitcodes.OK


def handle_replies(args: argparse.Namespace) -> int:
    from reconciler.cloud.config import resolve_target
    from reconciler.emulator.local import local_app
    from reconciler.kinds import live_job
    from reconciler.state import open_store

    target = resolve_target(local=True, endpoint=None, region=None, project_id=None, env={})
    job_id = args.job_id
    if args.job is not None:
        store = open_store(args.state, workdir=Path.cwd())
        try:
            record = store.records(target.key).get(live_job.address(args.job))
        finally:
            store.close()
        if record is None or not record.remote_id:
            raise ConfigError(f"no SmartLiveJob {args.job!r} applied with --local: apply it first")
        job_id = record.remote_id
    assert target.local_data is not None
    state = local_app(target.local_data).state.emulator
    try:
        found = state.reactions.replies(job_id) if state.reactions is not None else []
    finally:
        state.store.close()
    for reply in found:
        said = reply.get("reply_text") or (reply.get("reply_audio") or {}).get("audio_name") or "(no text)"
        print(
            f"event {reply.get('event_index')}: rule {reply.get('rule_name')} ({reply.get('reply_mode')}): {said}"
        )
    print(f"{len(found)} repl{'y' if len(found) == 1 else 'ies'} from job {job_id}.", file=sys.stderr)
    return exitcodes.OK
