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
from collections.abc import Collection, Sequence
from typing import Final

from reconciler.engine.kind import ExportedSecret

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


def stream_key_references(kind_prefix: str, name: str, count: int) -> tuple[list[str], list[ExportedSecret]]:
    """The `${env:NAME}` references a manifest's `count` stream keys become, and the secrets they name."""
    variables = [secret_variable(kind_prefix, name, f"STREAM_KEY_{n}") for n in range(1, 1 + count)]
    secrets = [ExportedSecret(f"spec.stream_keys[{i}]", v) for i, v in enumerate(variables)]
    return [reference(v) for v in variables], secrets


def callback_key_reference(kind_prefix: str, name: str) -> tuple[str, ExportedSecret]:
    """The `${env:NAME}` reference a manifest's live-event callback key becomes, and the secret it names."""
    variable = secret_variable(kind_prefix, name, "CALLBACK_KEY")
    return reference(variable), ExportedSecret("spec.live_event_callback_config.key", variable)


def namesakes_refused(what: str, name: str, remote_ids: Sequence[str]) -> str:
    """Why an object whose name others share is not exported (`what`: "rule groups", "rooms"): plan
    matches it by name and could not tell them apart. "" when the name is its alone."""
    if len(remote_ids) < 2:
        return ""
    return (
        f"{len(remote_ids)} {what} are named {name!r} ({', '.join(sorted(remote_ids))}): plan could not tell "
        "them apart; rename the others first"
    )
