"""`--env NAME` (and SMARTLIVE_ENV): the environment of the project file a command runs in.

Every command that validates or talks to a target takes it. The project file (smartlive.yaml) is found at
the manifests' root or one of its parents (project/discovery.py); the environment it selects fills in
what the command line leaves out, before the SMARTLIVE_* variables do:

    --state, --stack, --local/--endpoint/--region, --project-id   (flags: always win)
    the selected environment (its state, target, credential variables), the project's stack and paths
    SMARTLIVE_STATE, SMARTLIVE_STACK, SMARTLIVE_LOCAL/ENDPOINT/REGION, HUAWEICLOUD_SDK_PROJECT_ID ...

docs/environments.md says the same for users.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from reconciler.errors import UsageError

if TYPE_CHECKING:
    from reconciler.project.selection import Selection

#: The variable --env falls back on (reconciler.project.ENV_VARIABLE, not imported at start-up).
ENV_VARIABLE = "SMARTLIVE_ENV"
STATE_VARIABLE = "SMARTLIVE_STATE"


def add_environment_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env",
        metavar="NAME",
        help="the environment of smartlive.yaml to use: its target, state store and variables "
        f"(also {ENV_VARIABLE}; default: the file's default_environment)",
    )


def requested_environment(args: argparse.Namespace) -> tuple[str | None, str]:
    """The environment the user asked for and where (--env, else SMARTLIVE_ENV); (None, "") when neither."""
    named: str | None = getattr(args, "env", None)
    if named:
        return named, "--env"
    from_variable = os.environ.get(ENV_VARIABLE) or None
    return (from_variable, ENV_VARIABLE) if from_variable else (None, "")


def selection_of(args: argparse.Namespace) -> Selection:
    """The project file and environment for these arguments, found and checked once per command."""
    cached: Selection | None = getattr(args, "selection", None)
    if cached is not None:
        return cached
    from reconciler.project.selection import selection_for

    requested, source = requested_environment(args)
    selection = selection_for(manifest_paths(args), requested, source=source)
    args.selection = selection
    return selection


def manifest_paths(args: argparse.Namespace) -> list[str]:
    """Where the command's manifests are, to look for the project file from: its PATHs, or the directory
    it writes manifests to (`export --out`, which sets `manifest_dir`)."""
    paths: list[str] = list(getattr(args, "paths", None) or [])
    manifest_dir: str | None = getattr(args, "manifest_dir", None)
    return paths or ([manifest_dir] if manifest_dir else [])


def use_environment(args: argparse.Namespace) -> Selection:
    """Select the environment and fill in what the command line left out: PATHs (the project's `paths`),
    the state store, the stack. `args.state_given` keeps --state as typed (a saved plan's apply command
    repeats only that)."""
    selection = selection_of(args)
    if getattr(args, "environment_used", False):
        return selection
    args.environment_used = True
    if hasattr(args, "paths") and not args.paths:
        args.paths = selection.default_paths()
        if not args.paths:
            raise UsageError(
                "name the manifests (PATH...), or run where a smartlive.yaml (here or in a parent directory) "
                "lists their paths"
            )
    if hasattr(args, "state"):
        args.state_given = args.state
        args.state = args.state or selection.state or os.environ.get(STATE_VARIABLE) or None
    if hasattr(args, "stack") and args.stack is None:
        args.stack = selection.stack
    return selection


def environment_name(args: argparse.Namespace) -> str | None:
    """The selected environment's name, for plan headers and saved plans."""
    return selection_of(args).name
