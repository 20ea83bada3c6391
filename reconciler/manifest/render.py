"""Diagnostics as text (for people), JSON (for tools) or GitHub workflow commands (for CI annotations).

A renderer is chosen by name from ``RENDERERS``, as check-jsonschema's reporters are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Final, Protocol

from reconciler.manifest.diagnostics import Diagnostic


class Report(Protocol):
    """What a renderer needs: Report and CheckResult both are one."""

    @property
    def diagnostics(self) -> Sequence[Diagnostic]: ...
    @property
    def files(self) -> int: ...
    @property
    def resource_count(self) -> int: ...
    @property
    def errors(self) -> Sequence[Diagnostic]: ...
    @property
    def warnings(self) -> Sequence[Diagnostic]: ...
    @property
    def skipped(self) -> int: ...


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(result: Report) -> str:
    """`2 files, 3 resources: 1 error, 0 warnings`, and `; 2 files skipped: not smartlive manifests`
    when a directory held other tools' YAML (foreign.py)."""
    skipped = (
        f"; {_plural(result.skipped, 'file')} skipped: not smartlive manifests" if result.skipped else ""
    )
    return (
        f"{_plural(result.files, 'file')}, {_plural(result.resource_count, 'resource')}: "
        f"{_plural(len(result.errors), 'error')}, {_plural(len(result.warnings), 'warning')}{skipped}"
    )


def render_text(result: Report) -> str:
    lines = [str(item) for item in result.diagnostics]
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def render_json(result: Report) -> str:
    return json.dumps([item.as_dict() for item in result.diagnostics], indent=2, ensure_ascii=False) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: Report) -> str:
    """``::error file=F,line=L,col=C::MESSAGE``: GitHub shows each on the pull request's diff."""
    lines = []
    for item in result.diagnostics:
        where = f" (at {item.path})" if item.path else ""
        lines.append(
            f"::{item.severity} file={_escape_property(item.file)},line={item.line},col={item.column},"
            f"title={_escape_property('smartlive ' + item.code)}::{_escape_data(f'[{item.code}] {item.message}{where}')}"
        )
    return "".join(line + "\n" for line in lines)


RENDERERS: Final[dict[str, Callable[[Report], str]]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
}
