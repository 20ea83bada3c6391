"""Checks across the whole manifest set: names unique per kind, one running job per room.

Each is a SetCheck (registry.py): an extract of what it needs from each resource, then the check
over all extracts, so it works the same whether the set was loaded in one process or several.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from reconciler.manifest import codes
from reconciler.manifest.diagnostics import Finding
from reconciler.manifest.registry import Manifest, ResourceRef


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


def running_room(resource: Manifest[Any]) -> str | None:
    """The room of a SmartLiveJob declared running, else None."""
    if resource.kind == "SmartLiveJob" and resource.spec.state == "running":
        room: str = resource.spec.room_id
        return room
    return None


def duplicate_rooms(summaries: Sequence[tuple[ResourceRef, Any]]) -> Iterator[tuple[ResourceRef, Finding]]:
    """At most one SmartLiveJob per room may be declared running: apply would start them all."""
    running: dict[str, ResourceRef] = {}
    for ref, room in summaries:
        if room is None:
            continue
        seen = running.setdefault(room, ref)
        if seen is not ref:
            yield (
                ref,
                Finding(
                    codes.ROOM_RUNNING_TWICE,
                    f"room {room} already has running SmartLiveJob {seen.name!r} ({seen.source}); "
                    "declare at most one running job per room",
                    ("spec", "room_id"),
                ),
            )
