"""The value types every layer shares: a resource's address, a reference to another resource, what
the state store remembers of a managed resource, and the text its fingerprints are taken of.

A leaf module: it imports nothing of the project, so cloud/, state/, engine/ and kinds/ can all use it
without pointing at each other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

#: The remote id of an intent: the record written just before a create or start, completed after it.
PENDING: Final = ""
#: The stack of a record written before stacks existed: any stack that declares its address takes it over.
NO_STACK: Final = ""


class AddressError(ValueError):
    """Text that is not `Kind/name`."""


@dataclass(frozen=True, order=True, slots=True)
class Address:
    """A resource in the manifest set: its kind and its metadata.name. Rendered `Kind/name`, here only."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"

    @classmethod
    def parse(cls, text: str) -> Address:
        """`Kind/name` back into an Address (the name may itself hold slashes)."""
        kind, slash, name = text.partition("/")
        if not slash or not kind.strip() or not name.strip():
            raise AddressError(f"{text!r} is not an address of the form Kind/name")
        return cls(kind, name)


@dataclass(frozen=True, slots=True)
class Reference:
    """A field of one resource that names another resource by its manifest address, as Crossplane's
    ResolutionRequest: the referring field's path (for positions in diagnostics) and what it points to.
    It is resolved to the target's remote id only when apply builds a request."""

    source: Address
    #: Where the reference is written, from the document root: ("spec", "room").
    path: tuple[str | int, ...]
    target: Address


@dataclass(frozen=True)
class ManagedRecord:
    """What the state store remembers of a resource this tool created or imported."""

    address: Address
    remote_id: str
    #: Where the remote object lives when its id alone does not say (a job's room).
    room_id: str = ""
    fingerprint: str = ""
    field_fingerprints: Mapping[str, str] = field(default_factory=dict)
    update_time: str = ""
    #: The stack that owns it (docs/stacks.md): only that stack's plans may prune it. NO_STACK: written
    #: before stacks; apply stamps the current stack on every record it writes.
    stack: str = NO_STACK

    @property
    def kind(self) -> str:
        return self.address.kind

    @property
    def is_intent(self) -> bool:
        """Written before a create or start whose outcome is not recorded yet."""
        return self.remote_id == PENDING


def canonical_json(value: Any) -> str:
    """`value` as a fingerprint (state/base.py) hashes it: sorted keys, no whitespace, UTF-8 as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class CanonicalJson(str):
    """Text `canonical_json` wrote earlier: a fingerprint hashes it as it is, not as a JSON string (a
    rule group keeps its canonical text in the parse cache, so a warm plan serializes none again)."""
