"""References between declared resources, checked across the manifest set at validate time.

A kind says which resources a declaration names (`Kind.references`); these two set checks need only
those (path, target) pairs per resource, so they run however the set was loaded (see SetCheck): a
reference to a resource the set does not declare is reported at the referring field, and a cycle at
one of its members. Resolving a reference to a remote id is apply's (`ApplyContext.resolve`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from reconciler.engine.graph import find_cycle
from reconciler.manifest import codes
from reconciler.manifest.diagnostics import Finding
from reconciler.manifest.registry import ResourceRef
from reconciler.resources import Address

#: What the set checks get of each resource: (path of the referring field, target kind, target name).
ReferenceSummary = tuple[tuple[tuple[str | int, ...], str, str], ...]


def undeclared_references(
    summaries: Sequence[tuple[ResourceRef, Any]],
) -> Iterator[tuple[ResourceRef, Finding]]:
    declared = {Address(ref.kind, ref.name) for ref, _ in summaries}
    for ref, references in summaries:
        for path, kind, name in references or ():
            if Address(kind, name) not in declared:
                yield (
                    ref,
                    Finding(
                        codes.REFERENCE_UNDECLARED,
                        f"{Address(ref.kind, ref.name)} refers to {Address(kind, name)}, which the manifests "
                        "given do not declare",
                        path,
                    ),
                )


def reference_cycles(summaries: Sequence[tuple[ResourceRef, Any]]) -> Iterator[tuple[ResourceRef, Finding]]:
    edges: dict[Address, list[Address]] = {}
    paths: dict[tuple[Address, Address], tuple[str | int, ...]] = {}
    refs: dict[Address, ResourceRef] = {}
    for ref, references in summaries:
        source = Address(ref.kind, ref.name)
        refs.setdefault(source, ref)
        for path, kind, name in references or ():
            target = Address(kind, name)
            edges.setdefault(source, []).append(target)
            paths.setdefault((source, target), path)
    cycle = find_cycle(edges)
    if cycle is None:
        return
    # graphlib closes the cycle with its first node: A -> B -> A.
    first, second = cycle[0], cycle[1]
    where = refs.get(first)
    if where is None:
        return
    text = " -> ".join(str(a) for a in cycle)
    yield (
        where,
        Finding(
            codes.REFERENCE_CYCLE,
            f"the references form a cycle: {text}",
            paths.get((first, second), ("spec",)),
        ),
    )
