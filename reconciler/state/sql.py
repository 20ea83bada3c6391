"""Record keeping common to both backends; a backend supplies statement execution and locking.

SQL here is written with `?` placeholders in the subset SQLite and PostgreSQL share (the PostgreSQL
backend rewrites them to `%s`); upserts use `ON CONFLICT ... DO UPDATE`, which both understand.
"""

from __future__ import annotations

import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from reconciler.resources import Address, AddressError, ManagedRecord
from reconciler.state import schema
from reconciler.state.base import (
    LockHolder,
    StoredRecord,
    corrupt,
    excerpt,
    field_fingerprints_from_json,
    field_fingerprints_to_json,
    utc_now,
)

_COLUMNS = (
    "address, kind, remote_id, room_id, fingerprint, field_fingerprints, update_time, applied_at, applied_by, "
    "stack"
)
_NAMES = tuple(name.strip() for name in _COLUMNS.split(","))

_UPSERT = f"""INSERT INTO resources (target, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (target, address) DO UPDATE SET
    kind = excluded.kind, remote_id = excluded.remote_id, room_id = excluded.room_id,
    fingerprint = excluded.fingerprint, field_fingerprints = excluded.field_fingerprints,
    update_time = excluded.update_time, applied_at = excluded.applied_at, applied_by = excluded.applied_by,
    stack = excluded.stack"""


def _record(row: tuple[Any, ...]) -> StoredRecord:
    """A stored row as a record; ValueError (saying what is wrong) for a row this tool did not write. SQLite
    keeps any type in a TEXT column, so each value's type is checked too."""
    texts = dict(zip(_NAMES, row, strict=True))
    wrong = [name for name, value in texts.items() if not isinstance(value, str)]
    address = texts["address"]
    if not isinstance(address, str):
        raise ValueError(f"a record's address is {excerpt(address)}, not a text")
    try:
        parsed = Address.parse(address)
    except AddressError:
        raise ValueError(f"a record's address {excerpt(address)} is not KIND/NAME") from None
    if wrong:
        raise ValueError(f"the record of {parsed} has {wrong[0]} {excerpt(texts[wrong[0]])}, not a text")
    if parsed.kind != texts["kind"]:
        raise ValueError(f"the record of {parsed} has kind {excerpt(texts['kind'])}")
    try:
        fields = field_fingerprints_from_json(texts["field_fingerprints"])
    except ValueError as exc:
        raise ValueError(f"the record of {parsed}: {exc}") from None
    return StoredRecord(
        address=parsed,
        remote_id=texts["remote_id"],
        room_id=texts["room_id"],
        fingerprint=texts["fingerprint"],
        field_fingerprints=fields,
        update_time=texts["update_time"],
        applied_at=texts["applied_at"],
        applied_by=texts["applied_by"],
        stack=texts["stack"],
    )


#: The HMAC key as `hmac_key` creates it: 32 random bytes, kept as 64 hex digits.
_KEY_HEX_DIGITS = 64


class SqlStore(ABC):
    location: str
    can_break_locks: bool = False

    def __init__(self, location: str) -> None:
        self.location = location
        # One connection per store, shared by apply's worker threads: calls are serialized here.
        self._mutex = threading.RLock()
        self._key: bytes | None = None
        #: The targets whose lock this store holds, each with the check that it still does.
        self._held: dict[str, Callable[[], None]] = {}

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

    def _record(self, row: tuple[Any, ...]) -> StoredRecord:
        try:
            return _record(row)
        except ValueError as exc:
            raise corrupt(self.location, str(exc)) from None

    def stored_records(self, target: str) -> dict[Address, StoredRecord]:
        rows = self._fetch(f"SELECT {_COLUMNS} FROM resources WHERE target = ? ORDER BY address", (target,))
        records = (self._record(row) for row in rows)
        return {record.address: record for record in records}

    def records(self, target: str) -> dict[Address, ManagedRecord]:
        return {address: rec.as_managed() for address, rec in self.stored_records(target).items()}

    def get(self, target: str, address: Address) -> StoredRecord | None:
        rows = self._fetch(
            f"SELECT {_COLUMNS} FROM resources WHERE target = ? AND address = ?", (target, str(address))
        )
        return self._record(rows[0]) if rows else None

    # --- the lock held ------------------------------------------------------------------------------

    @contextmanager
    def _holding(self, target: str, check: Callable[[], None]) -> Iterator[None]:
        """While a backend's lock on `target` is held: `check` raises LockLostError once it is not."""
        self._held[target] = check
        try:
            yield
        finally:
            self._held.pop(target, None)

    def check_lock(self, target: str) -> None:
        check = self._held.get(target)
        if check is not None:
            check()

    def _write(self, target: str, sql: str, params: Sequence[Any]) -> int:
        """A write of the target's records: refused once the lock this store took on it is lost, so a
        process that lost the lock cannot overwrite what the new holder records. A backend that can
        make the write itself fail without the lock (PostgreSQL: on the lock's own session) does so."""
        self.check_lock(target)
        return self._execute(sql, params)

    # --- records -----------------------------------------------------------------------------------

    def put(self, target: str, record: ManagedRecord, applied_by: str) -> None:
        if not record.address.name or not record.kind:
            raise ValueError(f"a state record needs an address and a kind: {record!r}")
        self._write(
            target,
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
        return self._write(target, sql, (target, str(address))) > 0

    def hmac_key(self) -> bytes:
        with self._mutex:
            if self._key is None:
                # Insert-if-absent then read: two processes creating the key at once agree on one.
                self._execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                    (schema.HMAC_KEY, secrets.token_bytes(32).hex()),
                )
                rows = self._fetch("SELECT value FROM meta WHERE key = ?", (schema.HMAC_KEY,))
                self._key = self._checked_key(rows[0][0])
            return self._key

    def _checked_key(self, value: object) -> bytes:
        # A wrong key would not fail: every fingerprint would silently differ, and plan would show
        # changes that are not there. Only the key this tool made is used.
        if isinstance(value, str) and len(value) == _KEY_HEX_DIGITS:
            try:
                return bytes.fromhex(value)
            except ValueError:
                pass
        # Never the value itself: it is the key every fingerprint of a secret is made with.
        raise corrupt(self.location, f"its hmac_key (table meta) is not {_KEY_HEX_DIGITS} hex digits")

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
