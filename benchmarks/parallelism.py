"""How many requests in flight: `--parallelism` measured against the emulator, with and without the
service's limits in place, one run (issue 12, item 5: the default is chosen from these figures).

    .venv/bin/python benchmarks/parallelism.py [--levels 4,8,16,32] [--groups 1000] [--jobs 250]
        [--creates 500] [--limited-groups 200] [--read-rate 20] [--create-rate 10]

Every emulator is `smartlive emulator serve --port 0` in a subprocess with 30 ms of latency per request;
every smartlive command is the real CLI in a subprocess, so start-up and loading are inside each figure.
For each level of --parallelism:

  (1) unlimited cold plan: GROUPS rule groups and JOBS running jobs, a fresh state store (every group
      shown, every job's configuration read back, as benchmarks/plan_scale.py);
  (2) unlimited apply: CREATES rule groups created in an empty emulator;
  (3) limited cold plan: LIMITED_GROUPS groups and a quarter as many jobs, with every read operation of
      the plan limited to READ_RATE/s in the emulator (Huawei's "query APIs 10-20/s"), and smartlive NOT
      told the limits: it learns them from the gateway's 429 answers. Floor: the slowest operation's
      count / READ_RATE;
  (4) limited apply: CREATES / 5 creates with CreateInteractionRuleGroup limited to CREATE_RATE/s, again
      not told. Floor: count / CREATE_RATE.

Printed per level: the wall time of each case (the limited ones beside their floor), and the requests
beyond the least each case needs (the 429s it cost to learn the limit, plus any retry).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _common.py and plan_scale.py, beside this file

import _common
import plan_scale
from _common import AK, ENV, PROJECT, SK, Emulator, smartlive

LATENCY_MS = 30
#: The read operations a cold plan sends (ListSmartLiveJobs and the configuration read-back included).
READS = (
    "ListInteractionRuleGroups",
    "ShowInteractionRuleGroup",
    "ListSmartLiveJobs",
    "ExecuteSmartLiveCommand",
)


@dataclass(frozen=True)
class Figure:
    seconds: float
    extra_requests: int
    code: int


def _fresh_plan(emu: Emulator, workdir: Path, manifests: Path, ids: dict[str, str], level: int) -> Figure:
    least = sum(plan_scale.expected_requests(len(ids), _jobs_in(manifests)))
    state = workdir / f"fresh-{time.monotonic_ns()}.db"
    plan_scale.imported_store(state, emu.url, ids)
    emu.reset_stats()
    run = smartlive(workdir, "plan", str(manifests), "--endpoint", emu.url, "--state", str(state),
                    "--parallelism", str(level))  # fmt: skip
    if run.code != 0 or "No changes." not in run.out:
        raise SystemExit(
            f"plan --parallelism {level} exited {run.code}:\n{run.out[-1500:]}\n{run.err[-1500:]}"
        )
    return Figure(run.seconds, sum(emu.requests().values()) - least, run.code)


def _jobs_in(manifests: Path) -> int:
    return len(list((manifests / "jobs").glob("*.yaml")))


def _apply(workdir: Path, manifests: Path, level: int, count: int, limits: dict[str, int] | None) -> Figure:
    with _common.emulator(
        credentials=(AK, SK, PROJECT), latency_ms=LATENCY_MS, start_delay=0, env=ENV
    ) as emu:
        if limits:
            emu.control("POST", "faults", {"rate_limits": limits})
        run = smartlive(workdir, "apply", str(manifests), "--endpoint", emu.url, "--auto-approve",
                        "--state", str(workdir / f"apply-{time.monotonic_ns()}.db"),
                        "--parallelism", str(level))  # fmt: skip
        sent = sum(n for op, n in emu.requests().items() if op.startswith("POST "))
    if run.code != 0:
        raise SystemExit(f"apply --parallelism {level} exited {run.code}:\n{run.err[-1500:]}")
    return Figure(run.seconds, sent - count, run.code)


def _plan_setup(emu: Emulator, root: Path, name: str, groups: int, jobs: int) -> tuple[Path, dict[str, str]]:
    ids = asyncio.run(plan_scale.fill(emu.url, groups, jobs))
    folder = root / name
    folder.mkdir()
    return plan_scale.write_manifests(folder, groups, jobs), ids


def _group_manifests(root: Path, name: str, count: int) -> Path:
    folder = root / name
    folder.mkdir()
    for i in range(count):
        spec = {"interaction_rules": plan_scale.rules(i)}
        _common.write_manifest(folder / f"{i:05d}.yaml", "InteractionRuleGroup", f"{name}-{i:05d}", spec)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--levels", default="4,8,16,32")
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=250)
    parser.add_argument("--creates", type=int, default=500)
    parser.add_argument("--limited-groups", type=int, default=200)
    parser.add_argument("--read-rate", type=int, default=20)
    parser.add_argument("--create-rate", type=int, default=10)
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]
    limited_jobs = args.limited_groups // 4
    limited_floor = max(args.limited_groups, limited_jobs) / args.read_rate
    limited_creates = args.creates // 5
    rows: dict[int, list[Figure]] = {level: [] for level in levels}
    with tempfile.TemporaryDirectory(prefix="smartlive-parallelism-") as tmp:
        root = Path(tmp)
        seed = _common.write_seed(
            root / "seed.yaml", (plan_scale.room_id(i) for i in range(max(args.jobs, limited_jobs)))
        )
        with _common.emulator(credentials=(AK, SK, PROJECT), latency_ms=0, start_delay=0,
                              rate_limits=False, seed=seed, env=ENV) as emu:  # fmt: skip
            manifests, ids = _plan_setup(emu, root, "plan", args.groups, args.jobs)
            emu.set_latency(LATENCY_MS)
            for level in levels:
                rows[level].append(_fresh_plan(emu, root, manifests, ids, level))
        creates = _group_manifests(root, "create", args.creates)
        for level in levels:
            rows[level].append(_apply(root, creates, level, args.creates, None))
        with _common.emulator(credentials=(AK, SK, PROJECT), latency_ms=0, start_delay=0,
                              rate_limits=False, seed=seed, env=ENV) as emu:  # fmt: skip
            manifests, ids = _plan_setup(emu, root, "limited", args.limited_groups, limited_jobs)
            emu.set_latency(LATENCY_MS)
            emu.control("POST", "faults", {"rate_limits": dict.fromkeys(READS, args.read_rate)})
            for level in levels:
                rows[level].append(_fresh_plan(emu, root, manifests, ids, level))
        limited = _group_manifests(root, "limited-create", limited_creates)
        for level in levels:
            limits = {"CreateInteractionRuleGroup": args.create_rate}
            rows[level].append(_apply(root, limited, level, limited_creates, limits))
    create_floor = limited_creates / args.create_rate
    print(f"latency {LATENCY_MS} ms; seconds, and in brackets the requests beyond the least needed")
    print(
        f"{'':>16} {'(1) plan, unlimited':>22} {'(2) apply, unlimited':>22} "
        f"{'(3) plan, reads ' + str(args.read_rate) + '/s':>24} {'(4) apply, ' + str(args.create_rate) + '/s':>22}"
    )
    print(
        f"{'':>16} {f'{args.groups} groups {args.jobs} jobs':>22} {f'{args.creates} creates':>22} "
        f"{f'floor {limited_floor:.1f} s':>24} {f'floor {create_floor:.1f} s':>22}"
    )
    for level, figures in rows.items():
        cells = [f"{f.seconds:7.2f} s [{f.extra_requests:+d}]" for f in figures]
        print(f"{'--parallelism ' + str(level):>16} " + " ".join(f"{c:>22}" for c in cells))
    first = rows[levels[0]]
    for level in levels[1:]:
        gains = [math.floor(first[i].seconds / rows[level][i].seconds * 10) / 10 for i in range(2)]
        print(
            f"  {level} against {levels[0]}: plan {gains[0]:.1f}x, apply {gains[1]:.1f}x faster (unlimited)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
