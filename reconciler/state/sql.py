"""Record keeping common to both backends; a backend supplies statement execution and locking.

SQL here is written with `?` placeholders in the subset SQLite and PostgreSQL share (the PostgreSQL
backend rewrites them to `%s`); upserts use `ON CONFLICT ... DO UPDATE`, which both understand.
"""

from __future__ import annotations

import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from reconciler.resources import Address, AddressError, ManagedRecord
from reconciler.state import schema
from reconciler.state.base import (
    LockHolder,
    StateError,
    StoredRecord,
    field_fingerprints_from_json,
    field_fingerprints_to_json,
    utc_now,
)

_COLUMNS = (
    "address, kind, remote_id, room_id, fingerprint, field_fingerprints, update_time, applied_at, applied_by, "
    "stack"
)

_UPSERT = f"""INSERT INTO resources (target, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (target, address) DO UPDATE SET
    kind = excluded.kind, remote_id = excluded.remote_id, room_id = excluded.room_id,
    fingerprint = excluded.fingerprint, field_fingerprints = excluded.field_fingerprints,
    update_time = excluded.update_time, applied_at = excluded.applied_at, applied_by = excluded.applied_by,
    stack = excluded.stack"""


def _record(row: tuple[Any, ...]) -> StoredRecord:
    address, kind, remote_id, room_id, fp, fields, update_time, applied_at, applied_by, stack = row
    try:
        parsed = Address.parse(address)
    except AddressError:
        raise StateError(f"corrupt address in the state store: {str(address)[:80]!r}") from None
    if parsed.kind != kind:
        raise StateError(f"corrupt record in the state store: {parsed} has kind {str(kind)[:40]!r}")
    return StoredRecord(
        address=parsed,
        remote_id=remote_id,
        room_id=room_id,
        fingerprint=fp,
        field_fingerprints=field_fingerprints_from_json(fields),
        update_time=update_time,
        applied_at=applied_at,
        applied_by=applied_by,
        stack=stack,
    )


class SqlStore(ABC):
    location: str
    can_break_locks: bool = False

    def __init__(self, location: str) -> None:
        self.location = location
        # One connection per store, shared by apply's worker threads: calls are serialized here.
        self._mutex = threading.RLock()
        self._key: bytes | None = None

    # --- what a backend provides -------------------------------------------------------------------

    @abstractmethod
    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one autocommitted statement; rows it returns (none for writes)."""

    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one autocommitted write; the number of rows it touched."""

    @abstractmethod
    def _migration_transaction(self) -> AbstractContextManager[schema.Run]:
        """A transaction that excludes every other migrating process, for `schema.migrate`."""

    @abstractmethod
    def _has_meta(self) -> bool: ...

    @abstractmethod
    def lock(self, target: str, *, timeout: float, holder: LockHolder) -> AbstractContextManager[None]: ...

    @abstractmethod
    def lock_info(self, target: str) -> LockHolder | None: ...

    @abstractmethod
    def force_unlock(self, target: str) -> bool: ...

    @abstractmethod
    def close(self) -> None: ...

    # --- shared behaviour ------------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        # The common case (schema current) costs one read and takes no writer lock, so opening the
        # store for a plan never waits behind a running apply.
        if self._has_meta() and schema.read_version(self._fetch, self.location) == schema.SCHEMA_VERSION:
            return
        with self._migration_transaction() as run:
            schema.migrate(run, self.location)

    def stored_records(self, target: str) -> dict[Address, StoredRecord]:
        rows = self._fetch(f"SELECT {_COLUMNS} FROM resources WHERE target = ? ORDER BY address", (target,))
        records = (_record(row) for row in rows)
        return {record.address: record for record in records}

    def records(self, target: str) -> dict[Address, ManagedRecord]:
        return {address: rec.as_managed() for address, rec in self.stored_records(target).items()}

    def get(self, target: str, address: Address) -> StoredRecord | None:
        rows = self._fetch(
            f"SELECT {_COLUMNS} FROM resources WHERE target = ? AND address = ?", (target, str(address))
        )
        return _record(rows[0]) if rows else None

    def put(self, target: str, record: ManagedRecord, applied_by: str) -> None:
        if not record.address.name or not record.kind:
            raise ValueError(f"a state record needs an address and a kind: {record!r}")
        self._execute(
            _UPSERT,
            (
                target,
                str(record.address),
                record.kind,
                record.remote_id,
                record.room_id,
                record.fingerprint,
                field_fingerprints_to_json(record.field_fingerprints),
                record.update_time,
                utc_now(),
                applied_by,
                record.stack,
            ),
        )

    def remove(self, target: str, address: Address) -> bool:
        sql = "DELETE FROM resources WHERE target = ? AND address = ?"
        return self._execute(sql, (target, str(address))) > 0

    def hmac_key(self) -> bytes:
        with self._mutex:
            if self._key is None:
                # Insert-if-absent then read: two processes creating the key at once agree on one.
                self._execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                    (schema.HMAC_KEY, secrets.token_bytes(32).hex()),
                )
                rows = self._fetch("SELECT value FROM meta WHERE key = ?", (schema.HMAC_KEY,))
                self._key = bytes.fromhex(rows[0][0])
            return self._key

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
