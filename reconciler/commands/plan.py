"""`smartlive plan PATH...`: what apply would change, without changing anything (and without a lock)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler import exitcodes
from reconciler.commands._environment import selection_of, use_environment
from reconciler.commands._help import examples
from reconciler.commands._stack import add_stack_argument, stack_for
from reconciler.commands._target import (
    add_target_arguments,
    api_from_args,
    target_from_args,
    time_limits,
)
from reconciler.heap import importing

if TYPE_CHECKING:
    from reconciler.cloud.api import MetaStudioApi
    from reconciler.cloud.config import Target
    from reconciler.engine.planner import PlanOptions
    from reconciler.manifest import Manifest
    from reconciler.resources import Address
    from reconciler.runs.session import Session
    from reconciler.state.base import StateStore

#: Where `smartlive plan` keeps parsed manifests between runs (reconciler/manifest/parse_cache.py).
PARSE_CACHE_DIR = ".smartlive"
#: The variable --markdown-limit falls back on.
MARKDOWN_LIMIT_VARIABLE = "SMARTLIVE_MARKDOWN_LIMIT"
ORDER = 20


def add_plan_arguments(parser: argparse.ArgumentParser) -> None:
    """Options plan and apply share."""
    from reconciler.state import add_state_arguments

    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="manifest files or directories (default: the `paths` of smartlive.yaml, docs/environments.md)",
    )
    parser.add_argument(
        "--prune", action="store_true", help="delete or stop managed objects no longer declared"
    )
    parser.add_argument(
        "--target",
        dest="targets",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="limit to this resource, e.g. InteractionRuleGroup/welcome (repeatable)",
    )
    parser.add_argument(
        "--replace",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="write this declared resource again even if nothing differs: a running job is restarted "
        "(naming it is the consent --allow-restart asks for), a group or room updated in place "
        "(repeatable)",
    )
    parser.add_argument(
        "--refresh-only",
        action="store_true",
        help="only correct the state store from what exists (records of objects gone are dropped, a "
        "job restarted elsewhere is recorded under its new id); nothing is sent to MetaStudio",
    )
    parser.add_argument(
        "--refresh", action="store_true", help="read every group in full, ignoring the read cache"
    )
    add_stack_argument(
        parser,
        "the stack these manifests are (also SMARTLIVE_STACK; default: their root directory, e.g. "
        "shop-a for shop-a/): --prune touches its records only, and a resource another stack manages "
        "is an error",
    )
    add_target_arguments(parser)
    add_state_arguments(parser)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="show what apply would change",
        description="Compare the manifests with MetaStudio and print what apply would do. Changes nothing "
        "on MetaStudio and takes no lock; it writes its parse cache (and, with --local, the embedded emulator) "
        "under .smartlive/, and creates the state store when there is none.",
        **examples(
            "smartlive plan examples/ --local                                  # the embedded emulator, no account",
            "smartlive plan manifests/ --region cn-north-4 --detailed-exitcode  # exit 2 when something would change",
            "smartlive plan manifests/ --out plan.out                           # then: smartlive apply plan.out",
            "smartlive plan manifests/ --format markdown > plan.md              # a pull-request comment",
        ),
    )
    add_plan_arguments(parser)
    parser.add_argument(
        "--format", choices=("text", "json", "markdown"), default="text", help="output format"
    )
    parser.add_argument("--out", metavar="FILE", type=Path, help="save the plan for `smartlive apply FILE`")
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when nothing changes, 2 when something would, 1 on error",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="list unchanged resources too (text and markdown)"
    )
    parser.add_argument(
        "--markdown-limit",
        type=_markdown_limit,
        metavar="N",
        help="the longest --format markdown output, in characters: past it, details are summarized per "
        "resource (default 65,000, under GitHub's 65,536 per comment; at least 2,000; "
        f"also {MARKDOWN_LIMIT_VARIABLE})",
    )
    parser.set_defaults(func=run)


def apply_command(args: argparse.Namespace) -> str:
    """The command that applies the plan `args.out` holds. The plan records its target and stack, not
    its state store: a store named on the command line is named again, since apply against another
    store finds other records and refuses the plan as stale. SMARTLIVE_STATE and the selected
    environment's store are found again by apply itself (the plan records its environment)."""
    import shlex  # here: plan --help and a plan without --out do without it

    words = ["smartlive", "apply", str(args.out)]
    given: str | None = getattr(args, "state_given", args.state)
    if given is not None:
        words += ["--state", given]
    return shlex.join(words)


def _markdown_limit(text: str) -> int:
    """--markdown-limit's type (and SMARTLIVE_MARKDOWN_LIMIT's): a whole number of characters, at least
    what the comment's header needs. The renderer's bounds are loaded only when the option is used."""
    from reconciler.commands._argtypes import bounded
    from reconciler.render.context import MIN_MARKDOWN_LIMIT

    return bounded(int, low=MIN_MARKDOWN_LIMIT, note="the header, counts and note must fit")(text)


def markdown_limit(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    """--markdown-limit, else SMARTLIVE_MARKDOWN_LIMIT, else the renderer's default."""
    from reconciler.commands._argtypes import option_or_env
    from reconciler.render.context import DEFAULT_MARKDOWN_LIMIT

    environ = os.environ if env is None else env
    return option_or_env(
        args, "markdown_limit", environ, MARKDOWN_LIMIT_VARIABLE, DEFAULT_MARKDOWN_LIMIT, _markdown_limit
    )


def target_label(target: Target) -> str:
    """Where a plan was made for, as the markdown header names it: never a credential (an endpoint holds
    none: config.checked_endpoint refuses one with a user name or password)."""
    if target.is_local:
        return "embedded emulator"
    return f"{target.endpoint}, project {target.project_id}"


def plan_options(args: argparse.Namespace, stack: str) -> PlanOptions:
    """The planner's options from the arguments plan and apply share."""
    with importing():  # already done by the command's own imports, when it has them
        from reconciler.engine.planner import PlanOptions

    return PlanOptions(
        prune=args.prune,
        targets=parse_targets(args.targets),
        replace=parse_targets(args.replace, option="--replace"),
        stack=stack,
    )


async def session_for(
    api: MetaStudioApi, args: argparse.Namespace, store: StateStore, target: Target, options: PlanOptions
) -> Session:
    """The plan session of plan and apply: the manifests in `args.paths` against the target's live state,
    with the parse cache beside the default state store (a warm run checks no unchanged file again)."""
    with importing():  # already done by the command's own imports, when it has them
        from reconciler.runs.session import plan_session

    return await plan_session(
        api,
        args.paths,
        store=store,
        target_key=target.key,
        options=options,
        refresh=args.refresh,
        parse_cache=Path.cwd() / PARSE_CACHE_DIR,
        variables=selection_of(args).variables(),
    )


def parse_targets(texts: list[str], option: str = "--target") -> frozenset[Address]:
    """--target (or --replace) values as addresses; one that is not `Kind/name` is a usage error."""
    from reconciler.errors import ConfigError
    from reconciler.resources import Address, AddressError

    try:
        return frozenset(Address.parse(text) for text in texts)
    except AddressError as exc:
        raise ConfigError(f"{option}: {exc}") from None


def check_refresh_only(args: argparse.Namespace) -> None:
    """--refresh-only changes records, nothing else: options about changing MetaStudio do not go with it."""
    from reconciler.errors import UsageError

    if not args.refresh_only:
        return
    for given, option in ((args.replace, "--replace"), (args.prune, "--prune")):
        if given:
            raise UsageError(f"--refresh-only changes no object: {option} does not go with it")
    if args.format != "text" or getattr(args, "out", None) is not None:
        raise UsageError("--refresh-only prints its corrections as text and saves no plan")


def secret_references(manifests: Mapping[Address, Manifest[Any]]) -> dict[str, list[str]]:
    """address -> ["spec.stream_keys[0]: ${env:KEY}", ...]: references only; a literal value is not named."""
    from reconciler.kinds import resource_kind
    from reconciler.manifest import SecretRef

    out: dict[str, list[str]] = {}
    for address, manifest in sorted(manifests.items()):
        kind = resource_kind(address.kind)
        if kind is None:
            continue
        refs = [
            f"{path}: {secret}"
            for path, secret in kind.secret_references(manifest)
            if isinstance(secret, SecretRef)
        ]
        if refs:
            out[str(address)] = refs
    return out


def _preview_refresh(session: Session, targets: frozenset[Address]) -> bool:
    """plan --refresh-only: the corrections apply --refresh-only would make; True when there are any."""
    from reconciler.kinds import RESOURCE_KINDS
    from reconciler.runs.refresh import store_edits, summary_line

    edits = store_edits(session.plan, session.managed or {}, RESOURCE_KINDS, targets)
    for edit in edits:
        print(edit.line())
    print(summary_line(edits, done=False))
    return bool(edits)


def run(args: argparse.Namespace) -> int:
    with importing():
        import asyncio

        from reconciler.render import RenderContext, render
        from reconciler.render.color import use_color
        from reconciler.state import open_store

    check_refresh_only(args)
    if args.out is not None:
        # Imported for --out only (here and below): the saved plan's models are built on import.
        from reconciler.runs import planfile

        planfile.check_writable(args.out)  # before reading anything: a plan that cannot be saved is wasted
    environment = use_environment(args).name
    target = target_from_args(args)
    stack = stack_for(args, args.paths)
    limits = time_limits(args)
    comment_limit = markdown_limit(args)  # a bad SMARTLIVE_MARKDOWN_LIMIT is refused before anything is read
    store = open_store(args.state, workdir=Path.cwd())
    options = plan_options(args, stack)

    async def go() -> bool:
        async with api_from_args(args, target, limits) as api:
            session = await session_for(api, args, store, target, options)
        if args.refresh_only:
            return _preview_refresh(session, options.targets)
        context = RenderContext(
            target=target_label(target), environment=environment or "", markdown_limit=comment_limit
        )
        output = render(
            session.plan, args.format, color=use_color(sys.stdout), verbose=args.verbose, context=context
        )
        sys.stdout.write(output)
        if args.out is not None:
            from reconciler.runs import planfile

            planfile.save(
                args.out,
                planfile.SavedPlan(
                    target=target.key,
                    stack=stack,
                    live_fingerprint=session.plan.live_fingerprint,
                    manifest_digest=session.desired.digest,
                    # Relative to the working directory: the plan applies in another checkout of the same
                    # repository (a pipeline's apply job) as well as here.
                    paths=tuple(os.path.relpath(Path(p).resolve()) for p in args.paths),
                    prune=args.prune,
                    targets=tuple(sorted(args.targets)),
                    replace=tuple(sorted(args.replace)),
                    plan=json.loads(render(session.plan, "json", color=False)),
                    secret_references=secret_references(session.desired.manifests),
                    endpoint="" if target.is_local else target.endpoint,
                    project_id="" if target.is_local else target.project_id,
                    local=target.is_local,
                    environment=environment,
                ),
            )
            print(f"Saved the plan to {args.out}; apply it with: {apply_command(args)}", file=sys.stderr)
        return session.plan.summary.may_differ

    try:
        has_changes = asyncio.run(go())
    finally:
        store.close()
    return exitcodes.CHANGES if args.detailed_exitcode and has_changes else exitcodes.OK
