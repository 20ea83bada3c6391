"""Which files a manifest set is made of, and reading one of them safely.

Directories are walked recursively in sorted order, taking ``*.yaml`` and ``*.yml`` and skipping
hidden entries (``.git``, ``.venv``) and the project file ``smartlive.yaml`` (reconciler/project/,
checked on its own schema, never as a manifest, even when named on its own): the same arguments always give the same files in the same
order. A file named explicitly is read whatever its extension. Files are shown as the user spelled
the path, so diagnostics are clickable relative to where the command ran. Which files were found by
walking a directory is kept: those may be other tools' YAML, which the loader skips (foreign.py).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from reconciler.manifest import codes
from reconciler.manifest.diagnostics import Finding

MAX_FILE_BYTES: Final = 10 * 1024 * 1024
#: The project file (reconciler/project/__init__.py says the same; not imported here to keep this light).
PROJECT_FILE_NAME: Final = "smartlive.yaml"
MANIFEST_SUFFIXES: Final = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class PathProblem:
    """A command-line path that yields no file: reported against the path itself."""

    path: str
    finding: Finding


@dataclass(frozen=True, slots=True)
class Found:
    """What the command-line paths name: the files, the paths that yield none, and how each file was
    found (a file named itself must be a manifest; one found in a directory may be another tool's)."""

    files: list[str]
    problems: list[PathProblem]
    #: The files found by walking a directory argument and not also named on their own.
    walked: frozenset[str]
    #: Each directory argument -> every file found in it (as `files` spells it: a file found twice is
    #: listed once in `files`, under each directory here).
    directories: dict[str, list[str]]
    #: The project files (smartlive.yaml) named or found by walking: not manifests, but `fmt` lays them
    #: out too.
    project_files: list[str] = field(default_factory=list)


def discover(paths: Sequence[str | os.PathLike[str]]) -> Found:
    """The manifest files under ``paths``, each once, in argument order then sorted order."""
    files: list[str] = []
    project_files: list[str] = []
    problems: list[PathProblem] = []
    walked: set[str] = set()
    directories: dict[str, list[str]] = {}
    first_spelling: dict[str, str] = {}  # real path -> the file as first found
    shown_paths = [os.fspath(raw) for raw in paths]
    named = {
        os.path.realpath(shown) for shown in shown_paths if not os.path.isdir(shown) and os.path.exists(shown)
    }
    for shown in shown_paths:
        is_directory = os.path.isdir(shown)
        if is_directory:
            candidates = list(_walk(shown, project_files=project_files))
            if not candidates:
                problems.append(
                    PathProblem(shown, Finding(codes.NO_MANIFESTS, "no .yaml or .yml file in this directory"))
                )
            found_here = directories.setdefault(shown, [])
        elif os.path.basename(shown) == PROJECT_FILE_NAME and os.path.exists(shown):
            # Named on its own too: `validate smartlive.yaml` checks it as the project file it is.
            project_files.append(shown)
            continue
        elif os.path.exists(shown):
            candidates = [(shown, os.path.realpath(shown))]
        else:
            problems.append(PathProblem(shown, Finding(codes.CANNOT_READ, "no such file or directory")))
            continue
        for candidate, identity in candidates:
            if identity not in first_spelling:
                first_spelling[identity] = candidate
                files.append(candidate)
                if is_directory and identity not in named:
                    walked.add(candidate)
            if is_directory:
                found_here.append(first_spelling[identity])
    return Found(files, problems, frozenset(walked), directories, list(dict.fromkeys(project_files)))


def _walk(
    directory: str, visited: set[str] | None = None, *, project_files: list[str]
) -> Iterable[tuple[str, str]]:
    """(path as shown, real path) of each manifest file under `directory`; the project files found are
    added to `project_files`."""
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
        if entry.name == PROJECT_FILE_NAME:
            if entry.is_file():
                project_files.append(path)
        elif entry.is_dir():
            yield from _walk(path, visited, project_files=project_files)
        elif entry.name.endswith(MANIFEST_SUFFIXES) and entry.is_file():
            # The real path of a file that is no link is its real directory's plus its name: no
            # realpath (a few system calls) per file of a large set.
            identity = os.path.realpath(path) if entry.is_symlink() else os.path.join(real, entry.name)
            yield path, identity


class FileRefused(Exception):
    """A path read_regular_file will not read: not a regular file, or larger than its cap."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_large = too_large


def read_regular_file(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; every file smartlive reads
    whole (manifests, secret files, a callback key) is read through here.

    Raises FileRefused for anything else (a FIFO, a device such as /dev/zero, a directory, a file over
    ``limit``) and OSError when it cannot be opened or read. The file is opened non-blocking and
    checked with fstat before any read: opening a FIFO for reading otherwise waits for a writer, for
    ever, and /dev/zero would be read until memory runs out."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(f"not a regular file ({file_type(info.st_mode)})")
        if info.st_size > limit:
            raise FileRefused(_too_large_reason(limit), too_large=True)
        # One byte past the limit: the file may have grown since fstat.
        data = _read_at_most(fd, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise FileRefused(_too_large_reason(limit), too_large=True)
    return data


def _read_at_most(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    while size > 0:
        chunk = os.read(fd, min(size, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def file_type(mode: int) -> str:
    """What a file that is not a regular one is, for a message: `a named pipe`, `a directory`."""
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a file"


def _too_large_reason(limit: int) -> str:
    return f"larger than {format_size(limit)}; not read"


def format_size(size: int) -> str:
    """10 MiB, 64 KiB, 100 bytes: how a cap is named in a message."""
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"


def read_manifest(path: str) -> bytes | Finding:
    """The bytes of ``path``, or why they cannot be used. Files over 10 MiB are refused unread."""
    try:
        return read_regular_file(path, MAX_FILE_BYTES)
    except FileRefused as refused:
        if refused.too_large:
            return Finding(codes.FILE_TOO_LARGE, f"file is {refused.reason}")
        return Finding(codes.CANNOT_READ, refused.reason)
    except OSError as exc:
        return Finding(codes.CANNOT_READ, f"cannot read: {exc.strerror or exc}")


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
