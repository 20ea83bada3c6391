"""`smartlive validate PATH...`: check manifests offline (YAML, types, semantic lint) before merge.

No network and no credentials: secret references are checked for their form, never resolved.
"""

from __future__ import annotations

import argparse
import sys

from reconciler import exitcodes
from reconciler.commands._help import examples
from reconciler.heap import importing

ORDER = 10
FORMATS = ("text", "json", "github")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check manifests offline: YAML, types and semantic rules",
        description=(
            "Check manifest files and directories (searched recursively for *.yaml and *.yml) without "
            "contacting the service, the checks across files included. Found in a directory, YAML that is "
            "not a smartlive manifest (a CI workflow, a docker-compose.yml) is skipped and counted; a file "
            "named on its own must be one. Exit 0 when there is no error (warnings allowed), 1 when there is one."
        ),
        **examples(
            "smartlive validate examples/                          # FILE:LINE:COL: error[CODE]: ... and a summary",
            "smartlive validate manifests/ --format github         # annotations on a pull request's diff",
            "smartlive validate rules/faq.yaml jobs/ --format json  # a JSON list of diagnostics",
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="a manifest file or a directory of them")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default; ends with a summary line), json (a list of diagnostics) or github (workflow commands)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: `smartlive --help` and the other commands do not pay for pydantic and libyaml.
    with importing():
        from reconciler.manifest import check_manifests
        from reconciler.manifest.render import RENDERERS

    result = check_manifests(args.paths)
    sys.stdout.write(RENDERERS[args.format](result))
    return exitcodes.ERROR if result.errors else exitcodes.OK
