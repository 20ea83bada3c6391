"""Stacks (docs/stacks.md): the state store's records of one target as one stack sees them. Pure.

Every record belongs to one stack, the manifest set that applied or imported it. A plan sees its own
stack's records (it may prune them) and those written before stacks existed (NO_STACK: it takes over
those it declares, and only shows the others); another stack's records are invisible to prune, and a
declaration that one of them already owns is an error naming that stack, never a takeover.
"""

from __future__ import annotations

import shlex
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from reconciler.errors import UserError
from reconciler.resources import NO_STACK, Address, ManagedRecord

#: The longest stack name: it is printed in every ownership error and stored with every record.
MAX_STACK_CHARS: Final = 128


def stack_name_problem(name: str) -> str | None:
    """What makes `name` unfit to name a stack (one clause), None when it is fit. One rule for every
    place a name comes from: --stack, SMARTLIVE_STACK, the manifests' root, a saved plan."""
    if not name:
        return "a stack name cannot be empty"
    if len(name) > MAX_STACK_CHARS:
        return f"a stack name has at most {MAX_STACK_CHARS} characters, not {len(name)}"
    if not name.isprintable():
        return "a stack name must be printable (no control characters or line breaks)"
    return None


class StackConflictError(UserError):
    """A declared resource, or the remote object it matches, is managed by another stack."""


@dataclass(frozen=True)
class Ownership:
    """The records of one target (every stack's), split by what `stack` may do with them."""

    stack: str
    records: Mapping[Address, ManagedRecord]
    _by_remote_id: dict[tuple[str, str], ManagedRecord] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id = {(r.kind, r.remote_id): r for r in self.foreign.values() if r.remote_id}
        object.__setattr__(self, "_by_remote_id", by_id)

    @property
    def own(self) -> dict[Address, ManagedRecord]:
        """This stack's records: the only ones its --prune may delete or stop."""
        return {a: r for a, r in self.records.items() if r.stack == self.stack}

    @property
    def legacy(self) -> dict[Address, ManagedRecord]:
        """Records written before stacks (when planning a named stack): taken over where declared."""
        if self.stack == NO_STACK:
            return {}
        return {a: r for a, r in self.records.items() if r.stack == NO_STACK}

    @property
    def visible(self) -> dict[Address, ManagedRecord]:
        """What this stack's plan reads and shows: its own records and the legacy ones."""
        return {**self.legacy, **self.own}

    @property
    def foreign(self) -> dict[Address, ManagedRecord]:
        """Other stacks' records: never read, shown or pruned by this stack."""
        return {a: r for a, r in self.records.items() if r.stack not in (self.stack, NO_STACK)}

    def claimed(self, declared: Collection[Address]) -> dict[Address, ManagedRecord]:
        """The records an apply of this stack may write: its own, and the legacy ones it declares (a
        legacy record it does not declare is not its to forget)."""
        return {a: r for a, r in self.visible.items() if r.stack == self.stack or a in declared}

    def check_declared(self, declared: Iterable[Address]) -> None:
        """StackConflictError naming the owner of every declared address another stack manages."""
        foreign = self.foreign
        lines = [address_conflict(a, foreign[a].stack, self.stack) for a in sorted(declared) if a in foreign]
        if lines:
            raise StackConflictError("\n".join(lines))

    def owner_of(self, kind: str, remote_id: str | None) -> ManagedRecord | None:
        """Another stack's record of this remote object, if one has it."""
        return self._by_remote_id.get((kind, remote_id)) if remote_id else None


def _quoted(stack: str) -> str:
    return shlex.quote(stack)


def address_conflict(address: Address, owner: str, stack: str) -> str:
    """The one line that says which stack owns a declared address, and the ways out."""
    return (
        f'{address} is managed by stack "{owner}", not "{stack}": declare it in one stack only, plan it with '
        f"--stack {_quoted(owner)}, or move its record: smartlive state mv {shlex.quote(str(address))} "
        f"--stack {_quoted(owner)} --to-stack {_quoted(stack)}"
    )


def object_conflict(address: Address, id_name: str, remote_id: str, owner: ManagedRecord) -> str:
    """The line for a declaration that matches a remote object another stack manages (by another
    address: a room of the same room_name, a job in the same room)."""
    return (
        f'{address}: {id_name} {remote_id} is managed as {owner.address} by stack "{owner.stack}": '
        "declare it in one stack only"
    )
