"""The plan's dependency graph: levels to apply in order, and what a failure takes down with it.

A change depends on the changes of the resources it references (a room on the groups it imports, a job
on its room), and a delete on every change of a resource that may have referenced it: a resource goes
away only after whatever pointed at it was changed or removed (Terraform's destroy order). The graph is
built from `ResourceChange.depends_on`; graphlib (standard library) orders it and finds cycles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from graphlib import CycleError, TopologicalSorter

from reconciler.engine.plan import ResourceChange
from reconciler.resources import Address


class DependencyCycleError(ValueError):
    """The references form a cycle: no order can satisfy them."""

    def __init__(self, cycle: Sequence[Address]) -> None:
        self.cycle = tuple(cycle)
        super().__init__("the references form a cycle: " + " -> ".join(str(a) for a in self.cycle))


def levels(changes: Iterable[ResourceChange]) -> list[list[ResourceChange]]:
    """Changes grouped into levels: each level's changes depend only on earlier levels' changes, so the
    changes of one level may run in parallel. Dependencies on resources outside `changes` (no-ops,
    changes filtered out by --target) are already satisfied. Each level is sorted by address."""
    by_address = {c.address: c for c in changes}
    sorter: TopologicalSorter[Address] = TopologicalSorter()
    for change in by_address.values():
        sorter.add(change.address, *(d for d in change.depends_on if d in by_address))
    try:
        sorter.prepare()
    except CycleError as exc:
        raise DependencyCycleError(exc.args[1]) from None
    out: list[list[ResourceChange]] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        out.append([by_address[a] for a in ready])
        sorter.done(*ready)
    return out


def dependents(changes: Iterable[ResourceChange]) -> Mapping[Address, frozenset[Address]]:
    """address -> the addresses that depend on it, directly or through others."""
    direct: dict[Address, set[Address]] = defaultdict(set)
    for change in changes:
        for dependency in change.depends_on:
            direct[dependency].add(change.address)
    closed: dict[Address, frozenset[Address]] = {}

    def reach(address: Address, seen: set[Address]) -> set[Address]:
        out: set[Address] = set()
        for child in direct.get(address, ()):
            if child not in seen:
                seen.add(child)
                out |= {child} | reach(child, seen)
        return out

    for address in list(direct):
        closed[address] = frozenset(reach(address, {address}))
    return closed


def find_cycle(edges: Mapping[Address, Iterable[Address]]) -> tuple[Address, ...] | None:
    """A cycle among `edges` (source -> targets), or None: for validate, before any plan exists."""
    sorter: TopologicalSorter[Address] = TopologicalSorter()
    for source, targets in edges.items():
        sorter.add(source, *targets)
    try:
        sorter.prepare()
    except CycleError as exc:
        return tuple(exc.args[1])
    return None
