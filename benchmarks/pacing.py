"""Per-operation pacing against a throttled emulator (issue 12, item 1), two cases, each run twice (told
the limit, and learning it), figures beside the floor.

    .venv/bin/python benchmarks/pacing.py [--groups 500] [--show-rate 20] [--creates 1000] [--create-rate 10]

The emulator is `smartlive emulator serve --port 0` in a subprocess, with the limit of the operation under
test set through POST /_emulator/faults. Each case runs twice: "told", smartlive given the same limit
(`--rate-limit OP=N`), as a user who knows the tenant's limit would; "learned", given none, so that it
learns the limit from the first 429's message (`limit:N,time:1 second`). Learning may cost the requests in
flight when the first 429 comes back (at most --parallelism, 16 by default) on top of the requests' goal.

  (a) a cold plan: GROUPS rule groups exist, a fresh state store, ShowInteractionRuleGroup limited to
      SHOW_RATE/s: one show per group at best, so the floor is GROUPS / SHOW_RATE seconds (25 s for 500 at
      20/s); goal within 10% of it, no 429 shown, shows within a few of GROUPS;
  (b) CREATES creates with CreateInteractionRuleGroup limited to CREATE_RATE/s: floor CREATES /
      CREATE_RATE seconds (100 s for 1,000 at 10/s); goal within 10%, POSTs <= 1.01 * CREATES, exit 0.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _common.py, beside this file

from _common import AK, PROJECT, SK, Emulator, Run, emulator, smartlive, write_manifest

from reconciler.cloud.config import DEFAULT_PARALLELISM

GOAL = 1.10
#: What learning a limit may cost in requests: those in flight when the first 429 comes back (the default
#: --parallelism).
BURST = DEFAULT_PARALLELISM
#: How smartlive is run: told the limit (--rate-limit), or left to learn it from the 429.
MODES = ("told", "learned")
SHOWS = "GET /v1/{project_id}/smart-live-interaction-rule-groups/{group_id}"
POSTS = "POST /v1/{project_id}/smart-live-interaction-rule-groups"


def group_spec(i: int) -> dict[str, Any]:
    rule = {
        "rule_name": "price",
        "enabled": True,
        "event_type": 1,
        "hit_condition": {
            "relation": "AND",
            "priority": 10,
            "tags": [{"tag": "content", "operation": "NONE", "match": "REGEX", "value": "价格"}],
        },
        "trigger": {"time_window": 10, "reply_mode": "SYSTEM_REPLY", "reply_texts": [f"group {i}"]},
    }
    return {"interaction_rules": [rule]}


def manifests(root: Path, prefix: str, count: int) -> Path:
    folder = root / f"{prefix}-manifests"
    folder.mkdir()
    for i in range(count):
        write_manifest(folder / f"{i:05d}.yaml", "InteractionRuleGroup", f"{prefix}-{i:05d}", group_spec(i))
    return folder


def throttling_shown(run: Run) -> str:
    """The first line of the output that shows a throttling answer ("" when none does)."""
    for line in (run.out + run.err).splitlines():
        # How an error names a throttling answer; a bare 429 may be a progress count ("429/1000").
        if re.search(r"HTTP 429|APIGW|APIG\.0308|throttl", line, re.IGNORECASE):
            return line
    return ""


def report(name: str, run: Run, floor: float, sent: int, least: int, most: float) -> bool:
    """One line: the time beside the floor, the requests beside the least; ok when both meet their goal
    and the run succeeded without showing a 429."""
    shown = throttling_shown(run)
    ok = run.code == 0 and not shown and sent <= most and run.seconds <= floor * GOAL
    print(
        f"{name}: {run.seconds:.1f} s (floor {floor:.1f} s, goal <= {floor * GOAL:.1f} s), {sent} requests "
        f"(least {least}, goal <= {most:.0f}), exit {run.code}, 429 shown: {shown or 'no'}: "
        f"{'ok' if ok else 'MISSED'}"
    )
    return ok


def told(mode: str, operation: str, rate: int) -> list[str]:
    """The options that tell smartlive the limit, in the "told" mode; none when it is to learn it."""
    return ["--rate-limit", f"{operation}={rate}"] if mode == "told" else []


def most(mode: str, least_goal: float) -> float:
    """The goal for the requests sent: learning the limit may cost one BURST more."""
    return least_goal if mode == "told" else least_goal + BURST


def cold_plan(emu: Emulator, root: Path, groups: int, rate: int) -> bool:
    folder = manifests(root, "plan", groups)
    setup = smartlive(root, "apply", str(folder), "--endpoint", emu.url, "--state", str(root / "setup.db"),
                      "--auto-approve")  # fmt: skip
    if setup.code != 0:
        raise SystemExit(f"setup apply failed: {setup.err}")
    emu.control("POST", "faults", {"rate_limits": {"ShowInteractionRuleGroup": rate}})
    ok = True
    for mode in MODES:
        emu.reset_stats()
        state = str(root / f"cold-{mode}.db")
        run = smartlive(root, "plan", str(folder), "--endpoint", emu.url, "--state", state,
                        *told(mode, "ShowInteractionRuleGroup", rate))  # fmt: skip
        shows = sum(n for op, n in emu.requests().items() if op == SHOWS)
        name = f"(a) cold plan, {groups} groups, shows at {rate}/s, {mode:7}"
        ok = report(name, run, groups / rate, shows, groups, most(mode, groups * 1.03)) and ok
    return ok


def creates(emu: Emulator, root: Path, count: int, rate: int) -> bool:
    folder = manifests(root, "create", count)
    ok = True
    for mode in MODES:
        emu.control("POST", "reset")
        emu.control("POST", "faults", {"rate_limits": {"CreateInteractionRuleGroup": rate}})
        emu.reset_stats()
        state = str(root / f"create-{mode}.db")
        run = smartlive(root, "apply", str(folder), "--endpoint", emu.url, "--state", state, "--auto-approve",
                        *told(mode, "CreateInteractionRuleGroup", rate))  # fmt: skip
        posts = sum(n for op, n in emu.requests().items() if op == POSTS)
        name = f"(b) {count} creates at {rate}/s, {mode:7}"
        ok = report(name, run, count / rate, posts, count, most(mode, count * 1.01)) and ok
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--show-rate", type=int, default=20)
    parser.add_argument("--creates", type=int, default=1000)
    parser.add_argument("--create-rate", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, emulator(credentials=(AK, SK, PROJECT)) as emu:
        root = Path(tmp)
        ok = cold_plan(emu, root, args.groups, args.show_rate)
        ok = creates(emu, root, args.creates, args.create_rate) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
