"""Scaffolding shared by the benchmarks that drive `smartlive` and its emulator as subprocesses.

Not a benchmark itself. The scripts beside it are run as `python benchmarks/X.py`, so each one puts this
directory on sys.path before `from _common import ...`.

What a benchmark measures (rule shapes, room ids, emulator options, manifest layout) stays in its own
script; this module only starts processes, writes files and talks to the emulator's test controls.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AK, SK, PROJECT = "bench-ak", "bench-sk-0000", "bench-project"
"""The credentials and project of the emulators that apply_scale.py and plan_scale.py start."""

ENV: dict[str, str] = {
    **os.environ,
    "HUAWEICLOUD_SDK_AK": AK,
    "HUAWEICLOUD_SDK_SK": SK,
    "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT,
    "NO_COLOR": "1",
}
"""The environment of every smartlive subprocess: AK, SK and PROJECT, and none of the user's settings."""
for _name in (
    "SMARTLIVE_STATE",
    "SMARTLIVE_LOCAL",
    "SMARTLIVE_AUTH_TOKEN",
    "SMARTLIVE_ENDPOINT",
    "SMARTLIVE_RATE_LIMITS",
    # A user's smartlive runs from compiled bytecode (pip compiles it at install, and Python caches it on
    # first import); a shell that forbids writing it (as this workplace's does) would have every run
    # compile ~90 modules again, 0.1 s that no user pays.
    "PYTHONDONTWRITEBYTECODE",
):
    ENV.pop(_name, None)

SMARTLIVE = (sys.executable, "-m", "reconciler")
"""The smartlive CLI, as this interpreter runs it."""


def group_name(i: int) -> str:
    return f"bench-group-{i:05d}"


def write_manifest(
    path: Path, kind: str, name: str, spec: dict[str, Any], *, indent: int | None = None
) -> None:
    """One smartlive/v1 resource in one file (JSON, which is YAML too)."""
    document = {"apiVersion": "smartlive/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=indent), encoding="utf-8")


def write_seed(path: Path, room_ids: Iterable[str]) -> Path:
    """An emulator --seed file creating one room per id, named `bench room N`."""
    lines = ["rooms:"]
    for i, room_id in enumerate(room_ids):
        lines += [f"  - room_id: {room_id}", f"    room_name: bench room {i}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class Emulator:
    """A running `smartlive emulator serve` and its test controls (/_emulator/...)."""

    url: str
    process: subprocess.Popen[str]

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call /_emulator/{path}; the decoded JSON answer."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/_emulator/{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read() or b"{}")

    def requests(self) -> dict[str, int]:
        """API requests served since the last reset, by "METHOD path template"."""
        return dict(self.control("GET", "stats")["requests"])

    def reset_stats(self) -> None:
        self.control("POST", "stats/reset")

    def set_latency(self, ms: int) -> None:
        self.control("POST", "faults", {"latency_ms": ms})


@contextmanager
def emulator(
    *,
    credentials: tuple[str, str, str] | None = None,
    latency_ms: int | None = None,
    start_delay: float | None = None,
    rate_limits: bool = True,
    seed: Path | None = None,
    data: Path | None = None,
    env: Mapping[str, str] | None = None,
    quiet: bool = True,
) -> Iterator[Emulator]:
    """`smartlive emulator serve --port 0` in a subprocess, stopped on exit.

    Each option left at None is the server's default; `credentials` is (ak, sk, project id). `env` None
    inherits this process's environment; `quiet` sends the server's stderr to /dev/null.
    """
    command = [*SMARTLIVE, "emulator", "serve", "--port", "0"]
    if credentials is not None:
        ak, sk, project = credentials
        command += ["--ak", ak, "--sk", sk, "--project-id", project]
    if latency_ms is not None:
        command += ["--latency-ms", str(latency_ms)]
    if start_delay is not None:
        command += ["--start-delay", f"{start_delay:g}"]
    if not rate_limits:
        command.append("--no-rate-limits")
    if seed is not None:
        command += ["--seed", str(seed)]
    if data is not None:
        command += ["--data", str(data)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if quiet else None,
        text=True,
        env=None if env is None else dict(env),
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()  # the server prints its base URL first
        if not url.startswith("http"):
            raise SystemExit(f"the emulator did not start: {url!r}")
        yield Emulator(url, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Run:
    """A finished smartlive subprocess."""

    code: int
    seconds: float
    cpu_seconds: float
    """Its user + system CPU time."""
    out: str
    err: str


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def smartlive(workdir: Path, *argv: str, env: Mapping[str, str] | None = None) -> Run:
    """Run `smartlive ARGV` in `workdir` with `env` (default ENV), as a user runs it; wall and CPU time
    included. An `env` with another PYTHONPATH runs another checkout's CLI (a before/after comparison)."""
    cpu = children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [*SMARTLIVE, *argv],
        cwd=workdir,
        env=dict(env) if env is not None else ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    return Run(done.returncode, seconds, children_cpu() - cpu, done.stdout, done.stderr)


def sdk_client(url: str) -> Any:
    """The official SDK's MetaStudioClient for `url`, with AK, SK and PROJECT."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkmetastudio.v1 import MetaStudioClient

    return (
        MetaStudioClient.new_builder()
        .with_credentials(BasicCredentials(AK, SK, PROJECT))
        .with_endpoints([url])
        .build()
    )
