"""The store's schema, shared by both backends, and how it moves forward.

`MIGRATIONS[i]` takes a store from version i to i+1; the version lives in `meta` under `schema_version`.
Append a function to change the schema, never edit a released one: stores in the field ran it already.
The SQL is the common subset of SQLite and PostgreSQL (TEXT everywhere; JSON kept as TEXT) so one list
serves both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reconciler.errors import ConfigError
from reconciler.state.base import corrupt, excerpt

#: Runs one statement (placeholders written `?`) inside the migration transaction; returns its rows.
Run = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]

VERSION_KEY = "schema_version"
HMAC_KEY = "hmac_key"

CREATE_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


def _v1(run: Run) -> None:
    run(
        """CREATE TABLE resources (
            target TEXT NOT NULL,
            address TEXT NOT NULL,
            kind TEXT NOT NULL,
            remote_id TEXT NOT NULL,
            room_id TEXT NOT NULL DEFAULT '',
            fingerprint TEXT NOT NULL DEFAULT '',
            field_fingerprints TEXT NOT NULL DEFAULT '{}',
            update_time TEXT NOT NULL DEFAULT '',
            applied_at TEXT NOT NULL,
            applied_by TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (target, address)
        )""",
        (),
    )
    # Who holds a target's lock. Only PostgreSQL uses it (SQLite writes the holder into the lock file);
    # the lock itself is the advisory lock, so a row whose session is gone is just stale information.
    run(
        """CREATE TABLE locks (
            target TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            since TEXT NOT NULL,
            username TEXT NOT NULL DEFAULT '',
            operation TEXT NOT NULL DEFAULT '',
            backend_pid INTEGER NOT NULL DEFAULT 0
        )""",
        (),
    )


def _v2(run: Run) -> None:
    # Stacks (docs/stacks.md): the stack that owns each record. Records written before stacks get ''
    # (no stack): a stack that declares one takes it over; none prunes one it does not declare.
    run("ALTER TABLE resources ADD COLUMN stack TEXT NOT NULL DEFAULT ''", ())


MIGRATIONS: tuple[Callable[[Run], None], ...] = (_v1, _v2)
SCHEMA_VERSION = len(MIGRATIONS)


def read_version(run: Run, location: str) -> int:
    rows = run("SELECT value FROM meta WHERE key = ?", (VERSION_KEY,))
    if not rows:
        return 0
    try:
        version = int(rows[0][0])
    except (ValueError, TypeError):
        raise corrupt(location, f"its schema_version {excerpt(rows[0][0])} is not a number") from None
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"state store {location} has schema version {version}, newer than this smartlive knows "
            f"({SCHEMA_VERSION}): it was written by a newer smartlive. Upgrade smartlive to use it; "
            "an older one will not touch it."
        )
    return version


def migrate(run: Run, location: str) -> None:
    """Bring the schema to SCHEMA_VERSION. The caller holds the backend's writer lock around it."""
    run(CREATE_META, ())
    version = read_version(run, location)
    for step in MIGRATIONS[version:]:
        step(run)
    if version != SCHEMA_VERSION:
        run(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (VERSION_KEY, str(SCHEMA_VERSION)),
        )
