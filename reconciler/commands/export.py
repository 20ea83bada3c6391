"""`smartlive export --out DIR`: the target's rule groups, rooms and active jobs as manifests, one file
each, laid out as examples/ is; with --adopt, recorded as managed by the stack of DIR.

What Terraform's `import` blocks with `-generate-config-out` do for a team whose objects were made in the
console. Secrets are never written: each becomes a `${env:NAME}` reference, and the variables to set are
listed. Re-exporting updates the files in place, keeping comments (runs/export.py, manifest/rewrite.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler import exitcodes
from reconciler.commands._environment import use_environment
from reconciler.commands._help import examples
from reconciler.commands._lock import add_lock_timeout_argument
from reconciler.commands._stack import add_stack_argument, stack_for
from reconciler.commands._target import (
    add_target_arguments,
    api_from_args,
    target_from_args,
    time_limits,
)

if TYPE_CHECKING:
    from reconciler.engine.kind import Exported, Kind
    from reconciler.manifest.variables import Variables

ORDER = 37


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from reconciler.state import add_state_arguments

    parser = subparsers.add_parser(
        "export",
        help="write the target's rule groups, rooms and active jobs as manifests (and adopt them)",
        description="Write every rule group, room and active job of the target (or those --kind and "
        "--name select) as one manifest file each under --out DIR: rule-groups/, rooms/, jobs/, as "
        "examples/ is laid out. Fields carry the API's names, defaults are left out, a room's copies of "
        "an exported group are written as `import: GROUP`, a job names an exported room with `room:`. "
        "Secrets are never written: each becomes a ${env:NAME} reference, and the variables to set are "
        "listed. A file that exists is updated in place, its comments and key order kept. With --adopt, "
        "each object is recorded in the state store under the stack of DIR (as `smartlive import` does), "
        "so that `plan DIR` right after says No changes. Nothing on the service changes. See "
        "docs/export.md.",
        **examples(
            "smartlive export --out manifests/ --local                  # everything, as files",
            "smartlive export --out manifests/ --kind rooms --name 'shop-*'",
            "smartlive export --out manifests/ --adopt --region cn-north-4  # and manage it from now on",
        ),
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="the directory to write the manifests in")
    parser.add_argument(
        "--kind",
        action="append",
        default=[],
        metavar="KIND",
        help="export only this kind (repeatable): InteractionRuleGroup, SmartLiveRoom, SmartLiveJob (any "
        "case), or groups, rooms, jobs",
    )
    parser.add_argument(
        "--name",
        action="append",
        default=[],
        metavar="GLOB",
        help="export only objects whose manifest name or name in the service matches GLOB (repeatable)",
    )
    parser.add_argument(
        "--adopt",
        action="store_true",
        help="record the exported objects as managed by the stack of DIR, under the apply lock",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="with --adopt: replace the record of an address already managed under another remote id",
    )
    add_lock_timeout_argument(parser, when="with --adopt")
    add_stack_argument(
        parser,
        "with --adopt: the stack to record them under (also SMARTLIVE_STACK; default: DIR, as `plan DIR` "
        "names it)",
    )
    add_target_arguments(parser)
    add_state_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from reconciler.commands.ls import chosen_kind
    from reconciler.errors import UsageError
    from reconciler.manifest.layout import LayoutError
    from reconciler.runs.export import Selection, export_objects, file_names, write_manifest

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {args.out}: not a directory")
    selection = Selection(frozenset(chosen_kind(k).name for k in args.kind), tuple(args.name))
    if args.adopt:
        out.mkdir(parents=True, exist_ok=True)  # the stack is named after it, as `plan DIR` names it
    args.manifest_dir = args.out  # the project file is looked for there and in its parents
    environment = use_environment(args)  # its target and state store, the project's stack and variables
    stack = stack_for(args, [out]) if args.adopt else ""
    target = target_from_args(args)
    limits = time_limits(args)

    async def exported() -> list[tuple[Kind[Any, Any], Exported]]:
        async with api_from_args(args, target, limits) as api:
            return await export_objects(api, selection)

    objects = asyncio.run(exported())
    code = exitcodes.OK
    written: list[Exported] = []
    paths = file_names((kind, e) for kind, e in objects if not e.refused)
    for _kind, item in objects:
        if item.refused:
            print(f"error: {item.address}: not exported: {item.refused}", file=sys.stderr)
            code = exitcodes.ERROR
            continue
        path = out / paths[item.address]
        try:
            outcome = write_manifest(path, item)
        except LayoutError as exc:
            print(f"error: {path}: {exc}", file=sys.stderr)
            code = exitcodes.ERROR
            continue
        except OSError as exc:
            print(f"error: {path}: cannot write: {exc.strerror or exc}", file=sys.stderr)
            code = exitcodes.ERROR
            continue
        written.append(item)
        print(f"{outcome.value:<9}  {path}")
    if not objects:
        print(f"Nothing to export on {target.key}" + (" (none selected)." if args.kind or args.name else "."))
    _print_notes(written)
    _print_variables(written)
    if args.adopt and written:
        code = max(code, _adopt(args, target, out, written, stack, environment.variables()))
    return code


def _print_notes(written: list[Exported]) -> None:
    for note in dict.fromkeys(note for item in written for note in item.notes):
        print(f"note: {note}")


def _print_variables(written: list[Exported]) -> None:
    secrets = [(s, item) for item in written for s in item.secrets]
    if not secrets:
        return
    print("\nSecrets are not exported. The manifests name these environment variables; set each to its value")
    print("(from the console or the platform's push settings) before plan or apply:")
    width = max(len(s.variable) for s, _ in secrets)
    for secret, item in secrets:
        print(f"  {secret.variable.ljust(width)}  {item.address} {secret.path}")


def _adopt(
    args: argparse.Namespace,
    target: Any,
    out: Path,
    written: list[Exported],
    stack: str,
    variables: Variables | None,
) -> int:
    import asyncio

    from reconciler.runs.export import adopt, unset_variables
    from reconciler.state import LockHolder, open_store, whoami

    limits = time_limits(args)
    store = open_store(args.state, workdir=Path.cwd())

    async def adopted() -> Any:
        async with api_from_args(args, target, limits) as api:
            return await adopt(
                api,
                store,
                target.key,
                out,
                written,
                stack=stack,
                variables=variables,
                environ=os.environ,
                applied_by=whoami(),
                force=args.force,
            )

    try:
        with store.lock(target.key, timeout=args.lock_timeout, holder=LockHolder.current("export")):
            results = asyncio.run(adopted())
    finally:
        store.close()
    code = exitcodes.OK
    print()
    for result in results:
        if result.refused:
            print(f"error: {result.address}: not adopted: {result.refused}", file=sys.stderr)
            code = exitcodes.ERROR
        else:
            print(
                f'Adopted {result.address} ({result.remote_id}) into the state of {target.key}, stack "{stack}".'
            )
    unset = unset_variables(written, os.environ)
    if unset:
        print(
            f"Not set here: {', '.join(unset)}. Their fields were adopted without a fingerprint, so plan shows "
            "them '? may change'; set them and run `smartlive export --adopt` again."
        )
    return code
