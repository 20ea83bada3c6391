"""Which files `smartlive fmt` rewrites, with what text, and the rewrite itself.

Files are found as `validate` finds them (files.py), and the same files are left alone: YAML found in a
directory that is no smartlive manifest (foreign.py) is another tool's, whose layout is not ours to
choose. A file that cannot be read or parsed is reported and never written.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.atomic_file import replace_atomically
from reconciler.manifest.files import check_utf8, discover, read_manifest
from reconciler.manifest.foreign import hints_name_smartlive, meant_as_manifest, text_hints
from reconciler.manifest.layout import LayoutError, canonical_documents
from reconciler.manifest.registry import kinds

BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class Formatted:
    """One manifest file: its text now and in the canonical layout (the same when nothing changes)."""

    path: str
    before: str
    after: str

    @property
    def changes(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True, slots=True)
class Unformattable:
    """A file fmt cannot format, and why, in one line (`LINE:COL: problem` when the parser says where)."""

    path: str
    reason: str


def layouts(paths: Sequence[str]) -> Iterator[Formatted | Unformattable]:
    """Each manifest file under `paths`, in validate's order, then each project file (smartlive.yaml,
    laid out as a manifest is); other tools' YAML found in a directory is not yielded at all."""
    found = discover(paths)
    for problem in found.problems:
        yield Unformattable(problem.path, problem.finding.message)
    known = kinds()
    for path in found.files:
        walked = path in found.walked
        outcome = _layout(path)
        if isinstance(outcome, Unformattable):
            data = read_manifest(path)
            # A file found by walking that cannot be laid out is left alone unless it says it is ours.
            if walked and isinstance(data, bytes) and not hints_name_smartlive(text_hints(data), known):
                continue
            yield outcome
            continue
        documents, formatted = outcome
        if walked and not any(meant_as_manifest(document, known) for document in documents):
            continue
        yield formatted
    for path in found.project_files:
        outcome = _layout(path)
        yield outcome if isinstance(outcome, Unformattable) else outcome[1]


def _layout(path: str) -> tuple[list[Any], Formatted] | Unformattable:
    """The file's documents and its text in the canonical layout, or why it has none."""
    data = read_manifest(path)
    if not isinstance(data, bytes):
        return Unformattable(path, data.message)
    not_utf8 = check_utf8(data)
    if not_utf8 is not None:
        return Unformattable(path, f"{not_utf8.line}:{not_utf8.column}: {not_utf8.message}")
    text = data.decode("utf-8")
    try:
        documents, canonical = canonical_documents(text.removeprefix(BOM))
    except LayoutError as exc:
        return Unformattable(path, str(exc))
    return documents, Formatted(path, text, BOM + canonical if text.startswith(BOM) else canonical)


def write_atomically(path: str, text: str) -> None:
    """Replace the file's text at once, keeping its mode; a symbolic link is kept and its target
    rewritten."""
    target = os.path.realpath(path)
    replace_atomically(target, text.encode("utf-8"), mode=stat.S_IMODE(os.stat(target).st_mode))
