"""`smartlive apply [PATH... | PLANFILE]`: make MetaStudio match the manifests, under the apply lock."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import exitcodes
from reconciler.commands._argtypes import bounded
from reconciler.commands._environment import requested_environment, use_environment
from reconciler.commands._help import examples
from reconciler.commands._lock import add_lock_timeout_argument
from reconciler.commands._stack import named_stack, stack_for
from reconciler.commands._stdout import guarded_stdout
from reconciler.commands._target import api_from_args, target_from_args, time_limits
from reconciler.commands.plan import (
    add_plan_arguments,
    check_refresh_only,
    plan_options,
    session_for,
)
from reconciler.errors import UsageError, UserError
from reconciler.heap import importing
from reconciler.render.common import clean, unmanaged_refusal

if TYPE_CHECKING:
    from reconciler.resources import Address
    from reconciler.runs.apply import ActionResult, ApplyResult, Executor, NotDone
    from reconciler.runs.session import Session
    from reconciler.state.base import StateStore

ORDER = 30
#: --start-rate's range: one start per 100 s to 1000 a second; outside it a start waits for ever, or a
#: typo removes the pacing that keeps the tenant under its limit.
START_RATE_RANGE = (0.01, 1000.0)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "apply",
        help="make MetaStudio match the manifests",
        description="Plan, ask for confirmation, then apply under the state store's lock. "
        "Given a saved plan file, refuse it if the manifests or the live state moved since. "
        "Ctrl-C starts no new action and lets the ones in flight finish (a restart included), then lists "
        "what was not done and exits 130; a second Ctrl-C cuts the ones in flight off. A closed standard "
        "output (`| head`) does not stop the work: the exit code still says how it went.",
        **examples(
            "smartlive apply examples/ --local                          # plan, show it, ask for yes, apply",
            "smartlive apply manifests/ --region cn-north-4 --auto-approve   # a pipeline: no question",
            "smartlive apply plan.out                                   # exactly the plan saved with plan --out",
            "smartlive apply manifests/ --local --replace SmartLiveJob/store-landscape   # restart one job",
        ),
    )
    add_plan_arguments(parser)
    parser.add_argument("--auto-approve", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="json: print one JSON document at the end (the plan and every action's result, warnings "
        "included) instead of the plan and the per-action lines; needs --auto-approve or a saved plan",
    )
    parser.add_argument(
        "--allow-restart",
        action="store_true",
        help="allow stopping or restarting running jobs (interrupts live streams)",
    )
    add_lock_timeout_argument(parser)
    parser.add_argument(
        "--start-rate",
        type=bounded(float, low=START_RATE_RANGE[0], high=START_RATE_RANGE[1], note="calls per second"),
        default=None,
        metavar="PER_SECOND",
        help="StartSmartLive calls per second, 0.01-1000 (the tenant limit: 4 in cn-north-4, 3 in cn-east-3); "
        "an alias of --rate-limit StartSmartLive=N",
    )
    parser.set_defaults(func=run)


def _confirm(summary: str) -> None:
    if not sys.stdin.isatty():
        raise UserError(
            "refusing to apply without confirmation: standard input is not a terminal; pass --auto-approve"
        )
    print(f"\n{summary}\nDo you want to perform these actions? Only 'yes' will be accepted to approve.")
    try:
        answer = input("  Enter a value: ")
    except EOFError:
        answer = ""
    if answer.strip() != "yes":
        raise UserError("Apply cancelled.")


def _line(result: ActionResult) -> str:
    if result.skipped:
        return f"! {result.address}: {result.message}"
    mark = "✓" if result.ok else "✗"
    line = f"{mark} {result.address}: {result.message}"
    # The service's warnings with a successful answer (StartSmartLive's live_warning_info) are kept.
    return line + "".join(f"\n    warning: {clean(w)}" for w in result.warnings)


@contextmanager
def _reporter(total: int, *, quiet: bool = False) -> Iterator[Callable[[ActionResult], None]]:
    """One line per finished action; on a terminal, above a progress bar of the whole apply.

    Off a terminal (a pipeline's log) the output is the lines alone, exactly: no bar, no control codes.
    `quiet` (apply --format json): nothing, the document at the end says it all."""
    if quiet:
        yield lambda _result: None
        return
    if not sys.stdout.isatty():
        yield lambda result: print(_line(result), flush=True)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=sys.stdout, highlight=False)
    columns = (TextColumn("Applying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # transient: the bar goes when the apply ends, leaving the lines and the summary.
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("apply", total=total)

        def report(result: ActionResult) -> None:
            progress.console.print(_line(result), markup=False, highlight=False, soft_wrap=True)
            progress.advance(task)

        yield report


def _not_done_line(item: NotDone) -> str:
    """`  -/+ SmartLiveJob/x: restart (job_id J)`: what an interrupted run did not do."""
    change = item.change
    on = f" ({item.id_name} {change.remote_id})" if change.remote_id else ""
    line = f"  {change.glyph} {change.address}: {item.verb}{on}"
    if item.cut_off:
        line += " - cut off in flight: it may be half done; run plan to see"
    return line


def report_interrupted(result: ApplyResult) -> None:
    """Every action an interrupted run did not do, one line each (stderr: the report of the failure)."""
    undone = sorted(result.not_done, key=lambda n: n.address)
    if result.lock_lost:
        print(
            f"error: the state lock was lost ({result.lock_lost}): stopping; {len(undone)} action(s) not done"
            + (":" if undone else ""),
            file=sys.stderr,
        )
    else:
        print(f"Interrupted: {len(undone)} action(s) not done:", file=sys.stderr)
    for item in undone:
        print(_not_done_line(item), file=sys.stderr)
    if undone:
        print("Run apply again to do them.", file=sys.stderr)


@contextmanager
def _interruptible(executor: Executor) -> Iterator[None]:
    """While the actions run, the first Ctrl-C stops the run gently (executor.stop: no new action, the
    ones in flight finish) and the second cuts the ones in flight off (executor.force). After that,
    Python's own Ctrl-C is back: a third quits at once."""
    import asyncio

    loop = asyncio.get_running_loop()
    received = 0

    def on_sigint() -> None:
        nonlocal received
        received += 1
        if received == 1:
            executor.stop()
            print(
                "Interrupt received: no new action starts; waiting for the ones in flight to finish "
                "(Ctrl-C again to cut them off)",
                file=sys.stderr,
                flush=True,
            )
            return
        executor.force()
        loop.remove_signal_handler(signal.SIGINT)
        print("Second interrupt: cutting off the actions in flight", file=sys.stderr, flush=True)

    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread: Python's default
        yield
        return
    try:
        yield
    finally:
        if received < 2:
            loop.remove_signal_handler(signal.SIGINT)


def _refresh_only(
    session: Session, store: StateStore, target_key: str, targets: frozenset[Address], *, auto_approve: bool
) -> int:
    """apply --refresh-only: the state store corrected from what exists; not one write to the service."""
    from reconciler.kinds import RESOURCE_KINDS
    from reconciler.runs.refresh import store_edits, summary_line
    from reconciler.state import whoami

    edits = store_edits(session.plan, session.managed or {}, RESOURCE_KINDS, targets)
    for edit in edits:
        print(edit.line(), flush=True)
    if edits and not auto_approve:
        _confirm("smartlive will correct the state store as above; nothing is sent to MetaStudio.")
    applied_by = whoami()
    for edit in edits:
        if edit.after is None:
            store.remove(target_key, edit.address)
        else:
            store.put(target_key, edit.after, applied_by)
    print(summary_line(edits, done=True))
    return exitcodes.OK


def run(args: argparse.Namespace) -> int:
    with guarded_stdout():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    with importing():
        import asyncio

        from reconciler.render import RenderContext, render
        from reconciler.render.color import use_color
        from reconciler.runs import planfile
        from reconciler.runs.apply import ApplyOptions, ApplyResult, Executor, prepare
        from reconciler.runs.stacks import StackSink, claim_legacy
        from reconciler.state import LockHolder, fingerprint, open_store, whoami

    saved = None
    as_json = args.format == "json"
    if len(args.paths) == 1 and planfile.is_saved_plan(Path(args.paths[0])):
        saved = planfile.load(Path(args.paths[0]))
        args.paths = list(saved.paths)
        args.prune, args.targets, args.replace = saved.prune, list(saved.targets), list(saved.replace)
        if not (args.local or args.endpoint or args.region or args.project_id):
            # Where the plan was made for, unless the command line says otherwise (then check_fresh
            # refuses a plan made for another target).
            args.local, args.endpoint, args.project_id = (
                saved.local,
                saved.endpoint or None,
                saved.project_id or None,
            )
        # The plan's environment, unless --env or SMARTLIVE_ENV names another (refused).
        args.env = planfile.environment_of(saved, *requested_environment(args))
    if as_json and saved is None and not args.auto_approve:
        raise UsageError(
            "--format json prints no plan to approve: pass --auto-approve, or apply a saved plan"
        )
    if args.refresh_only and saved is not None:
        raise UsageError("--refresh-only takes manifests, not a saved plan")
    check_refresh_only(args)
    environment = use_environment(args).name
    if saved is not None:  # none asked for, but the project's default_environment selects one
        planfile.environment_of(saved, environment, "the default_environment of smartlive.yaml")
    target = target_from_args(args)
    limits = time_limits(args)
    if saved is not None:
        planfile.check_target(saved, target.key)
    stack = planfile.stack_of(saved, named_stack(args)) if saved is not None else stack_for(args, args.paths)
    store = open_store(args.state, workdir=Path.cwd())
    options = plan_options(args, stack)
    key = store.hmac_key()

    notes: list[str] = []

    async def go() -> int:
        async with api_from_args(args, target, limits) as api:
            session = await session_for(api, args, store, target, options)
            if args.refresh_only:
                return _refresh_only(
                    session, store, target.key, options.targets, auto_approve=args.auto_approve
                )
            plan = session.plan
            if saved is not None:
                planfile.check_fresh(
                    saved, target=target.key, manifest_digest=session.desired.digest, plan=plan
                )
            refusal = unmanaged_refusal(plan)
            if refusal is not None:  # before any write: a namesake is imported, never taken over
                raise UserError(refusal)
            sink = StackSink(store, stack)
            executor = Executor(
                api,
                sink,
                target.key,
                ApplyOptions(
                    allow_restart=args.allow_restart,
                    parallelism=args.parallelism,
                    applied_by=whoami(),
                ),
                fingerprint=lambda value: fingerprint(value, key),
                pacing=api.http.pacing,
            )

            def adopt() -> None:
                """State-only corrections: what interrupted applies left half-recorded."""
                claimed = claim_legacy(sink, target.key, plan, session.managed, whoami())
                prepared = prepare(
                    executor,
                    plan,
                    session.managed,
                    session.desired.resources,
                    session.live,
                    prune=args.prune,
                    targets=options.targets,
                )
                for note in (*claimed, *prepared.notes):
                    notes.append(note)
                    if not as_json:
                        print(f"• {note}", flush=True)

            if not as_json and (saved is None or not plan.summary.has_changes):
                context = RenderContext(environment=environment or "")
                sys.stdout.write(render(plan, "text", color=use_color(sys.stdout), context=context))
                sys.stdout.flush()
            if not plan.summary.has_changes:
                adopt()
                result = ApplyResult()
            else:
                if saved is None and not args.auto_approve:
                    with api.http.deadline.paused():  # the time limit is the API's, not the reader's
                        _confirm("smartlive will perform the actions above.")
                adopt()
                with _reporter(len(plan.actionable), quiet=as_json) as report, _interruptible(executor):
                    executor.on_result = report
                    result = await executor.execute(plan, session.desired.resources)
        if as_json:
            document = {
                "plan": json.loads(
                    render(plan, "json", color=False, context=RenderContext(environment=environment or ""))
                ),
                "notes": notes,
                **result.as_json(),
            }
            print(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))
        else:
            print(result.summary_line(), flush=True)
        return _outcome(result)

    try:
        with store.lock(target.key, timeout=args.lock_timeout, holder=LockHolder.current("apply")):
            return asyncio.run(go())
    finally:
        store.close()


def _outcome(result: ApplyResult) -> int:
    """The errors of a run on stderr, and its exit code: 130 interrupted, 1 anything failed or skipped."""
    for failure in result.failed:
        if not failure.skipped:
            print(f"error: {failure.address}: {failure.message}", file=sys.stderr)
    if result.interrupting:
        print(
            f"error: {len(result.interrupting)} action(s) skipped because they would interrupt a live "
            "stream (see the lines marked !)",
            file=sys.stderr,
        )
    if result.blocked:
        print(
            f"error: {len(result.blocked)} action(s) skipped because a change they depend on did not "
            "succeed (see the lines marked !)",
            file=sys.stderr,
        )
    if result.lock_lost:  # another process may hold the lock now: a failure, not an interruption
        report_interrupted(result)
        return exitcodes.ERROR
    if result.interrupted:
        report_interrupted(result)
        return exitcodes.INTERRUPTED
    return exitcodes.ERROR if result.failed else exitcodes.OK
