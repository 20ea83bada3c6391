"""The state store's contract: what a backend keeps, how a lock is held, and the fingerprint function.

The store remembers what this tool applied (ids, fingerprints, who and when), never a secret: anything
secret-bearing enters only as an HMAC-SHA256 under a key kept in the store itself (`hmac_key`).
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
import socket
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from reconciler.errors import UserError
from reconciler.resources import Address, CanonicalJson, ManagedRecord, canonical_json


class StateError(UserError):
    """The state store failed (server gone, disk full) or holds no record for an address."""


@dataclass(frozen=True)
class StoredRecord(ManagedRecord):
    """A ManagedRecord as the store keeps it: plus when and by whom it was last applied."""

    #: UTC, ISO 8601 with milliseconds and a Z suffix, set by the store on `put`.
    applied_at: str = ""
    applied_by: str = ""

    def as_managed(self) -> ManagedRecord:
        return ManagedRecord(
            address=self.address,
            remote_id=self.remote_id,
            room_id=self.room_id,
            fingerprint=self.fingerprint,
            field_fingerprints=dict(self.field_fingerprints),
            update_time=self.update_time,
            stack=self.stack,
        )


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or asks for) a target's lock; a refusal names it so an operator can find it."""

    host: str
    pid: int
    #: When the lock was taken; the store overwrites it with the moment it actually acquired the lock.
    since: str
    user: str = ""
    #: What the holder is doing, e.g. "apply" or "state rm".
    operation: str = ""
    #: PostgreSQL only: the server session that holds the advisory lock.
    backend_pid: int | None = None

    @classmethod
    def current(cls, operation: str = "apply") -> LockHolder:
        return cls(
            host=socket.gethostname(), pid=os.getpid(), since=utc_now(), user=_user(), operation=operation
        )

    def describe(self) -> str:
        if not self.pid:
            who = "an unidentified process (it left no holder record)"
        else:
            who = f"pid {self.pid} on host {self.host}"
            if self.since:
                who += f" since {self.since}"
            detail = ", ".join(
                part for part in (f"user {self.user}" if self.user else "", self.operation) if part
            )
            if detail:
                who += f" ({detail})"
        if self.backend_pid:
            who += f" [PostgreSQL session {self.backend_pid}]"
        return who


class StateStore(Protocol):
    """What plan and apply see of a backend. Reads never lock; writes are durable when they return."""

    #: Where the store is, safe to print (a PostgreSQL password is masked).
    location: str
    #: True when `force_unlock` can break a lock held by a live session (PostgreSQL), False for file locks.
    can_break_locks: bool

    def records(self, target: str) -> dict[Address, ManagedRecord]: ...

    def stored_records(self, target: str) -> dict[Address, StoredRecord]: ...

    def get(self, target: str, address: Address) -> StoredRecord | None: ...

    def put(self, target: str, record: ManagedRecord, applied_by: str) -> None: ...

    def remove(self, target: str, address: Address) -> bool: ...

    def hmac_key(self) -> bytes: ...

    def lock(self, target: str, *, timeout: float, holder: LockHolder) -> AbstractContextManager[None]: ...

    def check_lock(self, target: str) -> None:
        """While this store holds the target's lock: raise LockLostError if it holds it no longer. A
        put or remove of the target's records checks it first; apply also checks it before each write
        to the service. Nothing to check when this store did not take the lock."""
        ...

    def lock_info(self, target: str) -> LockHolder | None: ...

    def force_unlock(self, target: str) -> bool: ...

    def close(self) -> None: ...


def fingerprint(value: Any, key: bytes) -> str:
    """HMAC-SHA256 (hex) of `value` as canonical JSON: sorted keys, no whitespace.

    One function for whole-spec and per-field fingerprints, so equal values always compare equal and
    a secret can be checked for change without ever being stored.
    """
    canonical = value if isinstance(value, CanonicalJson) else canonical_json(value)
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def whoami() -> str:
    """A default `applied_by`: user@host."""
    return f"{_user()}@{socket.gethostname()}"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user with no passwd entry
        return f"uid {os.getuid()}"


def lock_refusal(target: str, holder: LockHolder | None, timeout: float, hint: str) -> str:
    who = holder.describe() if holder is not None else "another process"
    waited = f"; still held after waiting {timeout:g}s" if timeout > 0 else ""
    return f"the state of {target} is locked by {who}{waited}. {hint}"


def holder_to_json(holder: LockHolder) -> str:
    return json.dumps(
        {
            "host": holder.host,
            "pid": holder.pid,
            "since": holder.since,
            "user": holder.user,
            "operation": holder.operation,
        },
        sort_keys=True,
    )


def holder_from_json(text: str) -> LockHolder | None:
    """Parse what `holder_to_json` wrote; None for an empty or half-written record."""
    try:
        data = json.loads(text)
        return LockHolder(
            host=str(data["host"]),
            pid=int(data["pid"]),
            since=str(data["since"]),
            user=str(data.get("user", "")),
            operation=str(data.get("operation", "")),
        )
    except (ValueError, KeyError, TypeError):
        return None


def corrupt(location: str, problem: str) -> StateError:
    """The one message for a store whose content this tool did not write (edited by hand, damaged, a
    bad restore): where the store is and what is wrong, in one line; the store holds no secret."""
    return StateError(f"the state store {location} is corrupt: {problem}")


def excerpt(value: object) -> str:
    """A stored value as a message shows it: short, and on one line."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def field_fingerprints_to_json(fields: Mapping[str, str]) -> str:
    return json.dumps(dict(fields), sort_keys=True, separators=(",", ":"))


def field_fingerprints_from_json(text: str) -> dict[str, str]:
    """The per-field fingerprints as stored; ValueError (saying what is wrong) for anything else."""
    try:
        data = json.loads(text) if text else {}
    except (ValueError, RecursionError):
        raise ValueError(f"field_fingerprints are not JSON: {excerpt(text)}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"field_fingerprints are not an object of texts: {excerpt(text)}")
    return {str(k): v for k, v in data.items()}
