"""The embedded emulator of `--local` mode: the app in-process, state kept in a SQLite file.

    app = local_app(Path(".smartlive/emulator.db"))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=LOCAL_BASE_URL)

Each CLI process opens the file anew (a few milliseconds); job lifecycles are derived from stored
timestamps, so a job started by one command is PROCESSING for the next. Keep ASGITransport's default
raise_app_exceptions=True: an emulated dropped connection then reaches the client as httpx.RemoteProtocolError.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from reconciler.emulator.app import create_app
from reconciler.emulator.config import DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK, EmulatorConfig

LOCAL_AK = DEFAULT_AK
LOCAL_SK = DEFAULT_SK
LOCAL_PROJECT_ID = DEFAULT_PROJECT_ID
#: Any host works in-process; this one names what it is in URLs the emulator hands out.
LOCAL_BASE_URL = "http://smartlive-local"


def local_config(data_path: Path | None, seed_path: Path | None = None) -> EmulatorConfig:
    return EmulatorConfig(
        ak=LOCAL_AK, sk=LOCAL_SK, project_id=LOCAL_PROJECT_ID, data_path=data_path, seed_path=seed_path
    )


def local_app(data_path: Path | str | None, *, seed_path: Path | None = None) -> Starlette:
    """The in-process emulator over `data_path` (created with its parent directory if missing)."""
    path = Path(data_path) if data_path is not None else None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return create_app(local_config(path, seed_path))
