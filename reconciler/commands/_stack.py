"""`--stack NAME` (and SMARTLIVE_STACK), shared by plan, apply, import and state; the default stack.

A stack is the manifest set that owns a record (docs/stacks.md). Unnamed, it is the set's root: the
common ancestor directory of the PATH arguments (a file counts as its directory), relative to the
working directory with "/" separators ("." for the working directory itself; absolute when outside it),
so that `plan shop-a/` and `plan shop-b/` run side by side as two stacks from one checkout.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from reconciler.errors import UsageError

ENV: Final = "SMARTLIVE_STACK"


def add_stack_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    # No default here: the project file's stack comes before SMARTLIVE_STACK (commands/_environment.py).
    parser.add_argument("--stack", metavar="NAME", help=help_text)


def checked(name: str, what: str) -> str:
    """`name` if it can name a stack; otherwise a one-line usage error saying what is wrong with it."""
    from reconciler.engine.stacks import stack_name_problem  # the one rule; loaded on use, not at start-up

    problem = stack_name_problem(name)
    if problem is not None:
        raise UsageError(f"{what}: {problem}")
    return name


def named_stack(args: argparse.Namespace) -> str | None:
    """The stack --stack (or the project file) or SMARTLIVE_STACK names, checked; None when none does."""
    name: str | None = getattr(args, "stack", None)
    if name is None:
        name = os.environ.get(ENV) or None
    if name is None:
        return None
    what = "--stack" if os.environ.get(ENV) != name else ENV
    return checked(name, what)


def root_of(paths: Sequence[str | Path], cwd: Path | None = None) -> str:
    """The default stack of a manifest set: its root, as the module docstring says."""
    here = (cwd or Path.cwd()).resolve()
    folders = [_folder(Path(p), here) for p in paths]
    root = Path(os.path.commonpath(folders)) if folders else here
    if root == here:
        return "."
    if root.is_relative_to(here):
        return root.relative_to(here).as_posix()
    return root.as_posix()


def _folder(path: Path, here: Path) -> Path:
    absolute = (here / path).resolve()
    return absolute if absolute.is_dir() else absolute.parent


def stack_for(args: argparse.Namespace, paths: Sequence[str | Path]) -> str:
    """--stack or SMARTLIVE_STACK, else the root of `paths` (which must make a valid name)."""
    named = named_stack(args)
    if named is not None:
        return named
    return checked(root_of(paths), f"the manifests' root (the default stack; name one with --stack or {ENV})")
