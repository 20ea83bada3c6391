"""What the loader and the lint report: a Finding (where in a document) becomes a Diagnostic (where in
a file) once its path is mapped to a line and column.

Findings carry a path into the document's data, not a position: positions are looked up only for
files that have something to report, so a clean manifest set never pays for them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from reconciler.manifest.codes import Severity, severity_of

PathPart = str | int
DocPath = tuple[PathPart, ...]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# How pydantic names a union's member in an error's loc: its validator ("function-plain[...]",
# "list[str]", "int", "str") or its model's class name ("RuleEntry"). API and manifest field names are
# snake_case or camelCase, never one of these.
_UNION_TAG = re.compile(
    r"[a-z][a-z-]*\[.*\]|(?:int|float|str|bool|none|bytes|list|dict|tuple|set|frozenset|any)", re.DOTALL
)


def format_loc(loc: Sequence[PathPart]) -> str:
    """format_path of a pydantic error's loc, without the union members it names (`at.int`, `.str`):
    they are pydantic's bookkeeping, not a place in the data."""
    return format_path([part for part in loc if isinstance(part, int) or not _is_union_tag(part)])


def _is_union_tag(part: str) -> bool:
    if _UNION_TAG.fullmatch(part):
        return True
    # A model's name, not a mapping key such as an operation name ("StartSmartLive" in rate_limits).
    return part[:1].isupper() and part in _model_names()


def _model_names() -> set[str]:
    names: set[str] = set()
    pending: list[type[Any]] = [BaseModel]
    while pending:
        subclasses: list[type[Any]] = pending.pop().__subclasses__()
        for sub in subclasses:
            if sub.__name__ not in names:
                names.add(sub.__name__)
                pending.append(sub)
    return names


def format_path(path: Sequence[PathPart]) -> str:
    """`spec.interaction_rules[3].hit_condition.priority`; keys that are not identifiers are quoted:
    `metadata.annotations["smartlive.io/allow-restart"]`."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.match(part):
            out.append(f".{part}" if out else part)
        else:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'["{escaped}"]')
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem inside one document, located by its path into the document's data.

    ``at_key`` points the position at the mapping key rather than its value (unknown fields,
    duplicate names); ``line``/``column`` (1-based) are set when the parser already knows them.
    """

    code: str
    message: str
    path: DocPath = ()
    at_key: bool = False
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One reported problem: ``FILE:LINE:COL: error[CODE]: MESSAGE (at PATH)``. Lines and columns are
    1-based; ``path`` is empty for problems of a whole file."""

    file: str
    line: int
    column: int
    path: str
    code: str
    severity: Severity
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = f" (at {self.path})" if self.path else ""
        return f"{self.file}:{self.line}:{self.column}: {self.severity}[{self.code}]: {self.message}{where}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
        }


def diagnostic(file: str, line: int, column: int, finding: Finding) -> Diagnostic:
    return Diagnostic(
        file=file,
        line=line,
        column=column,
        path=format_path(finding.path),
        code=finding.code,
        severity=severity_of(finding.code),
        message=one_line(finding.message),
    )


def one_line(text: str) -> str:
    """A message as one line: a diagnostic is one line of output (a parser's or a validator's message
    may hold line breaks)."""
    return " ".join(text.split()) if "\n" in text or "\r" in text else text
