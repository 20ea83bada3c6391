"""Checks across the whole manifest set that hold for every kind: names unique per kind.

Each is a SetCheck (registry.py): an extract of what it needs from each resource, then the check
over all extracts, so it works the same whether the set was loaded in one process or several.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from reconciler.manifest import codes
from reconciler.manifest.diagnostics import Finding
from reconciler.manifest.registry import ResourceRef


def duplicate_names(summaries: Sequence[tuple[ResourceRef, Any]]) -> Iterator[tuple[ResourceRef, Finding]]:
    """Every kind: metadata.name identifies the resource (the group_name of a rule group)."""
    first: dict[tuple[str, str], ResourceRef] = {}
    for ref, _ in summaries:
        seen = first.setdefault((ref.kind, ref.name), ref)
        if seen is not ref:
            yield (
                ref,
                Finding(
                    codes.DUPLICATE_NAME,
                    f"{ref.kind} {ref.name!r} is already declared at {seen.source}",
                    ("metadata", "name"),
                ),
            )
