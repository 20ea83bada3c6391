"""What the apply tests share: generated manifests, an emulator over a socket with seeded rooms, a project
(manifests + state store) that runs the real CLI in-process or as a subprocess, and readers of the
emulator's state that page through everything.

Projects can share one emulator: each names its groups and rooms with its own prefix, and every check
reads only its own namespace, so a test can run many of them at once.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from reconciler.cloud.auth import SdkHmacAuth
from reconciler.cloud.config import Credentials
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import running_emulator
from reconciler.resources import Address, ManagedRecord
from tests.cli_runner import Result, run_cli

AK, SK, PROJECT = "apply-ak", "apply-sk-0000000000", "apply-project"
HERE = Path(__file__).resolve().parent
#: Runs the CLI and SIGKILLs it right after its k-th mutating response (see crashing_cli.py).
CRASHING_CLI = HERE / "crashing_cli.py"
CREDENTIALS_ENV = {
    "HUAWEICLOUD_SDK_AK": AK,
    "HUAWEICLOUD_SDK_SK": SK,
    "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT,
    "NO_COLOR": "1",
}
GROUPS_PATH = f"/v1/{PROJECT}/smart-live-interaction-rule-groups"
JOBS_PATH = f"/v1/{PROJECT}/smart-live-jobs"
Asgi = Callable[
    [dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]


def room_id(namespace: int, i: int) -> str:
    return f"{namespace:08x}-0000-4000-8000-{i:012d}"


def group_manifest(name: str, priority: int = 10) -> dict[str, Any]:
    return {
        "apiVersion": "smartlive/v1",
        "kind": "InteractionRuleGroup",
        "metadata": {"name": name},
        "spec": {
            "interaction_rules": [
                {
                    "rule_name": "price",
                    "enabled": True,
                    "event_type": 1,
                    "hit_condition": {
                        "relation": "AND",
                        "priority": priority,
                        "tags": [{"tag": "content", "operation": "NONE", "match": "REGEX", "value": "价格"}],
                    },
                    "trigger": {
                        "time_window": 10,
                        "reply_mode": "SYSTEM_REPLY",
                        "reply_texts": [f"{name}: 见链接"],
                    },
                }
            ]
        },
    }


def job_manifest(name: str, room: str, bitrate: int = 4000) -> dict[str, Any]:
    return {
        "apiVersion": "smartlive/v1",
        "kind": "SmartLiveJob",
        "metadata": {"name": name},
        "spec": {
            "room_id": room,
            "state": "running",
            "video_config": {"codec": "H264", "bitrate": bitrate, "width": 1920, "height": 1080},
            "output_urls": ["rtmp://push.example.com/live"],
            "stream_keys": ["${env:APPLY_TEST_STREAM_KEY}"],
        },
    }


def write_seed(path: Path, rooms: Iterable[str]) -> Path:
    lines = ["rooms:"] + [f"  - room_id: {r}\n    room_name: room {r[-4:]}" for r in rooms]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Throttle429:
    """ASGI middleware: the gateway answers 429 APIGW.0308 to a share of the API requests, before the
    service sees them (the emulator's own faults throttle by rate only). Seeded, and counted."""

    def __init__(self, app: Asgi, rate: float, seed: int) -> None:
        self.app = app
        self.rate = rate
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.refused = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/") and self.rate > 0:
            with self.lock:
                refuse = self.random.random() < self.rate
                self.refused += refuse
            if refuse:
                body = json.dumps(
                    {
                        "error_code": "APIGW.0308",
                        "error_msg": "The throttling threshold has been reached: policy user over ratelimit,limit:1,time:1 second",
                    }
                ).encode()
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send({"type": "http.response.start", "status": 429, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


@dataclass
class Emulator:
    url: str
    throttle: Throttle429 | None = None

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, self.url + path, json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def faults(self, **settings: Any) -> None:
        self.control("POST", "/_emulator/faults", settings)

    def requests(self) -> dict[str, int]:
        return dict(self.control("GET", "/_emulator/stats")["requests"])

    def mutating(self) -> int:
        return sum(n for key, n in self.requests().items() if not key.startswith("GET "))

    def count(self, prefix: str) -> int:
        return sum(n for key, n in self.requests().items() if key.startswith(prefix))

    def signed(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=SdkHmacAuth(Credentials(AK, SK), PROJECT), timeout=30)

    def _all(self, path: str, key: str, params: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        with self.signed() as client:
            while True:
                page = client.get(path, params={**(params or {}), "offset": len(items), "limit": 100})
                page.raise_for_status()
                body = page.json()
                items.extend(body[key])
                if not body[key] or len(items) >= body["count"]:
                    return items

    def groups(self) -> list[dict[str, Any]]:
        return self._all(GROUPS_PATH, "interaction_rule_groups")

    def active_jobs(self) -> list[dict[str, Any]]:
        return self._all(JOBS_PATH, "smart_live_jobs", {"state": "WAITING,PROCESSING"})


@contextmanager
def emulator(
    tmp: Path,
    rooms: Iterable[str] = (),
    *,
    rate_limits: Mapping[str, int] | None = None,
    fault_seed: int | None = None,
    throttle_rate: float = 0.0,
    throttle_seed: int = 0,
) -> Iterator[Emulator]:
    """The emulator on a loopback socket in a thread (running_emulator, plus an optional 429 share)."""
    config = EmulatorConfig(
        ak=AK,
        sk=SK,
        project_id=PROJECT,
        seed_path=write_seed(tmp / "emulator-seed.yaml", rooms),
        start_delay=0.0,
        rate_limits=dict(rate_limits or {}),
        fault_seed=fault_seed,
    )
    throttles: list[Throttle429] = []

    def wrap(app: Any) -> Any:
        throttles.append(Throttle429(app, throttle_rate, throttle_seed))
        return throttles[0]

    with running_emulator(config, wrap=wrap if throttle_rate else None) as url:
        yield Emulator(url, throttles[0] if throttles else None)


@dataclass
class Project:
    """A manifest directory and a state store for one target, with a namespace of names and rooms."""

    root: Path
    url: str
    state: str = ""
    groups: list[str] = field(default_factory=list)
    jobs: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.state = self.state or str(self.root / "state.db")

    @property
    def manifests(self) -> Path:
        return self.root / "manifests"

    def declare(
        self,
        groups: Iterable[str],
        jobs: Mapping[str, str],
        *,
        priorities: Mapping[str, int] | None = None,
        bitrates: Mapping[str, int] | None = None,
    ) -> None:
        """(Re)write the manifests: these groups and jobs (name -> room), nothing else."""
        shutil.rmtree(self.manifests, ignore_errors=True)
        self.manifests.mkdir(parents=True)
        self.groups, self.jobs = list(groups), dict(jobs)
        for name in self.groups:
            doc = group_manifest(name, (priorities or {}).get(name, 10))
            (self.manifests / f"{name}.yaml").write_text(
                json.dumps(doc, ensure_ascii=False), encoding="utf-8"
            )
        for name, room in self.jobs.items():
            doc = job_manifest(name, room, (bitrates or {}).get(name, 4000))
            (self.manifests / f"{name}.yaml").write_text(json.dumps(doc), encoding="utf-8")

    def args(self, command: str, *extra: str) -> list[str]:
        return [command, str(self.manifests), "--endpoint", self.url, "--state", self.state, *extra]

    def apply_args(self, *extra: str) -> list[str]:
        return self.args("apply", "--auto-approve", *extra)

    def run(self, *argv: str) -> Result:
        """The CLI in this process (the environment must hold the credentials: see `cli_env`), in the
        project's directory as `spawn` runs it: the default stack is named after the working directory."""
        return run_cli(*argv, cwd=self.root)

    def spawn(self, argv: list[str], *, kill_after: int | None = None) -> subprocess.Popen[str]:
        """The CLI as its own process; with kill_after=k it SIGKILLs itself after its k-th write."""
        env = {**os.environ, **CREDENTIALS_ENV, "APPLY_TEST_STREAM_KEY": "sk-apply-test-0001"}
        if kill_after is not None:
            command = [sys.executable, str(CRASHING_CLI), *argv]
            env["SMARTLIVE_TEST_KILL_AFTER_MUTATIONS"] = str(kill_after)
        else:
            command = [sys.executable, "-m", "reconciler", *argv]
        return subprocess.Popen(
            command, cwd=self.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def target_key(self) -> str:
        return f"{self.url.rstrip('/')}|{PROJECT}"

    def records(self) -> dict[Address, ManagedRecord]:
        from reconciler.state import open_store

        store = open_store(self.state, workdir=self.root)
        try:
            return dict(store.records(self.target_key()))
        finally:
            store.close()


def cli_env(monkeypatch: Any) -> None:
    for name, value in CREDENTIALS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("APPLY_TEST_STREAM_KEY", "sk-apply-test-0001")
    monkeypatch.delenv("SMARTLIVE_STATE", raising=False)
    monkeypatch.delenv("SMARTLIVE_LOCAL", raising=False)
    monkeypatch.delenv("SMARTLIVE_STACK", raising=False)


def assert_converged(emu: Emulator, project: Project, prefix: str, *, prune: bool = False) -> None:
    """The emulator holds exactly what the project declares (in its namespace), the state store records
    each of it under its live id, and a plan finds nothing to do."""
    groups = [g for g in emu.groups() if g["group_name"].startswith(prefix)]
    names = sorted(g["group_name"] for g in groups)
    assert names == sorted(project.groups), f"groups: {names}"
    rooms = set(project.jobs.values())
    active = [j for j in emu.active_jobs() if j["room_id"] in rooms]
    assert sorted(j["room_id"] for j in active) == sorted(rooms), f"active jobs: {active}"

    records = project.records()
    by_name = {g["group_name"]: g["group_id"] for g in groups}
    by_room = {j["room_id"]: j["job_id"] for j in active}
    expected = {f"InteractionRuleGroup/{n}": by_name[n] for n in project.groups}
    expected |= {f"SmartLiveJob/{n}": by_room[r] for n, r in project.jobs.items()}
    assert {str(a): r.remote_id for a, r in records.items()} == expected

    plan = project.run(*project.args("plan", "--detailed-exitcode", *(["--prune"] if prune else [])))
    assert plan.code == 0, plan.text
    assert "No changes." in plan.out
