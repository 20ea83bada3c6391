"""PostgreSQL backend (`--state postgresql://...`), for teams whose pipelines run on several machines.

Statements run on one autocommit connection: each put is its own committed transaction, durable when
it returns. A target's lock is a session-level advisory lock held on a connection of its own for the
lock's lifetime: if the holding process dies, the server ends its session and frees the lock.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from typing import Any

import psycopg
from psycopg import conninfo, errors

from reconciler.errors import ConfigError, LockError, LockLostError
from reconciler.state import schema
from reconciler.state.base import LockHolder, StateError, corrupt, lock_refusal, utc_now
from reconciler.state.sql import SqlStore

POLL_SECONDS = 0.1
CONNECT_TIMEOUT_SECONDS = 10
#: How long force_unlock waits for a terminated session to let go of its lock.
TERMINATE_WAIT_SECONDS = 5.0
_HINT = (
    "Wait for it to finish or give it longer (--lock-timeout). If that process is gone but its database "
    "session lingers, `smartlive state unlock --force` ends the session."
)

Connection = psycopg.Connection[tuple[Any, ...]]


def advisory_key(text: str) -> int:
    """A signed 64-bit advisory-lock key; namespaced so it cannot meet another application's keys by chance."""
    return int.from_bytes(hashlib.sha256(b"smartlive:" + text.encode()).digest()[:8], "big", signed=True)


_MIGRATION_KEY = advisory_key("schema-migration")

#: The session holding the advisory lock (bigint keys appear split into classid/objid, objsubid 1).
_HOLDER_SESSION = """SELECT pid FROM pg_locks
WHERE locktype = 'advisory' AND granted AND objsubid = 1
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND classid::bigint = %s AND objid::bigint = %s"""


def redact(url: str) -> str:
    """The URL with any password masked, for messages and `location`."""
    url = re.sub(r"(://[^/@:]*:)[^@/]*@", r"\1***@", url)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", url)


def _one_line(exc: BaseException, password: str) -> str:
    text = " ".join(str(exc).split())
    return text.replace(password, "***") if password else text


class PostgresStore(SqlStore):
    can_break_locks = True

    def __init__(self, url: str) -> None:
        super().__init__(redact(url))
        try:
            params: dict[str, Any] = conninfo.conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise ConfigError(
                f"bad PostgreSQL state store URL {self.location}: {_one_line(exc, '')}"
            ) from None
        params.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
        params.setdefault("application_name", "smartlive")
        self._params = params
        self._password = str(params.get("password") or "")
        #: target -> the session holding its advisory lock, while this store holds it.
        self._sessions: dict[str, Connection] = {}
        self._conn = self._connect()
        try:
            self._ensure_schema()
        except BaseException:
            self._conn.close()
            raise

    def _connect(self) -> Connection:
        try:
            return psycopg.connect(**self._params, autocommit=True)
        except psycopg.Error as exc:
            raise ConfigError(
                f"cannot connect to the PostgreSQL state store {self.location}: {_one_line(exc, self._password)}"
            ) from None

    def _failed(self, exc: psycopg.Error) -> StateError:
        return StateError(f"PostgreSQL state store {self.location}: {_one_line(exc, self._password)}")

    def _run(
        self, conn: Connection, sql: str, params: Sequence[Any], *, lock_of: str | None = None
    ) -> psycopg.Cursor[tuple[Any, ...]]:
        """One statement; `lock_of`: `conn` is the session holding that target's lock (`_lock`)."""
        try:
            return conn.execute(sql.replace("?", "%s"), params)
        except psycopg.OperationalError as exc:
            if lock_of is not None:
                # The advisory lock lives exactly as long as its session: a statement that cannot run
                # there (the session was ended: `state unlock --force` elsewhere, a server restart, a
                # dropped connection) means the lock is gone, and another process may hold it.
                raise LockLostError(lock_of, "its database session ended") from None
            raise self._failed(exc) from exc  # the server went away: the user's to fix
        except errors.InsufficientPrivilege as exc:
            # The role may not read or write the tables: the user's to fix.
            raise self._failed(exc) from exc
        except (errors.UndefinedTable, errors.UndefinedColumn) as exc:
            # A table or column of the schema this store's version says it has is gone.
            raise corrupt(self.location, _one_line(exc, self._password)) from exc

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._mutex:
            cur = self._run(self._conn, sql, params)
            return cur.fetchall() if cur.description is not None else []

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._mutex:
            return self._run(self._conn, sql, params).rowcount

    def _has_meta(self) -> bool:
        return self._fetch("SELECT to_regclass('meta') IS NOT NULL")[0][0] is True

    @contextmanager
    def _transaction(self) -> Iterator[schema.Run]:
        with self._mutex, self._conn.transaction():
            # Serializes processes creating the schema at once (CREATE TABLE IF NOT EXISTS can race).
            self._fetch("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_KEY,))
            yield self._fetch

    def _migration_transaction(self) -> AbstractContextManager[schema.Run]:
        return self._transaction()

    # --- locking ---------------------------------------------------------------------------------

    def _holder_session(self, target: str) -> int | None:
        key = advisory_key(target)
        rows = self._fetch(_HOLDER_SESSION, ((key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF))
        return int(rows[0][0]) if rows else None

    def lock_info(self, target: str) -> LockHolder | None:
        session = self._holder_session(target)
        if session is None:
            return None
        rows = self._fetch(
            "SELECT host, pid, since, username, operation FROM locks WHERE target = ? AND backend_pid = ?",
            (target, session),
        )
        if not rows:  # the holder has the lock but has not written its record yet
            return LockHolder(host="", pid=0, since="", backend_pid=session)
        host, pid, since, user, operation = rows[0]
        return LockHolder(host, pid, since, user, operation, backend_pid=session)

    @contextmanager
    def _lock(self, target: str, timeout: float, holder: LockHolder) -> Iterator[None]:
        key = advisory_key(target)
        conn = self._connect()
        try:
            deadline = time.monotonic() + max(timeout, 0.0)
            while not self._run(conn, "SELECT pg_try_advisory_lock(%s)", (key,)).fetchall()[0][0]:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise LockError(lock_refusal(target, self.lock_info(target), timeout, _HINT))
                time.sleep(min(POLL_SECONDS, remaining))
            mine = replace(holder, since=utc_now(), backend_pid=conn.info.backend_pid)
            self._run(
                conn,
                """INSERT INTO locks (target, host, pid, since, username, operation, backend_pid)
                VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (target) DO UPDATE SET
                host = excluded.host, pid = excluded.pid, since = excluded.since, username = excluded.username,
                operation = excluded.operation, backend_pid = excluded.backend_pid""",
                (target, mine.host, mine.pid, mine.since, mine.user, mine.operation, mine.backend_pid),
            )

            def still_held() -> None:
                self._on_session(target, conn, "SELECT 1", ())  # one round trip on the lock's session

            self._sessions[target] = conn
            try:
                with self._holding(target, still_held):
                    yield
            finally:
                del self._sessions[target]
                try:
                    with self._mutex:
                        conn.execute(
                            "DELETE FROM locks WHERE target = %s AND backend_pid = %s",
                            (target, mine.backend_pid),
                        )
                        conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
                except psycopg.Error:
                    pass  # the session is gone (server restart, force-unlock): its lock went with it
        finally:
            conn.close()

    def _on_session(self, target: str, conn: Connection, sql: str, params: Sequence[Any]) -> int:
        """One statement on the session holding the target's lock: it runs under the lock, or raises
        LockLostError."""
        with self._mutex:
            return self._run(conn, sql, params, lock_of=target).rowcount

    def _write(self, target: str, sql: str, params: Sequence[Any]) -> int:
        # Under the lock, a record is written on the lock's session: it lands under the lock or fails.
        conn = self._sessions.get(target)
        if conn is None:
            return super()._write(target, sql, params)
        return self._on_session(target, conn, sql, params)

    def lock(self, target: str, *, timeout: float, holder: LockHolder) -> AbstractContextManager[None]:
        return self._lock(target, timeout, holder)

    def force_unlock(self, target: str) -> bool:
        """End the session holding the target's lock; True if there was one. Clears stale holder rows."""
        session = self._holder_session(target)
        if session is None:
            self._execute("DELETE FROM locks WHERE target = ?", (target,))
            return False
        try:
            with self._mutex:
                ended = self._conn.execute("SELECT pg_terminate_backend(%s)", (session,)).fetchall()[0][0]
        except errors.InsufficientPrivilege as exc:
            raise LockError(
                f"cannot break the lock on {target}: PostgreSQL refused to end session {session} "
                f"({_one_line(exc, self._password)}). Ending another role's session takes a superuser or "
                f"membership in pg_signal_backend; ask the database administrator to run "
                f"SELECT pg_terminate_backend({session})."
            ) from None
        if not ended:
            raise LockError(f"cannot break the lock on {target}: PostgreSQL session {session} did not end")
        deadline = time.monotonic() + TERMINATE_WAIT_SECONDS
        while self._holder_session(target) == session and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS / 2)
        self._execute("DELETE FROM locks WHERE target = ? AND backend_pid = ?", (target, session))
        return True

    def close(self) -> None:
        with self._mutex:
            self._conn.close()
