"""What a `--state` value names. Kept free of I/O and of database drivers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from reconciler.errors import ConfigError

DEFAULT_PATH = Path(".smartlive") / "state.db"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True)
class StoreSpec:
    sqlite_path: Path | None = None
    synchronous: str = "normal"
    postgres_url: str | None = None


def parse_spec(spec: str | None, workdir: Path) -> StoreSpec:
    spec = (spec or "").strip()
    if not spec:
        return StoreSpec(sqlite_path=workdir / DEFAULT_PATH)
    match = _SCHEME.match(spec)
    if match is None:
        return StoreSpec(sqlite_path=_resolve(spec, workdir))
    scheme = match.group(1).lower()
    if scheme in ("postgresql", "postgres"):
        return StoreSpec(postgres_url=spec)
    if scheme != "sqlite":
        raise ConfigError(
            f"unsupported state store URL scheme {scheme!r}: use a file path, sqlite:///path or postgresql://..."
        )
    path, _, query = spec[match.end() :].partition("?")
    if not path:
        raise ConfigError(f"state store URL {spec!r} names no file: use sqlite:///absolute/path.db")
    options = parse_qs(query)
    unknown = set(options) - {"synchronous"}
    if unknown:
        raise ConfigError(f"unknown option {sorted(unknown)[0]!r} in state store URL {spec!r}")
    synchronous = options.get("synchronous", ["normal"])[-1].lower()
    return StoreSpec(sqlite_path=_resolve(path, workdir), synchronous=synchronous)


def _resolve(path: str, workdir: Path) -> Path:
    resolved = Path(path).expanduser()
    return resolved if resolved.is_absolute() else workdir / resolved
