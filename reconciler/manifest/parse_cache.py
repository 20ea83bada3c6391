"""A cache of parsed manifest files for `smartlive plan`, kept in `.smartlive/parse-cache`.

Why: a warm plan of an unchanged repository parses every YAML file again; parsing is the loader's
largest cost per file, and the result (plain data, the same tuples parallel.py sends between
processes) is cheap to keep. An entry is used only when the file's path, size, mtime and SHA-256 of
its content all match: the content is read and hashed each time anyway, so an edit is never missed,
whatever the clock or the file system did to the mtime.

The file is the tool's own: a header naming the format, smartlive's version and Python's (marshal's
format is Python's), the SHA-256 of the payload, then the payload (marshal). Anything that does not
match, does not verify or does not decode is ignored as if there were no cache, and is replaced on
the next save. A cache that cannot be written (a read-only checkout) costs only the speed-up.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler import __version__

FILE_NAME = "parse-cache"
#: (size, mtime in ns, SHA-256 hex of the content)
Key = tuple[int, int, str]
#: What loader._read_and_parse returns: (file-level findings, documents), marshal-able.
Parsed = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _header() -> bytes:
    python = ".".join(str(part) for part in sys.version_info[:2])
    return f"smartlive-parse-cache 1 smartlive {__version__} python {python}\n".encode()


def file_key(file: str, data: bytes) -> Key | None:
    """The key of `file` whose content, as read, is `data`; None when it cannot be stat'ed. Size and
    hash are of `data`, so a file written between the read and the stat is keyed by what was parsed."""
    try:
        mtime = os.stat(file).st_mtime_ns
    except OSError:
        return None
    return len(data), mtime, hashlib.sha256(data).hexdigest()


@dataclass
class ParseCache:
    path: Path
    #: absolute path -> (key, parsed), as loaded
    entries: dict[str, tuple[Key, Parsed]] = field(default_factory=dict)
    #: this run's files: what the next save keeps (files no longer loaded are dropped)
    seen: dict[str, tuple[Key, Parsed]] = field(default_factory=dict)

    @classmethod
    def open(cls, directory: Path) -> ParseCache:
        path = directory / FILE_NAME
        return cls(path, _read(path))

    def lookup(self, file: str, key: Key) -> Parsed | None:
        entry = self.entries.get(os.path.abspath(file))
        return entry[1] if entry is not None and entry[0] == key else None

    def remember(self, file: str, key: Key, parsed: Parsed) -> None:
        self.seen[os.path.abspath(file)] = (key, parsed)

    def save(self) -> None:
        """Writes this run's entries when they differ from what was read (atomically: rename)."""
        if self.seen == self.entries:
            return
        payload = marshal.dumps(self.seen)
        content = _header() + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{FILE_NAME}.")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(content)
                os.replace(temporary, self.path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            pass  # a read-only or full disk: the next plan parses again, nothing else is lost


def _read(path: Path) -> dict[str, tuple[Key, Parsed]]:
    try:
        content = path.read_bytes()
    except OSError:
        return {}
    header = _header()
    if not content.startswith(header):
        return {}  # another smartlive or Python version, or not a cache at all
    digest, _, payload = content[len(header) :].partition(b"\n")
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        return {}  # truncated or altered: marshal is not meant to read damaged data
    try:
        entries = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return {}
    if not isinstance(entries, dict):
        return {}
    return {file: entry for file, entry in entries.items() if _well_formed(file, entry)}


def _well_formed(file: object, entry: object) -> bool:
    """An entry of the shape save() writes: (key, (findings, documents))."""
    if not (isinstance(file, str) and isinstance(entry, tuple) and len(entry) == 2):
        return False
    key, parsed = entry
    return (
        isinstance(key, tuple)
        and len(key) == 3
        and isinstance(parsed, tuple)
        and len(parsed) == 2
        and all(isinstance(part, list) for part in parsed)
    )
