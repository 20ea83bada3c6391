"""`smartlive schema [--out DIR] [--check]`: the JSON Schemas of the manifest kinds.

The checked-in schemas/ directory is this command's output; CI fails when the two differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reconciler import exitcodes
from reconciler.commands._help import examples
from reconciler.errors import UserError

ORDER = 90


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="write the JSON Schemas of the manifest kinds",
        description=(
            "Generate JSON Schema (2020-12) files for editors and check-jsonschema: one per kind "
            "(<Kind>.json), smartlive.json for any kind and Project.json for the project file "
            "smartlive.yaml. Without --out, print smartlive.json."
        ),
        **examples(
            "smartlive schema --out schemas/           # write <Kind>.json per kind and smartlive.json",
            "smartlive schema --out schemas/ --check   # write nothing; exit 1 if a file is missing or differs",
            "smartlive schema > smartlive.json         # the schema of any kind, on stdout",
        ),
    )
    parser.add_argument("--out", metavar="DIR", type=Path, help="directory to write the schema files to")
    parser.add_argument(
        "--check",
        action="store_true",
        help="with --out: write nothing, exit 1 if a file in DIR is missing or differs",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reconciler.manifest.schema import COMBINED_FILE
    from reconciler.project.schema import every_schema_file

    files = every_schema_file()
    if args.out is None:
        if args.check:
            print("smartlive schema: --check needs --out DIR", file=sys.stderr)
            return exitcodes.USAGE
        sys.stdout.write(files[COMBINED_FILE])
        return exitcodes.OK
    out: Path = args.out
    if args.check:
        stale = [name for name, text in files.items() if _read(out / name) != text]
        for name in stale:
            print(f"{out / name}: out of date; run: smartlive schema --out {out}")
        return exitcodes.ERROR if stale else exitcodes.OK
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            path = out / name
            if _read(path) != text:
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path}")
    except OSError as exc:
        raise UserError(f"cannot write schemas to {out}: {exc.strerror or exc}") from None
    return exitcodes.OK


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
