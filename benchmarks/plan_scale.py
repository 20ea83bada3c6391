"""`smartlive plan` at scale against a sequential loop of the official SDK doing the same reads, one run.

    .venv/bin/python benchmarks/plan_scale.py [--groups 2000] [--jobs 500] [--latency-ms 30] [--parallelism N]

The emulator is `smartlive emulator serve --port 0 --no-rate-limits` in a subprocess (its own process and
core, as a user runs it). It is filled at full speed (latency 0): 2,000 rule groups of 5 rules each, 500
rooms each running one job; then 30 ms of latency is injected through POST /_emulator/faults. The manifests
declare exactly that, so the plan has no changes.

Measured, each from a reset of the emulator's request counters (/_emulator/stats):
  * `smartlive plan` as a user runs it: the real CLI in a subprocess, default --parallelism, a FRESH
    state store that records the groups as `smartlive import` leaves them (managed, but with no
    update_time or fingerprint, so every group is shown in full; without any record the plan would show
    them as not managed, to import: docs/stacks.md). The warm-store case is benchmarks/apply_scale.py's;
    start-up, manifest loading, normalization, diff and rendering are all inside its wall time;
  * a sequential loop of huaweicloudsdkmetastudio doing the same reads (what a user scripts today): list
    the groups page by page, show each group, list the active jobs page by page, and read each job's
    configuration back (ExecuteSmartLiveCommand GET_LIVE_JOB_CONFIG_INFO), as plan does for jobs a fresh
    store cannot vouch for: the job list does not show what a job runs with.

Printed side by side: requests and wall time of each, and the ratio; the goal is 8x (issue 12), with smartlive's
request count equal to group pages + one show per group + job pages + one read-back per job.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _common.py, beside this file

import _common
from _common import AK, ENV, PROJECT, SK, group_name, sdk_client, smartlive, write_manifest

from reconciler.cloud.config import DEFAULT_PARALLELISM

GOAL_SPEEDUP = 8.0
PAGE = 100


def room_id(i: int) -> str:
    return f"0000{i:04d}-0000-4000-8000-00000000beef"


def rules(i: int) -> list[dict[str, Any]]:
    """Five rules per group, in the shapes of examples/: keyword replies, an entry greeting, a gift thanks."""
    out: list[dict[str, Any]] = [
        {
            "rule_name": f"keyword-{k}",
            "enabled": True,
            "event_type": 1,
            "hit_condition": {
                "relation": "OR",
                "priority": 100 + k,
                "tags": [
                    {"tag": "content", "operation": "NONE", "match": "REGEX", "value": f"(价格|price){i}-{k}"}
                ],
            },
            "trigger": {
                "time_window": 30,
                "reply_mode": "SYSTEM_REPLY",
                "reply_order": "RANDOM",
                "reply_texts": [f"商品 {i} 的第 {k} 个问题，请看左下角链接。", "Tap the link below."],
            },
        }
        for k in range(3)
    ]
    out.append(
        {
            "rule_name": "welcome",
            "event_type": 2,
            "hit_condition": {"priority": 500},
            "trigger": {"time_window": 20, "reply_mode": "SYSTEM_REPLY", "reply_texts": ["欢迎来到直播间！"]},
        }
    )
    out.append(
        {
            "rule_name": "gift-thanks",
            "event_type": 4,
            "hit_condition": {
                "relation": "AND",
                "tags": [{"tag": "gift.count", "operation": "SUM", "match": "MATH_GE", "value": "10"}],
            },
            "trigger": {
                "reply_mode": "SYSTEM_REPLY",
                "reply_texts": ["谢谢你的礼物！"],
                "reply_role": "STREAMER",
            },
        }
    )
    return out


def job_request(i: int) -> dict[str, Any]:
    landscape = i % 2 == 0
    return {
        "video_config": {
            "codec": "H264",
            "bitrate": 4000,
            "width": 1920 if landscape else 1080,
            "height": 1080 if landscape else 1920,
            "frame_rate": "25",
        },
        "play_policy": {"repeat_count": -1, "auto_play_script": True, "random_play_mode": "SCENE"},
        "rtc_callback_config": {"rtc_callback_event_type": ["LIVE_PROGRESS"]},
    }


def write_manifests(root: Path, groups: int, jobs: int) -> Path:
    """One file per resource, as a repository of manifests usually has them."""
    manifests = root / "manifests"
    (manifests / "rule-groups").mkdir(parents=True)
    (manifests / "jobs").mkdir()
    for i in range(groups):
        path = manifests / "rule-groups" / f"{group_name(i)}.yaml"
        write_manifest(path, "InteractionRuleGroup", group_name(i), {"interaction_rules": rules(i)}, indent=1)
    for i in range(jobs):
        spec = {"room_id": room_id(i), "state": "running", **job_request(i)}
        write_manifest(
            manifests / "jobs" / f"job-{i:04d}.yaml", "SmartLiveJob", f"job-{i:04d}", spec, indent=1
        )
    return manifests


async def fill(url: str, groups: int, jobs: int) -> dict[str, str]:
    """Create the groups, rooms and jobs through the API, 32 at a time (the emulator has no latency yet);
    the groups' ids by name."""
    from reconciler.api import models
    from reconciler.cloud.api import MetaStudioApi
    from reconciler.cloud.config import Credentials, Target
    from reconciler.cloud.http import HttpClient

    # Unpaced: the emulator runs with --no-rate-limits, and the setup is not what is measured.
    target = Target(url, PROJECT, Credentials(ak=AK, sk=SK))
    async with HttpClient(target, parallelism=32, rates={}) as http:
        api = MetaStudioApi(http)

        async def group(i: int) -> str:
            return await api.create_rule_group(
                models.InteractionRuleGroup.model_validate(
                    {"group_name": group_name(i), "interaction_rules": rules(i)}
                )
            )

        async def job(i: int) -> None:
            # The room with a fixed id comes from the seed file; its job is started here.
            await api.start_job(room_id(i), models.StartSmartLiveReq.model_validate(job_request(i)))

        ids = await asyncio.gather(*(group(i) for i in range(groups)))
        await asyncio.gather(*(job(i) for i in range(jobs)))
        return {group_name(i): group_id for i, group_id in enumerate(ids)}


def imported_store(state: Path, url: str, group_ids: dict[str, str]) -> None:
    """A new state store recording every group as an import without --stack records it."""
    from reconciler.resources import Address, ManagedRecord
    from reconciler.state import open_store

    store = open_store(str(state), workdir=state.parent)
    try:
        for name, group_id in group_ids.items():
            store.put(
                f"{url.rstrip('/')}|{PROJECT}",
                ManagedRecord(Address("InteractionRuleGroup", name), group_id),
                "bench",
            )
    finally:
        store.close()


def run_smartlive(
    workdir: Path, manifests: Path, url: str, parallelism: int | None, group_ids: dict[str, str]
) -> tuple[float, float, str]:
    state = workdir / f"fresh-{time.monotonic_ns()}.db"  # a fresh state store: every group is shown
    imported_store(state, url, group_ids)
    argv = ["plan", str(manifests), "--endpoint", url, "--state", str(state), "--detailed-exitcode"]
    if parallelism is not None:
        argv += ["--parallelism", str(parallelism)]
    done = smartlive(workdir, *argv)
    if done.code != 0 or "No changes." not in done.out:
        raise RuntimeError(f"smartlive plan exited {done.code}:\n{done.out[-2000:]}\n{done.err[-2000:]}")
    return done.seconds, done.cpu_seconds, done.out.strip().splitlines()[-1]


def sdk_loop(url: str) -> tuple[float, int, int]:
    """The reads with the official SDK, one after the other: what a user scripts without smartlive."""
    from huaweicloudsdkmetastudio.v1 import (
        ControlSmartLiveReq,
        ExecuteSmartLiveCommandRequest,
        ListInteractionRuleGroupsRequest,
        ListSmartLiveJobsRequest,
        ShowInteractionRuleGroupRequest,
    )

    client = sdk_client(url)
    started = time.perf_counter()
    group_ids: list[str] = []
    offset = 0
    while True:
        page = client.list_interaction_rule_groups(
            ListInteractionRuleGroupsRequest(offset=offset, limit=PAGE)
        )
        group_ids += [g.group_id for g in page.interaction_rule_groups or []]
        offset += PAGE
        if offset >= (page.count or 0):
            break
    rules_read = 0
    for group_id in group_ids:
        shown = client.show_interaction_rule_group(ShowInteractionRuleGroupRequest(group_id=group_id))
        rules_read += len(shown.interaction_rules or [])
    active: list[Any] = []
    offset = 0
    while True:
        listed = client.list_smart_live_jobs(
            ListSmartLiveJobsRequest(state="WAITING,PROCESSING", offset=offset, limit=PAGE)
        )
        active += listed.smart_live_jobs or []
        offset += PAGE
        if offset >= (listed.count or 0):
            break
    # What each job runs with (its video_config, output, ...), which the job list does not show.
    read_back = ControlSmartLiveReq(command="GET_LIVE_JOB_CONFIG_INFO", params={})
    for job in active:
        client.execute_smart_live_command(
            ExecuteSmartLiveCommandRequest(room_id=job.room_id, job_id=job.job_id, body=read_back)
        )
    return time.perf_counter() - started, len(group_ids), len(active)


def expected_requests(groups: int, jobs: int) -> tuple[int, int, int, int]:
    """(group pages, shows, job pages, job configurations read back): an empty list is still one page."""
    return max(1, math.ceil(groups / PAGE)), groups, max(1, math.ceil(jobs / PAGE)), jobs


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--latency-ms", type=int, default=30)
    parser.add_argument(
        "--parallelism",
        type=int,
        default=None,
        help="also time smartlive at this --parallelism (default: only at the default)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smartlive-plan-bench-") as tmp:
        workdir = Path(tmp)
        seed = _common.write_seed(workdir / "seed.yaml", (room_id(i) for i in range(args.jobs)))
        with _common.emulator(
            credentials=(AK, SK, PROJECT), latency_ms=0, start_delay=0, rate_limits=False, seed=seed, env=ENV
        ) as emu:
            setup = time.perf_counter()
            group_ids = asyncio.run(fill(emu.url, args.groups, args.jobs))
            manifests = write_manifests(workdir, args.groups, args.jobs)
            print(
                f"setup: {args.groups} groups x 5 rules, {args.jobs} running jobs in {args.jobs} rooms "
                f"({time.perf_counter() - setup:.1f} s); latency now {args.latency_ms} ms per request",
                flush=True,
            )
            emu.set_latency(args.latency_ms)

            emu.reset_stats()
            wall, cpu, last_line = run_smartlive(workdir, manifests, emu.url, None, group_ids)
            ours = emu.requests()
            print(f"smartlive plan said: {last_line!r}", flush=True)

            extra: list[tuple[int, float, int]] = []
            if args.parallelism is not None:
                emu.reset_stats()
                other, _, _ = run_smartlive(workdir, manifests, emu.url, args.parallelism, group_ids)
                extra.append((args.parallelism, other, sum(emu.requests().values())))

            emu.reset_stats()
            sdk_wall, sdk_groups, sdk_jobs = sdk_loop(emu.url)
            theirs = emu.requests()
            if (sdk_groups, sdk_jobs) != (args.groups, args.jobs):
                raise RuntimeError(f"the SDK loop read {sdk_groups} groups and {sdk_jobs} jobs")

    pages, shows, job_pages, configs = expected_requests(args.groups, args.jobs)
    expected = pages + shows + job_pages + configs
    our_total, their_total = sum(ours.values()), sum(theirs.values())
    ratio = sdk_wall / wall
    print()
    print(f"{'':36} {'requests':>9} {'wall time':>10}")
    print(
        f"{f'smartlive plan (--parallelism {DEFAULT_PARALLELISM})':36} {our_total:>9} {wall:>9.1f}s   (its own CPU {cpu:.1f}s)"
    )
    for parallelism, seconds, count in extra:
        label = f"smartlive plan (--parallelism {parallelism})"
        print(f"{label:36} {count:>9} {seconds:>9.1f}s   ({sdk_wall / seconds:.1f}x)")
    print(f"{'official SDK, sequential loop':36} {their_total:>9} {sdk_wall:>9.1f}s")
    print()
    print(f"speed-up at the default parallelism: {ratio:.1f}x (goal: at least {GOAL_SPEEDUP:.0f}x)")
    print(
        f"smartlive requests: {our_total}; expected {pages} group pages + {shows} shows + {job_pages} job pages "
        f"+ {configs} job configurations read back = {expected}"
    )
    for key, count in sorted(ours.items()):
        print(f"  {count:>6}  {key}")
    ok = ratio >= GOAL_SPEEDUP and our_total == expected
    print("goal met" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
