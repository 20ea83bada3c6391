"""The names `smartlive export` gives what it writes (docs/export.md documents them).

A manifest's metadata.name is a slug of the object's name in the service: lower case, every run of
characters other than letters and digits made one `-`, none at either end ("flagship store (landscape)"
becomes "flagship-store-landscape"); a name with nothing left is "unnamed". Two objects whose slugs meet
are told apart by `-2`, `-3`, ... in the order of their remote ids. A secret field becomes a reference to
an environment variable named after the kind, the manifest and the field, in upper snake case:
ROOM_FLAGSHIP_STORE_LANDSCAPE_STREAM_KEY_1, JOB_EVENING_SHOW_JOB_CALLBACK_KEY.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Final

#: What a name is when its slug is empty (a name of punctuation, or of another script only).
UNNAMED: Final = "unnamed"
#: The longest metadata.name (registry.Metadata).
MAX_NAME: Final = 256
_NOT_WORD: Final = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """`text` as a metadata.name: see the module docstring."""
    return _NOT_WORD.sub("-", text.casefold()).strip("-")[: MAX_NAME - 8].strip("-") or UNNAMED


def unique(name: str, taken: Collection[str]) -> str:
    """`name`, or `name-2`, `name-3`, ... the first not in `taken`."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def secret_variable(kind_prefix: str, name: str, field: str) -> str:
    """The environment variable a secret field's reference names: `ROOM`, `flagship-store`,
    `STREAM_KEY_1` -> ROOM_FLAGSHIP_STORE_STREAM_KEY_1."""
    words = _NOT_WORD.sub("_", name.casefold()).strip("_").upper()
    return "_".join(part for part in (kind_prefix, words, field) if part)


def reference(variable: str) -> str:
    """The `${env:NAME}` reference a manifest holds in place of a secret."""
    return "${env:" + variable + "}"
