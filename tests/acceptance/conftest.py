"""The whole CLI against the emulator: in-process (`--local`) and over a real socket.

A `Workspace` is a temporary project directory holding a copy of examples/, the secrets the example jobs
reference (as environment variables) and an empty emulator: the example rooms (examples/rooms/) are
created by apply, as the groups are, and the example jobs name them. `ws.run(...)` runs the real CLI
in-process and returns its exit code and output; `ws.api(...)` reads the emulator's state directly.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import running_emulator
from tests.cli_runner import Result, run_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
#: room_name of examples/rooms/flagship-store.yaml, the room SmartLiveJob/store-landscape runs in.
LANDSCAPE_ROOM_NAME = "flagship store (landscape)"
#: room_name of examples/rooms/evening-show.yaml, the room SmartLiveJob/evening-portrait runs in.
PORTRAIT_ROOM_NAME = "evening show (portrait)"
#: Secret values the example jobs reference. Tests assert none of them ever appears in any output.
SECRETS = {
    "LANDSCAPE_STREAM_KEY": "sk-landscape-8f2e4c1a9b",
    "PORTRAIT_STREAM_KEY": "sk-portrait-71c0d3e5aa",
    "LIVE_CALLBACK_KEY": "cbk-5e1d0a7f3c",
    "INTERACTION_CALLBACK_URL": "https://hooks.example.com/interact?token=tok-93ab17cd",
}
AK, SK, PROJECT = "acc-ak", "acc-sk-secret-0000", "acc-project"


@dataclass
class Workspace:
    root: Path
    base_url: str
    monkeypatch: pytest.MonkeyPatch
    outputs: list[str] = field(default_factory=list)

    @property
    def manifests(self) -> Path:
        return self.root / "examples"

    def run(self, *argv: str) -> Result:
        result = run_cli(*argv)
        self.outputs.append(result.text)
        return result

    def target(self) -> list[str]:
        return ["--endpoint", self.base_url]

    def api(self, method: str, path: str, **kw: Any) -> Any:
        """An emulator control call (/_emulator/...), unauthenticated from loopback."""
        response = httpx.request(method, self.base_url + path, timeout=10, **kw)
        response.raise_for_status()
        return response.json()

    def signed(self) -> httpx.Client:
        from reconciler.cloud.auth import SdkHmacAuth
        from reconciler.cloud.config import Credentials

        return httpx.Client(
            base_url=self.base_url, auth=SdkHmacAuth(Credentials(AK, SK), PROJECT), timeout=10
        )

    def groups(self) -> list[dict[str, Any]]:
        with self.signed() as client:
            body = client.get(
                f"/v1/{PROJECT}/smart-live-interaction-rule-groups", params={"limit": 100}
            ).json()
        return list(body["interaction_rule_groups"])

    def rooms(self) -> list[dict[str, Any]]:
        with self.signed() as client:
            body = client.get(f"/v1/{PROJECT}/smart-live-rooms", params={"limit": 100}).json()
        return list(body["smart_live_rooms"])

    def room_id(self, room_name: str) -> str:
        """The id of the one live room named `room_name` (apply created it: ids are the emulator's)."""
        ids = [r["room_id"] for r in self.rooms() if r["room_name"] == room_name]
        assert len(ids) == 1, f"{len(ids)} rooms are named {room_name!r}"
        return str(ids[0])

    def active_jobs(self) -> list[dict[str, Any]]:
        with self.signed() as client:
            body = client.get(
                f"/v1/{PROJECT}/smart-live-jobs", params={"limit": 100, "state": "WAITING,PROCESSING"}
            ).json()
        return list(body["smart_live_jobs"])

    def mutating_requests(self) -> int:
        """Requests that may change something: every one but GETs and the command that only reads a
        running job's configuration (GET_LIVE_JOB_CONFIG_INFO)."""
        stats = self.api("GET", "/_emulator/stats")
        posts = sum(n for key, n in stats["requests"].items() if not key.startswith("GET "))
        return int(posts - stats["commands"].get("GET_LIVE_JOB_CONFIG_INFO", 0))

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.manifests / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def drop_import(self, group: str) -> list[str]:
        """Remove the `- import: GROUP` entry from every example room that has one (as a user does
        before removing the group's manifest); the rooms' names, at least one."""
        entry = re.compile(rf"^ *- import: {re.escape(group)}(?: +#.*)?\n", re.MULTILINE)
        rooms = []
        for path in sorted((self.manifests / "rooms").glob("*.yaml")):
            text, count = entry.subn("", path.read_text(encoding="utf-8"))
            if count:
                path.write_text(text, encoding="utf-8")
                rooms.append(path.stem)
        assert rooms, f"no example room imports {group}"
        return rooms

    def state_bytes(self) -> bytes:
        db = self.root / ".smartlive" / "state.db"
        data = db.read_bytes() if db.exists() else b""
        with sqlite3.connect(db) as conn:  # WAL content too, by reading every row
            rows = conn.execute("SELECT * FROM resources").fetchall()
        return data + json.dumps(rows).encode()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT)
    monkeypatch.setenv("HOME", str(tmp_path))  # no stray ~/.huaweicloud/credentials
    monkeypatch.delenv("SMARTLIVE_STATE", raising=False)
    monkeypatch.delenv("SMARTLIVE_LOCAL", raising=False)
    monkeypatch.delenv("SMARTLIVE_STACK", raising=False)
    monkeypatch.delenv("SMARTLIVE_MARKDOWN_LIMIT", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)
    config = EmulatorConfig(ak=AK, sk=SK, project_id=PROJECT, start_delay=0.0, rate_limits={})
    with running_emulator(config) as base_url:
        yield Workspace(tmp_path, base_url, monkeypatch)
