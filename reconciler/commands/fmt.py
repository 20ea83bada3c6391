"""`smartlive fmt [--check] [--diff] PATH...`: rewrite manifests in the canonical layout (manifest/layout.py).

As `terraform fmt`: prints the name of each file it rewrote (with --check, of each it would rewrite,
writing none) and exits 0; with --check, 1 when a file would change. A file it cannot read or parse
is reported on one line, left as it is, and makes the exit code 1.
"""

from __future__ import annotations

import argparse
import difflib
import sys

from reconciler import exitcodes
from reconciler.commands._help import examples
from reconciler.heap import importing

ORDER = 15


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "fmt",
        help="rewrite manifests in the canonical layout, keeping comments",
        description=(
            "Rewrite manifest files and directories (searched recursively, as validate does) in the "
            "canonical layout: apiVersion, kind, metadata, spec in that order (name, labels, annotations "
            "in metadata), 2-space indentation, list dashes indented under their key, one line per "
            "string. Comments, quotes and one-line lists are kept as written. YAML in a directory that is "
            "not a smartlive manifest is left alone. Prints each file it changed; exit 0, or 1 when a "
            "file cannot be read or parsed (it is left as it is) or, with --check, would change."
        ),
        **examples(
            "smartlive fmt examples/                  # rewrite, printing the files changed",
            "smartlive fmt --check manifests/         # in CI: exit 1 and name the files not formatted",
            "smartlive fmt --check --diff rules.yaml  # show what would change, as a unified diff",
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="a manifest file or a directory of them")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when a file is not in the canonical layout",
    )
    parser.add_argument("--diff", action="store_true", help="also print each change as a unified diff")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: ruamel.yaml is for this command only (tests/unit/test_startup.py).
    with importing():
        from reconciler.manifest.reformat import Formatted, layouts, write_atomically

    code = exitcodes.OK
    for outcome in layouts(args.paths):
        if not isinstance(outcome, Formatted):
            print(f"error: {outcome.path}: {outcome.reason}", file=sys.stderr)
            code = exitcodes.ERROR
            continue
        if not outcome.changes:
            continue
        if args.check:
            code = exitcodes.ERROR
        else:
            try:
                write_atomically(outcome.path, outcome.after)
            except OSError as exc:
                print(f"error: {outcome.path}: cannot write: {exc.strerror or exc}", file=sys.stderr)
                code = exitcodes.ERROR
                continue
        print(outcome.path)
        if args.diff:
            sys.stdout.writelines(_unified_diff(outcome.path, outcome.before, outcome.after))
    return code


def _unified_diff(path: str, before: str, after: str) -> list[str]:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        f"{path} (before)",
        f"{path} (formatted)",
    )
    return [line if line.endswith("\n") else line + "\n" for line in lines]
