"""The embedded emulator of `--local` mode: the app in-process, state kept in a SQLite file.

    app = local_app(Path(".smartlive/emulator.db"))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=LOCAL_BASE_URL)

Each CLI process opens the file anew (a few milliseconds); job lifecycles are derived from stored
timestamps, so a job started by one command is PROCESSING for the next. Keep ASGITransport's default
raise_app_exceptions=True: an emulated dropped connection then reaches the client as httpx.RemoteProtocolError.

Callbacks (reactions.py): in-process there is no server left to deliver them once the CLI exits, so the
answer to a live-event-report waits for the callbacks under way, at most LOCAL_CALLBACK_WAIT seconds in all;
any still running after that are best-effort (recorded as failed if the process ends first).
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from reconciler.emulator.app import create_app
from reconciler.emulator.callbacks_out import CALLBACK_TIMEOUT, Deliverer
from reconciler.emulator.config import DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK, EmulatorConfig

LOCAL_AK = DEFAULT_AK
LOCAL_SK = DEFAULT_SK
LOCAL_PROJECT_ID = DEFAULT_PROJECT_ID
#: Any host works in-process; this one names what it is in URLs the emulator hands out.
LOCAL_BASE_URL = "http://smartlive-local"
#: The longest a live-event-report answer waits for its callbacks in-process (one delivery's timeout).
LOCAL_CALLBACK_WAIT = CALLBACK_TIMEOUT


def local_config(data_path: Path | None, seed_path: Path | None = None) -> EmulatorConfig:
    return EmulatorConfig(
        ak=LOCAL_AK, sk=LOCAL_SK, project_id=LOCAL_PROJECT_ID, data_path=data_path, seed_path=seed_path
    )


def local_app(data_path: Path | str | None, *, seed_path: Path | None = None) -> Starlette:
    """The in-process emulator over `data_path` (created with its parent directory if missing)."""
    path = Path(data_path) if data_path is not None else None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    app = create_app(local_config(path, seed_path))
    app.add_middleware(_WaitForCallbacks, deliverer=app.state.emulator.reactions.deliverer)
    return app


class _WaitForCallbacks:
    """After a live-event-report, wait (bounded) for the callbacks it started: see the module docstring."""

    def __init__(self, app: ASGIApp, deliverer: Deliverer) -> None:
        self.app = app
        self.deliverer = deliverer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        path = str(scope.get("path", "")) if scope["type"] == "http" else ""
        if path.endswith("/live-event-report") and self.deliverer.pending():
            await self.deliverer.drain(timeout=LOCAL_CALLBACK_WAIT)
