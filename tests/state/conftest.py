"""Fixtures: one PostgreSQL cluster per test session (per xdist worker), a fresh database per test,
and a `store_url` that runs the contract tests against both backends."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.state.pg_server import PgServer, start_server

HOLDER_SCRIPT = Path(__file__).with_name("holder.py")
BACKENDS = ["sqlite", "postgresql"]
#: Starts tests/state/holder.py with the given arguments.
Spawn = Callable[..., "subprocess.Popen[str]"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    # No skip when PostgreSQL is missing: start_server raises, and every PostgreSQL test fails.
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    return pg_server.new_database()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "state.db")
    url: str = request.getfixturevalue("pg_url")
    return url


def raw_query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run SQL beside the store, as an operator with a database shell would."""
    if url.startswith("postgresql://"):
        with psycopg.connect(url, autocommit=True) as conn:
            cur = conn.execute(sql.replace("?", "%s"), params)
            return cur.fetchall() if cur.description is not None else []
    with sqlite3.connect(url, isolation_level=None) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Start tests/state/holder.py; every process started is killed at the end of the test."""
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, str(HOLDER_SCRIPT), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def wait_for(proc: subprocess.Popen[str], word: str) -> str:
    """The holder's next line, which must start with `word` (else show why it failed)."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith(word):
        proc.kill()
        _, err = proc.communicate(timeout=10)
        raise AssertionError(f"holder printed {line!r}, expected {word}; stderr:\n{err}")
    return line.strip()
