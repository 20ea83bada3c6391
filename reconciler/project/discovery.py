"""Where smartlive.yaml is: in the manifests' root directory or the nearest of its parents that has one.

The root is the common ancestor directory of the PATH arguments (commands/_stack.py's root_of); with no
PATH argument, the working directory. The search goes up to the filesystem root and stops at the first
smartlive.yaml, as git finds its repository: a command run from a subdirectory of a project, or on one of
its manifest directories, finds the project's file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from reconciler.project import PROJECT_FILE_NAME


def search_start(paths: Sequence[str | os.PathLike[str]], cwd: Path | None = None) -> Path:
    """The directory the search starts in: the PATH arguments' common ancestor, else `cwd`."""
    here = (cwd or Path.cwd()).resolve()
    if not paths:
        return here
    folders = []
    for raw in paths:
        absolute = (here / raw).resolve()
        folders.append(str(absolute if absolute.is_dir() else absolute.parent))
    return Path(os.path.commonpath(folders))


def find_project_file(start: Path) -> Path | None:
    """The nearest smartlive.yaml in `start` or its parents; None when there is none. Whatever has the
    name is the project's (a directory or a FIFO there is reported when it is read, never passed over
    for a file further up)."""
    for directory in (start, *start.parents):
        candidate = directory / PROJECT_FILE_NAME
        if candidate.exists():
            return candidate
    return None
