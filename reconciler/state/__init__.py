"""The state store: what this tool applied, per target, and the lock that keeps applies one at a time.

    store = open_store(args.state, workdir=Path.cwd())
    with store.lock(target.key, timeout=30, holder=LockHolder.current("apply")):
        ...
        store.put(target.key, ManagedRecord(...), applied_by=whoami())

Backends: SQLite (default `.smartlive/state.db`, file locks) and PostgreSQL (advisory locks).
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.state.url import DEFAULT_PATH, parse_spec

if TYPE_CHECKING:
    from reconciler.state.base import (
        LockHolder,
        StateError,
        StateStore,
        StoredRecord,
        fingerprint,
        utc_now,
        whoami,
    )
    from reconciler.state.schema import SCHEMA_VERSION

# Every command registers `--state` at start-up through this package, so it must import fast: base.py
# (and schema.py, which builds on it) loads hashing, sockets and dates, on first use of these names instead.
_LAZY = {
    **dict.fromkeys(
        ("LockHolder", "StateError", "StateStore", "StoredRecord", "fingerprint", "utc_now", "whoami"),
        "reconciler.state.base",
    ),
    "SCHEMA_VERSION": "reconciler.state.schema",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_PATH",
    "SCHEMA_VERSION",
    "LockHolder",
    "StateError",
    "StateStore",
    "StoredRecord",
    "add_state_arguments",
    "fingerprint",
    "open_store",
    "utc_now",
    "whoami",
]


def open_store(spec: str | None, *, workdir: Path) -> StateStore:
    """None or "" -> SQLite at workdir/.smartlive/state.db; `sqlite:///path` or a file path -> SQLite there;
    `postgresql://...` / `postgres://...` -> PostgreSQL. Creates the schema on first use.

    Raises ConfigError (one line, no password) for a bad URL, an unreachable server or refused login.
    """
    parsed = parse_spec(spec, workdir)
    if parsed.postgres_url is not None:
        from reconciler.state.postgres import PostgresStore  # psycopg loads only when it is used

        return PostgresStore(parsed.postgres_url)
    from reconciler.state.sqlite import SqliteStore

    assert parsed.sqlite_path is not None
    return SqliteStore(parsed.sqlite_path, synchronous=parsed.synchronous)


def add_state_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state",
        metavar="URL",
        help="state store: a file path or sqlite:///path, or postgresql://user@host/db "
        f"(default: the --env environment's, else SMARTLIVE_STATE, else {DEFAULT_PATH})",
    )
