"""Which files a manifest set is made of, and reading one of them safely.

Directories are walked recursively in sorted order, taking ``*.yaml`` and ``*.yml`` and skipping
hidden entries (``.git``, ``.venv``): the same arguments always give the same files in the same
order. A file named explicitly is read whatever its extension. Files are shown as the user spelled
the path, so diagnostics are clickable relative to where the command ran.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from reconciler.manifest import codes
from reconciler.manifest.diagnostics import Finding

MAX_FILE_BYTES: Final = 10 * 1024 * 1024
MANIFEST_SUFFIXES: Final = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class PathProblem:
    """A command-line path that yields no file: reported against the path itself."""

    path: str
    finding: Finding


def discover(paths: Sequence[str | os.PathLike[str]]) -> tuple[list[str], list[PathProblem]]:
    """The manifest files under ``paths``, each once, in argument order then sorted order."""
    files: list[str] = []
    problems: list[PathProblem] = []
    seen: set[str] = set()
    for raw in paths:
        shown = os.fspath(raw)
        if os.path.isdir(shown):
            found = list(_walk(shown))
            if not found:
                problems.append(
                    PathProblem(shown, Finding(codes.NO_MANIFESTS, "no .yaml or .yml file in this directory"))
                )
            candidates = found
        elif os.path.exists(shown):
            candidates = [shown]
        else:
            problems.append(PathProblem(shown, Finding(codes.CANNOT_READ, "no such file or directory")))
            continue
        for candidate in candidates:
            identity = os.path.realpath(candidate)
            if identity not in seen:
                seen.add(identity)
                files.append(candidate)
    return files, problems


def _walk(directory: str, visited: set[str] | None = None) -> Iterable[str]:
    # Symbolic links to directories are followed, each real directory once (a link to `.` loops).
    visited = set() if visited is None else visited
    real = os.path.realpath(directory)
    if real in visited:
        return
    visited.add(real)
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = os.path.join(directory, entry.name) if directory != "." else entry.name
        if entry.is_dir():
            yield from _walk(path, visited)
        elif entry.name.endswith(MANIFEST_SUFFIXES) and entry.is_file():
            yield path


def read_manifest(path: str) -> bytes | Finding:
    """The bytes of ``path``, or why they cannot be used. Files over 10 MiB are refused unread."""
    try:
        size = os.stat(path).st_size
        if size > MAX_FILE_BYTES:
            return _too_large()
        if not Path(path).is_file():
            return Finding(codes.CANNOT_READ, "not a regular file")
        with open(path, "rb") as stream:
            # Read at most one byte past the limit: the file may have grown since stat, or be a
            # device that stat reports as empty.
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return Finding(codes.CANNOT_READ, f"cannot read: {exc.strerror or exc}")
    if len(data) > MAX_FILE_BYTES:
        return _too_large()
    return data


def _too_large() -> Finding:
    return Finding(
        codes.FILE_TOO_LARGE, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; not read"
    )


def check_utf8(data: bytes) -> Finding | None:
    """None when ``data`` is UTF-8 (a BOM is allowed), else where the first bad byte is."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        return Finding(
            codes.NOT_UTF8,
            f"not UTF-8: byte {data[exc.start]:#04x} cannot be decoded; save the file as UTF-8",
            line=line,
            column=column,
        )
    return None
