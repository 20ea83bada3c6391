"""How long each room is dark when `smartlive apply --allow-restart` restarts many live jobs, one run.

    .venv/bin/python benchmarks/restart_dark_time.py [--rooms 30] [--latency-ms 700] [--before DIR]

30 rooms each run a job; every job's video_config changes (bitrate 4000 -> 5000), so every job must be
restarted; `smartlive apply --allow-restart --auto-approve` does it with 700 ms of latency on every request
and the emulator's StartSmartLive limit on (4/s, the cn-north-4 tenant limit).

A room is dark from the moment its old job ends to the moment its new job starts, both read from the
emulator's own clock in milliseconds (GET /_emulator/jobs/{job_id}: times_ms.ended of the old job,
times_ms.processing of the new one; the emulator starts jobs with no WAITING delay here). Printed: the dark
time per room (median and max) and the apply's wall time, beside the floor (a stop's answer, then a start
sent at once: one request's latency) and, with `--before DIR`, beside another checkout's CLI measured in
the same run, as ratios.

`--before DIR` runs that checkout's `smartlive` (PYTHONPATH=DIR), e.g. the commit before live-safe apply:

    git archive 200fac1 | tar -x -C /tmp/before
    .venv/bin/python benchmarks/restart_dark_time.py --before /tmp/before

The emulator is always this checkout's (`smartlive emulator serve` in a subprocess: it has the times_ms the
figures need); only the CLI differs. Each variant gets a fresh emulator and state store. The setup (the 30
first starts) runs with no latency and no rate limit, and is not measured.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _common.py, beside this file

import _common
from _common import AK, ENV, PROJECT, SK, Emulator, Run, smartlive, write_manifest

ROOT = Path(__file__).resolve().parents[1]
#: The emulator's published limits, put back after the setup (which runs without them).
RATE_LIMITS = {"StartSmartLive": 4, "CreateSmartLiveRoom": 1, "UpdateSmartLiveRoom": 1}


def room_id(i: int) -> str:
    return f"00000000-0000-4000-8000-{i:012d}"


def write_jobs(root: Path, rooms: int, bitrate: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(rooms):
        spec = {
            "room_id": room_id(i),
            "state": "running",
            "video_config": {"codec": "H264", "bitrate": bitrate, "width": 1920, "height": 1080},
        }
        write_manifest(root / f"dark-job-{i:03d}.yaml", "SmartLiveJob", f"dark-job-{i:03d}", spec)
    return root


def env_for(checkout: Path) -> dict[str, str]:
    """ENV with `checkout` first on PYTHONPATH: its `python -m reconciler` is the one that runs."""
    return {**ENV, "PYTHONPATH": os.pathsep.join([str(checkout), *_others(ENV.get("PYTHONPATH", ""))])}


def _others(pythonpath: str) -> list[str]:
    """The PYTHONPATH entries that are not a smartlive checkout (one would shadow the other)."""
    return [p for p in pythonpath.split(os.pathsep) if p and not (Path(p) / "reconciler").is_dir()]


def must(run: Run, what: str) -> Run:
    if run.code != 0:
        sys.exit(f"{what} failed (exit {run.code}):\n{run.out[-3000:]}\n{run.err[-3000:]}")
    return run


def all_jobs(url: str) -> list[dict[str, Any]]:
    """Every job of the project, ended ones included, each with the emulator's times_ms."""
    import httpx

    from reconciler.cloud.auth import SdkHmacAuth
    from reconciler.cloud.config import Credentials

    listed: list[dict[str, Any]] = []
    auth = SdkHmacAuth(Credentials(AK, SK), PROJECT)
    with httpx.Client(base_url=url, auth=auth, timeout=60) as client:
        while True:
            page = client.get(f"/v1/{PROJECT}/smart-live-jobs", params={"offset": len(listed), "limit": 100})
            page.raise_for_status()
            body = page.json()
            listed += body["smart_live_jobs"]
            if not body["smart_live_jobs"] or len(listed) >= body["count"]:
                break
        out = []
        for job in listed:
            record = httpx.get(f"{url}/_emulator/jobs/{job['job_id']}", timeout=60)
            record.raise_for_status()
            out.append(record.json())
    return out


def dark_times(jobs: list[dict[str, Any]]) -> list[float]:
    """Seconds each room was dark: its new job's start minus its old job's end."""
    by_room: dict[str, list[dict[str, Any]]] = {}
    for job in jobs:
        by_room.setdefault(job["room_id"], []).append(job)
    out = []
    for room, pair in sorted(by_room.items()):
        old = [j for j in pair if j["times_ms"]["ended"] is not None]
        new = [j for j in pair if j["times_ms"]["ended"] is None]
        if len(old) != 1 or len(new) != 1:
            sys.exit(f"room {room}: expected one ended and one running job, found {len(old)} and {len(new)}")
        out.append((new[0]["times_ms"]["processing"] - old[0]["times_ms"]["ended"]) / 1000)
    return out


@dataclass
class Figures:
    label: str
    dark: list[float]
    wall: float

    @property
    def median(self) -> float:
        return statistics.median(self.dark)

    @property
    def worst(self) -> float:
        return max(self.dark)


def measure(tmp: Path, label: str, checkout: Path, rooms: int, latency_ms: int) -> Figures:
    """One variant: a fresh emulator and store, the jobs started, then all of them restarted."""
    workdir = tmp / label.replace(" ", "-")
    workdir.mkdir()
    manifests = workdir / "manifests"
    env = env_for(checkout)
    seed = _common.write_seed(workdir / "seed.yaml", (room_id(i) for i in range(rooms)))
    with _common.emulator(credentials=(AK, SK, PROJECT), start_delay=0, seed=seed, env=env_for(ROOT)) as emu:
        _setup(emu, workdir, write_jobs(manifests, rooms, 4000), env)
        write_jobs(manifests, rooms, 5000)
        emu.control("POST", "faults", {"latency_ms": latency_ms, "rate_limits": RATE_LIMITS})
        run = smartlive(
            workdir,
            "apply",
            str(manifests),
            "--endpoint",
            emu.url,
            "--auto-approve",
            "--allow-restart",
            env=env,
        )
        must(run, f"{label}: apply --allow-restart")
        if f"{rooms} restarted" not in run.out:
            sys.exit(f"{label}: not every job was restarted:\n{run.out[-3000:]}")
        emu.set_latency(0)
        dark = dark_times(all_jobs(emu.url))
    return Figures(label, dark, run.seconds)


def _setup(emu: Emulator, workdir: Path, manifests: Path, env: dict[str, str]) -> None:
    """The first jobs, at full speed: no latency, no limit (put back by the caller)."""
    emu.control("POST", "faults", {"latency_ms": 0, "rate_limits": {}})
    args = ("apply", str(manifests), "--endpoint", emu.url, "--auto-approve", "--start-rate", "1000")
    must(smartlive(workdir, *args, env=env), "setup apply")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rooms", type=int, default=30)
    parser.add_argument("--latency-ms", type=int, default=700)
    parser.add_argument(
        "--before", type=Path, metavar="DIR", help="another checkout's CLI to compare with (PYTHONPATH=DIR)"
    )
    args = parser.parse_args()
    floor = args.latency_ms / 1000
    print(
        f"Restarting {args.rooms} live jobs (video_config changed), apply --allow-restart, {args.latency_ms} ms "
        f"latency, StartSmartLive limited to {RATE_LIMITS['StartSmartLive']}/s"
    )
    print("dark time per room: old job ended -> new job started (emulator clock)")
    with tempfile.TemporaryDirectory(prefix="smartlive-dark-bench-") as name:
        tmp = Path(name)
        variants = []
        if args.before is not None:
            variants.append(measure(tmp, "before", args.before.resolve(), args.rooms, args.latency_ms))
        variants.append(measure(tmp, "this checkout", ROOT, args.rooms, args.latency_ms))
    print(f"    {'':<34} {'median':>8} {'max':>8} {'apply wall':>11}")
    print(f"    {'floor: one request latency':<34} {floor:7.2f}s {floor:7.2f}s")
    for figures in variants:
        label = f"{figures.label} ({args.before})" if figures.label == "before" else figures.label
        print(
            f"    {label:<34} {figures.median:7.2f}s {figures.worst:7.2f}s {figures.wall:10.2f}s"
            f"   {figures.median / floor:4.1f}x / {figures.worst / floor:4.1f}x the floor"
        )
    if len(variants) == 2:
        before, after = variants
        print(
            f"    this checkout against before: median dark time {before.median / after.median:.1f}x "
            f"shorter, max {before.worst / after.worst:.1f}x shorter, apply wall "
            f"{after.wall / before.wall:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
