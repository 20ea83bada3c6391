"""What a `--state` value names, and that a printed location never shows a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.state.postgres import redact
from reconciler.state.url import parse_spec

WORK = Path("/work/dir")


@pytest.mark.parametrize(
    ("spec", "path", "synchronous"),
    [
        (None, WORK / ".smartlive/state.db", "normal"),
        ("", WORK / ".smartlive/state.db", "normal"),
        ("sqlite:///abs/path/s.db", Path("/abs/path/s.db"), "normal"),
        ("sqlite:///abs/s.db?synchronous=FULL", Path("/abs/s.db"), "full"),
        ("sqlite://rel/s.db", WORK / "rel/s.db", "normal"),
        ("team.db", WORK / "team.db", "normal"),
        ("/abs/team.db", Path("/abs/team.db"), "normal"),
    ],
)
def test_sqlite_specs(spec: str | None, path: Path, synchronous: str) -> None:
    parsed = parse_spec(spec, WORK)
    assert (parsed.sqlite_path, parsed.synchronous, parsed.postgres_url) == (path, synchronous, None)


@pytest.mark.parametrize("spec", ["postgresql://u@db.example/state", "postgres://u:pw@db:5433/state"])
def test_postgres_specs(spec: str) -> None:
    assert parse_spec(spec, WORK).postgres_url == spec


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mysql://db/x", "unsupported state store URL scheme 'mysql'"),
        ("sqlite://", "names no file"),
        ("sqlite:///x.db?journal=off", "unknown option 'journal'"),
    ],
)
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_spec(spec, WORK)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://ci:s3cr3t@db:5432/state", "postgresql://ci:***@db:5432/state"),
        (
            "postgres://ci@db/state?password=s3cr3t&sslmode=require",
            "postgres://ci@db/state?password=***&sslmode=require",
        ),
        ("postgresql://db/state", "postgresql://db/state"),
    ],
)
def test_redact(url: str, shown: str) -> None:
    assert redact(url) == shown
