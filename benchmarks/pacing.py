"""Per-operation pacing against a throttled emulator (issue 12, item 1), two runs, figures beside the floor.

    .venv/bin/python benchmarks/pacing.py [--groups 500] [--show-rate 20] [--creates 1000] [--create-rate 10]

The emulator is `smartlive emulator serve --port 0` in a subprocess, with the limit of the operation under
test set through POST /_emulator/faults; smartlive is given the same limit (`--rate-limit OP=N`), as a
user who knows the tenant's limit would.

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

GOAL = 1.10
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


def report(name: str, run: Run, floor: float, sent: int, least: int, ok: bool) -> bool:
    verdict = "ok" if ok and run.seconds <= floor * GOAL else "MISSED"
    print(
        f"{name}: {run.seconds:.1f} s (floor {floor:.1f} s, goal <= {floor * GOAL:.1f} s), "
        f"{sent} requests (least {least}), exit {run.code}, 429 shown: {throttling_shown(run) or 'no'}: {verdict}"
    )
    return verdict == "ok"


def cold_plan(emu: Emulator, root: Path, groups: int, rate: int) -> bool:
    folder = manifests(root, "plan", groups)
    setup = smartlive(root, "apply", str(folder), "--endpoint", emu.url, "--state", str(root / "setup.db"),
                      "--auto-approve")  # fmt: skip
    if setup.code != 0:
        raise SystemExit(f"setup apply failed: {setup.err}")
    emu.control("POST", "faults", {"rate_limits": {"ShowInteractionRuleGroup": rate}})
    emu.reset_stats()
    run = smartlive(root, "plan", str(folder), "--endpoint", emu.url, "--state", str(root / "cold.db"),
                    "--rate-limit", f"ShowInteractionRuleGroup={rate}")  # fmt: skip
    shows = sum(n for op, n in emu.requests().items() if op == SHOWS)
    ok = run.code == 0 and not throttling_shown(run) and shows <= groups * 1.03
    return report(f"(a) cold plan, {groups} groups, shows at {rate}/s", run, groups / rate, shows, groups, ok)


def creates(emu: Emulator, root: Path, count: int, rate: int) -> bool:
    folder = manifests(root, "create", count)
    emu.control("POST", "reset")
    emu.control("POST", "faults", {"rate_limits": {"CreateInteractionRuleGroup": rate}})
    emu.reset_stats()
    run = smartlive(root, "apply", str(folder), "--endpoint", emu.url, "--state", str(root / "create.db"),
                    "--auto-approve", "--rate-limit", f"CreateInteractionRuleGroup={rate}")  # fmt: skip
    posts = sum(n for op, n in emu.requests().items() if op == POSTS)
    ok = run.code == 0 and not throttling_shown(run) and posts <= count * 1.01
    return report(f"(b) {count} creates at {rate}/s", run, count / rate, posts, count, ok)


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
