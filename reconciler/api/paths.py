"""Where in a document or a request a value is, as text: `spec.interaction_rules[3].hit_condition.priority`.

One spelling for every message that names a place: validate's diagnostics (a path into the YAML's data)
and the pydantic errors of the API models (a loc), in the CLI and in the emulator's error bodies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

PathPart = str | int

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# How pydantic names a union's member in an error's loc: its validator ("function-plain[...]",
# "list[str]", "int", "str") or its model's class name ("RuleEntry"). API and manifest field names are
# snake_case or camelCase, never one of these.
_UNION_TAG = re.compile(
    r"[a-z][a-z-]*\[.*\]|(?:int|float|str|bool|none|bytes|list|dict|tuple|set|frozenset|any)", re.DOTALL
)


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
