"""What the loader and the lint report: a Finding (where in a document) becomes a Diagnostic (where in
a file) once its path is mapped to a line and column.

Findings carry a path into the document's data, not a position: positions are looked up only for
files that have something to report, so a clean manifest set never pays for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.api.paths import PathPart, format_loc, format_path
from reconciler.manifest.codes import Severity, severity_of

__all__ = [
    "Diagnostic",
    "DocPath",
    "Finding",
    "PathPart",
    "diagnostic",
    "format_loc",
    "format_path",
    "one_line",
]

DocPath = tuple[PathPart, ...]


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
