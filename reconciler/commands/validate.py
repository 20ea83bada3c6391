"""`smartlive validate PATH...`: check manifests offline (YAML, types, semantic lint) before merge.

No network and no credentials: secret references are checked for their form, never resolved.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from reconciler import exitcodes
from reconciler.commands._environment import (
    add_environment_argument,
    requested_environment,
    use_environment,
)
from reconciler.commands._help import examples
from reconciler.errors import UsageError
from reconciler.heap import importing

if TYPE_CHECKING:
    from reconciler.manifest import CheckResult
    from reconciler.manifest.diagnostics import Diagnostic
    from reconciler.project.selection import Selection

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
            "smartlive validate --all-envs                        # smartlive.yaml's paths, every environment",
        ),
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="a manifest file or a directory of them (default: the `paths` of smartlive.yaml)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default; ends with a summary line), json (a list of diagnostics) or github (workflow commands)",
    )
    add_environment_argument(parser)
    parser.add_argument(
        "--all-envs",
        action="store_true",
        help="check the manifests once for every environment of smartlive.yaml (each one's variables); "
        "a problem found in some environments only is prefixed with their names, e.g. [staging]",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: `smartlive --help` and the other commands do not pay for pydantic and libyaml.
    with importing():
        from reconciler.manifest import CheckResult, check_manifests
        from reconciler.manifest.render import RENDERERS
        from reconciler.project.reading import ProjectFileError

    try:
        selection = use_environment(args)
    except ProjectFileError as exc:  # the project file's own problems, reported as the manifests' are
        result = CheckResult(diagnostics=exc.diagnostics, files=1)
        sys.stdout.write(RENDERERS[args.format](result))
        return exitcodes.ERROR
    if args.all_envs:
        result = check_every_environment(args, selection)
    else:
        result = check_manifests(args.paths, variables=selection.variables())
    sys.stdout.write(RENDERERS[args.format](result))
    return exitcodes.ERROR if result.errors else exitcodes.OK


def check_every_environment(args: argparse.Namespace, selection: Selection) -> CheckResult:
    """One check per environment, each diagnostic reported once: as it is when every environment has it,
    else with the names of those that do before its message (`[staging] ...`)."""
    from reconciler.manifest import check_manifests
    from reconciler.project.selection import Selection

    if requested_environment(args)[0] is not None:
        raise UsageError("--all-envs checks every environment: it does not go with --env or SMARTLIVE_ENV")
    names = list(selection.file.project.environments) if selection.file is not None else []
    if not names:
        raise UsageError("--all-envs: there is no environment to check (no smartlive.yaml declares one)")
    found: dict[Diagnostic, list[str]] = {}
    first = None
    for name in names:
        result = check_manifests(args.paths, variables=Selection(selection.file, name).variables())
        first = first or result
        for diagnostic in result.diagnostics:
            found.setdefault(diagnostic, []).append(name)
    assert first is not None
    merged = [
        d if len(where) == len(names) else replace(d, message=f"[{', '.join(where)}] {d.message}")
        for d, where in found.items()
    ]
    return replace(first, diagnostics=merged)
