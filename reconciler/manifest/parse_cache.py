"""A cache of checked manifest files for `smartlive plan` and `apply`, kept in `.smartlive/parse-cache`.

Why: a warm plan of an unchanged repository would otherwise parse, type-check and lint every file
again, and its kinds would prepare what they build from (a rule group's canonical form) again: for
2,000 rule groups that is most of a plan's time. What the loader keeps of a file is its checked
outcome as plain data (loader._encode_checked: the findings; each resource's name, source, labels,
annotations, set-check extracts, prepared value and document; the set-check summaries of the documents
that did not type-check; whether the file is another tool's YAML, foreign.py), enough to rebuild its
resources without validating them again (a spec is validated only if something reads it). Whether a
foreign file is skipped depends on how it was named, not on its content: the loader decides it on
each run, from the same entry.

An entry is used only when the file's path, size, mtime and SHA-256 of its content all match: the
content is read and hashed each time anyway, so an edit is never missed, whatever the clock or the
file system did to the mtime. The checks across files (duplicate names, references) run over the
whole set every time: a file's outcome depends on nothing but its content.

The file is the tool's own: a header naming the format, smartlive's version, Python's (marshal's
format is Python's) and a digest of smartlive's own source files (their paths, sizes and mtimes, so a
checkout edited without a new version number does not reuse outcomes its old code computed), the
SHA-256 of the payload, then the payload (marshal). Anything that does not match, does not verify or
does not decode is ignored as if there were no cache, and is replaced on the next save. A cache that
cannot be written (a read-only checkout) costs only the speed-up.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import reconciler
from reconciler import __version__
from reconciler.atomic_file import replace_atomically

FILE_NAME = "parse-cache"
FORMAT = "smartlive-parse-cache 3"
#: (size, mtime in ns, SHA-256 hex of the content)
Key = tuple[int, int, str]
#: What the loader keeps of one checked file (loader._encode_checked): (findings, resources, the
#: summaries of documents that did not type-check, foreign).
Checked = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]], bool]


def _header() -> bytes:
    python = ".".join(str(part) for part in sys.version_info[:2])
    return f"{FORMAT} smartlive {__version__} python {python} source {_source_digest()}\n".encode()


@functools.cache
def _source_digest() -> str:
    """Of smartlive's own .py files: relative path, size and mtime (about 130 stats, under 1 ms)."""
    digest = hashlib.sha256()
    root = os.path.dirname(os.path.abspath(reconciler.__file__))
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                try:
                    info = os.stat(path)
                except OSError:
                    continue
                relative = os.path.relpath(path, root)
                digest.update(f"{relative}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:16]


def file_key(file: str, data: bytes) -> Key | None:
    """The key of `file` whose content, as read, is `data`; None when it cannot be stat'ed. Size and
    hash are of `data`, so a file written between the read and the stat is keyed by what was checked."""
    try:
        mtime = os.stat(file).st_mtime_ns
    except OSError:
        return None
    return len(data), mtime, hashlib.sha256(data).hexdigest()


def salted(key: Key, salt: str) -> Key:
    """`key` for a file whose outcome depends on `salt` as well as on its content."""
    size, mtime, digest = key
    return size, mtime, f"{digest}+{salt}"


@dataclass
class ParseCache:
    path: Path
    #: absolute path -> (key, checked outcome), as loaded
    entries: dict[str, tuple[Key, Checked]] = field(default_factory=dict)
    #: this run's files: what the next save keeps (files no longer loaded are dropped)
    seen: dict[str, tuple[Key, Checked]] = field(default_factory=dict)

    @classmethod
    def open(cls, directory: Path) -> ParseCache:
        path = directory / FILE_NAME
        return cls(path, _read(path))

    def lookup(self, absolute: str, key: Key) -> Checked | None:
        """The entry of the file at the `absolute` path, if its key is `key`."""
        entry = self.entries.get(absolute)
        return entry[1] if entry is not None and entry[0] == key else None

    def remember(self, absolute: str, key: Key, checked: Checked) -> None:
        self.seen[absolute] = (key, checked)

    def save(self) -> None:
        """Writes this run's entries when they differ from what was read (atomically: rename)."""
        if self.seen == self.entries:
            return
        try:
            payload = marshal.dumps(self.seen)
            content = _header() + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
            self.path.parent.mkdir(parents=True, exist_ok=True)
            replace_atomically(self.path, content)
        except (OSError, ValueError):
            # A read-only or full disk, or a value marshal cannot write (a plugin kind's extract):
            # the next plan checks the files again, nothing else is lost.
            pass


def _read(path: Path) -> dict[str, tuple[Key, Checked]]:
    try:
        content = path.read_bytes()
    except OSError:
        return {}
    header = _header()
    if not content.startswith(header):
        return {}  # another format, smartlive or Python version, or not a cache at all
    end = content.find(b"\n", len(header))
    digest = content[len(header) : end]
    payload = memoryview(content)[end + 1 :]  # megabytes: not copied
    if end < 0 or hashlib.sha256(payload).hexdigest().encode() != digest:
        return {}  # truncated or altered: marshal is not meant to read damaged data
    try:
        entries = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return {}
    if not isinstance(entries, dict):
        return {}
    return {file: entry for file, entry in entries.items() if _well_formed(file, entry)}


def _well_formed(file: object, entry: object) -> bool:
    """An entry of the shape save() writes: (key, (findings, resources, declared, foreign)). The
    loader checks the rest as it rebuilds the resources, and treats an entry it cannot rebuild as a
    miss."""
    if not (isinstance(file, str) and isinstance(entry, tuple) and len(entry) == 2):
        return False
    key, checked = entry
    return (
        isinstance(key, tuple)
        and len(key) == 3
        and isinstance(checked, tuple)
        and len(checked) == 4
        and all(isinstance(part, list) for part in checked[:3])
        and isinstance(checked[3], bool)
    )
