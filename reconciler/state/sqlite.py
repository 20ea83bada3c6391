"""SQLite backend (the default, `.smartlive/state.db`).

WAL mode lets plans read while an apply writes; a busy timeout makes concurrent writers from several
processes wait instead of failing. synchronous=NORMAL: a committed put survives the process being killed
at any instant (it is in the WAL), which is the crash apply must survive; only an OS crash or power cut
can drop the last few puts, and apply's look-up-before-create adopts those objects on the next run.
FULL (`?synchronous=full`) syncs every put, at ~4 ms each, too slow for applying 1,000 objects.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from reconciler.errors import ConfigError
from reconciler.state import filelock, schema
from reconciler.state.base import LockHolder, StateError, corrupt
from reconciler.state.sql import SqlStore

BUSY_TIMEOUT_SECONDS = 30.0
SYNCHRONOUS_MODES = ("normal", "full")
#: OperationalErrors that say the file's content is damaged rather than that the database is busy or
#: read-only: the store is corrupt.
_DAMAGE = ("Could not decode", "no such table", "no such column")


_T = TypeVar("_T")


def _when_free(statement: Callable[[], _T]) -> _T:
    """Run a statement, again while SQLite answers "database is locked" (up to BUSY_TIMEOUT_SECONDS).

    The connection's busy timeout already waits for a writer, but SQLite returns SQLITE_BUSY at once
    where waiting could deadlock (a journal-mode switch racing another process's first read, a WAL
    reader whose snapshot moved): seen when two applies start together on a new store. Each statement
    here is its own transaction (or runs inside one that holds the write lock), so running it again
    is safe."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            return statement()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.02)


class SqliteStore(SqlStore):
    can_break_locks = False

    def __init__(self, path: Path, *, synchronous: str = "normal") -> None:
        super().__init__(str(path))
        if synchronous not in SYNCHRONOUS_MODES:
            raise ConfigError(
                f"synchronous={synchronous!r} for {path}: use one of {', '.join(SYNCHRONOUS_MODES)}"
            )
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                # The store holds the HMAC key: keep it private (SQLite gives its -wal file the same mode).
                os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            self._conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the SQLite state store {path}: {exc}") from None
        try:
            _when_free(lambda: self._conn.execute("PRAGMA journal_mode=WAL"))
            self._conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
            self._ensure_schema()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise ConfigError(f"cannot open the SQLite state store {path}: {exc}") from None
        except BaseException:
            self._conn.close()
            raise

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._mutex:
            try:
                return _when_free(lambda: self._conn.execute(sql, params).fetchall())
            except sqlite3.DatabaseError as exc:
                raise self._failed(exc) from exc

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._mutex:
            try:
                return _when_free(lambda: self._conn.execute(sql, params).rowcount)
            except sqlite3.DatabaseError as exc:
                raise self._failed(exc) from exc

    def _failed(self, exc: sqlite3.DatabaseError) -> StateError:
        """Busy, read-only, a full disk (OperationalError: the user's to fix, as it says), or a damaged
        file (any other DatabaseError: "database disk image is malformed"; text that is not UTF-8; a
        table or column of the schema gone)."""
        if isinstance(exc, sqlite3.OperationalError) and not str(exc).startswith(_DAMAGE):
            return StateError(f"SQLite state store {self.location}: {exc}")
        return corrupt(self.location, str(exc))

    def _has_meta(self) -> bool:
        return bool(self._fetch("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"))

    @contextmanager
    def _transaction(self) -> Iterator[schema.Run]:
        with self._mutex:
            # IMMEDIATE takes the write lock up front, so two processes migrating a new file serialize.
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._fetch
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _migration_transaction(self) -> AbstractContextManager[schema.Run]:
        return self._transaction()

    def lock_path(self, target: str) -> Path:
        digest = hashlib.sha256(target.encode()).hexdigest()[:16]
        return self.path.with_name(f"{self.path.name}.{digest}.lock")

    def lock(self, target: str, *, timeout: float, holder: LockHolder) -> AbstractContextManager[None]:
        return self._lock(target, timeout, holder)

    @contextmanager
    def _lock(self, target: str, timeout: float, holder: LockHolder) -> Iterator[None]:
        path = self.lock_path(target)
        with (
            filelock.file_lock(path, target, timeout=timeout, holder=holder, store=self.location) as check,
            self._holding(target, check),
        ):
            yield

    def lock_info(self, target: str) -> LockHolder | None:
        return filelock.held_by(self.lock_path(target), store=self.location)

    def force_unlock(self, target: str) -> bool:
        return filelock.clear_stale(self.lock_path(target), target, store=self.location)

    def close(self) -> None:
        with self._mutex:
            self._conn.close()
