"""One apply per target: a second process is refused (naming the holder) or waits; a killed holder's
lock is released by the OS (file lock) or the server (advisory lock). Both backends."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path

import psycopg
import pytest

from reconciler.errors import LockError
from reconciler.resources import Address, ManagedRecord
from reconciler.state import LockHolder, open_store
from tests.state.conftest import Spawn, wait_for
from tests.state.pg_server import PgServer

T1 = "https://metastudio.cn-north-4.myhuaweicloud.com|p1"
T2 = "https://metastudio.cn-north-4.myhuaweicloud.com|p2"


def me() -> LockHolder:
    return LockHolder.current("apply")


def test_while_another_process_holds_the_lock(store_url: str, tmp_path: Path, spawn: Spawn) -> None:
    store = open_store(store_url, workdir=tmp_path)
    holder = spawn(store_url, T1, "lock")
    pid = int(wait_for(holder, "LOCKED").split()[1])

    # Refused at once (timeout 0 tries once), naming the holder: host, pid, since.
    started = time.monotonic()
    with pytest.raises(LockError) as refused, store.lock(T1, timeout=0, holder=me()):
        pass
    assert time.monotonic() - started < 5
    message = str(refused.value)
    assert f"pid {pid} on host {socket.gethostname()} since 20" in message
    assert T1 in message and "waiting" not in message
    info = store.lock_info(T1)
    assert info is not None and info.pid == pid and info.host == socket.gethostname()

    # A timeout waits, then gives up with the same message.
    started = time.monotonic()
    with (
        pytest.raises(LockError, match=r"still held after waiting 0\.6s"),
        store.lock(T1, timeout=0.6, holder=me()),
    ):
        pass
    assert 0.5 < time.monotonic() - started < 5

    # Another target is independent.
    with store.lock(T2, timeout=0, holder=me()):
        assert store.lock_info(T2) is not None

    # Reads and writes take no lock: plan runs beside an apply.
    started = time.monotonic()
    store.put(T1, ManagedRecord(Address("InteractionRuleGroup", "a"), "g-1"), applied_by="x")
    assert list(store.records(T1)) == [Address("InteractionRuleGroup", "a")]
    assert time.monotonic() - started < 5
    store.close()


def test_a_waiting_process_gets_the_lock_when_the_holder_releases(
    store_url: str, tmp_path: Path, spawn: Spawn
) -> None:
    store = open_store(store_url, workdir=tmp_path)
    holder = spawn(store_url, T1, "lock")
    wait_for(holder, "LOCKED")
    assert holder.stdin is not None
    threading.Timer(0.5, holder.stdin.close).start()  # the holder lets go in half a second
    started = time.monotonic()
    with store.lock(T1, timeout=20, holder=me()):
        waited = time.monotonic() - started
        assert wait_for(holder, "RELEASED")
    assert 0.3 < waited < 15
    assert store.lock_info(T1) is None
    store.close()


def test_a_killed_holder_releases_the_lock(store_url: str, tmp_path: Path, spawn: Spawn) -> None:
    store = open_store(store_url, workdir=tmp_path)
    holder = spawn(store_url, T1, "lock")
    wait_for(holder, "LOCKED")
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=10)
    with store.lock(T1, timeout=10, holder=me()):
        info = store.lock_info(T1)
        assert info is not None and info.pid == os.getpid()  # our record, not the dead holder's
    store.close()


def test_lock_is_released_when_the_body_raises(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url, workdir=tmp_path)
    with pytest.raises(RuntimeError), store.lock(T1, timeout=0, holder=me()):
        raise RuntimeError("apply failed")
    assert store.lock_info(T1) is None
    with store.lock(T1, timeout=0, holder=me()):
        pass
    store.close()


def test_sqlite_force_unlock_cannot_break_a_live_file_lock(tmp_path: Path, spawn: Spawn) -> None:
    url = str(tmp_path / "state.db")
    store = open_store(url, workdir=tmp_path)
    holder = spawn(url, T1, "lock")
    pid = int(wait_for(holder, "LOCKED").split()[1])
    with pytest.raises(LockError, match=rf"pid {pid} .*cannot be broken from outside.*kill {pid}"):
        store.force_unlock(T1)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=10)
    # The OS freed the lock; only the dead holder's record remains, and force_unlock clears it.
    assert store.lock_info(T1) is None
    assert store.force_unlock(T1) is True
    assert store.force_unlock(T1) is False
    store.close()


def test_postgres_force_unlock_ends_the_holding_session(pg_url: str, tmp_path: Path, spawn: Spawn) -> None:
    store = open_store(pg_url, workdir=tmp_path)
    holder = spawn(pg_url, T1, "lock")
    wait_for(holder, "LOCKED")
    info = store.lock_info(T1)
    assert info is not None and info.backend_pid
    assert store.force_unlock(T1) is True
    with store.lock(T1, timeout=5, holder=me()):
        pass
    assert store.force_unlock(T1) is False
    store.close()


def test_postgres_force_unlock_says_why_when_not_permitted(
    pg_server: PgServer, pg_url: str, tmp_path: Path, spawn: Spawn
) -> None:
    store = open_store(pg_url, workdir=tmp_path)  # creates the schema as the superuser
    dbname = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO limited")
    holder = spawn(pg_url, T1, "lock")  # a superuser session holds the lock
    wait_for(holder, "LOCKED")
    limited = open_store(pg_server.url(dbname, user="limited"), workdir=tmp_path)
    with pytest.raises(LockError, match=r"PostgreSQL refused to end session \d+ .*pg_terminate_backend"):
        limited.force_unlock(T1)
    assert store.lock_info(T1) is not None  # still held
    limited.close()
    store.close()
