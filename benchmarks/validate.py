"""`smartlive validate` against check-jsonschema on the same 10,000 rules (200 files x 50 rules).

Both run as a user runs them, as processes (start-up included), on files generated into a temporary
directory: `smartlive validate DIR` (YAML, types, semantic checks) and
`check-jsonschema --schemafile schemas/InteractionRuleGroup.json FILE...` (types only). The figure
is the best of --runs runs of each; both must accept every file, or the timing would be of an error
path. Goal (issue 2): validate at least 2x faster than check-jsonschema, and under 2 s.

    .venv/bin/python benchmarks/validate.py [--files 200] [--rules 50] [--runs 3] [--jsonschema-runs 1]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "schemas" / "InteractionRuleGroup.json"
GOAL_RATIO = 2.0
GOAL_SECONDS = 2.0

# Five kinds of rule, as a real group mixes them: welcome, gift tiers, keyword FAQ, like
# milestones and a SHOW_LAYER popup. Every generated rule is valid, with no warning either.
TEMPLATES = (
    """\
    - rule_name: welcome-{n}
      enabled: true
      event_type: 2
      hit_condition:
        relation: AND
        priority: {priority}
        tags:
          - tag: user.level
            operation: NONE
            match: MATH_GE
            value: "{level}"
      trigger:
        time_window: 10
        reply_mode: SYSTEM_REPLY
        reply_order: RANDOM
        reply_texts:
          - "欢迎第 {n} 位老朋友回到直播间！"
          - "Welcome back, viewer {n}!"
""",
    """\
    - rule_name: gift-tier-{n}
      enabled: true
      event_type: 4
      hit_condition:
        relation: AND
        priority: {priority}
        tags:
          - tag: gift.totalValue
            operation: NONE
            match: MATH_GE
            value: "{level}00"
          - tag: gift.totalValue
            operation: NONE
            match: MATH_LT
            value: "{level}000"
      trigger:
        time_window: 0
        reply_mode: SYSTEM_REPLY
        reply_texts:
          - "谢谢你的礼物 {n}，爱你哟！"
        play_type: INSERT
""",
    """\
    - rule_name: faq-{n}
      enabled: true
      event_type: 1
      hit_condition:
        relation: OR
        priority: {priority}
        tags:
          - tag: content
            operation: NONE
            match: REGEX
            value: "(多少钱|价格|怎么卖|(?i:how much|price)) ?{n}"
      trigger:
        time_window: 30
        reply_mode: SYSTEM_REPLY
        reply_texts:
          - "第 {n} 号商品今天直播间专享价 99 元，点左下角链接就能买。"
""",
    """\
    - rule_name: likes-{n}
      enabled: true
      event_type: 3
      hit_condition:
        relation: AND
        priority: {priority}
        tags:
          - tag: user.userId
            operation: COUNT
            match: MATH_GE
            value: "{level}00"
      trigger:
        time_window: 60
        reply_mode: SYSTEM_REPLY
        reply_texts:
          - "点赞破 {level}00 啦，谢谢大家！"
""",
    """\
    - rule_name: popup-{n}
      enabled: true
      event_type: 1
      hit_condition:
        relation: OR
        priority: {priority}
        tags:
          - tag: content
            operation: NONE
            match: REGEX
            value: "(链接|上车|(?i:link)) ?{n}"
      trigger:
        time_window: 15
        reply_mode: SHOW_LAYER
        layer_config:
          layer_type: IMAGE
          position: {{dx: 90, dy: 1280, layer_index: 2}}
          size: {{width: 900, height: 420}}
          image_config:
            image_url: "https://cdn.example.com/live/cards/{n}.png"
            display_duration: 8
        extra_layer_config:
          layer_type: TEXT
          position: {{dx: 140, dy: 1580, layer_index: 3}}
          size: {{width: 800, height: 80}}
          text_config:
            text_type: DYNAMIC
            text_context: "专享价 ¥{level}9"
            font_name: HarmonyOS_Sans_SC_Black
            font_size: 56
            font_color: "#FF3B30"
            display_duration: 8
""",
)


def generate(directory: Path, files: int, rules: int) -> list[Path]:
    paths = []
    for number in range(files):
        parts = [
            "# yaml-language-server: $schema=InteractionRuleGroup.json\n"
            "apiVersion: smartlive/v1\nkind: InteractionRuleGroup\n"
            f"metadata:\n  name: group-{number:03d}\n  labels:\n    team: live-ops\n"
            "spec:\n  interaction_rules:\n"
        ]
        for index in range(rules):
            template = TEMPLATES[index % len(TEMPLATES)]
            parts.append(
                template.format(n=number * rules + index, priority=index * 10 % 1000, level=index % 9 + 1)
            )
        path = directory / f"group-{number:03d}.yaml"
        path.write_text("".join(parts), encoding="utf-8")
        paths.append(path)
    return paths


def best_time(command: list[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(
                f"{command[0]} failed ({proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
            )
        best = min(best, elapsed)
    return best


def tool(name: str) -> str:
    beside = Path(sys.executable).with_name(name)  # the venv this script runs in
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: run `make test` once (it installs the dev tools into .venv)")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rules", type=int, default=50, help="rules per file")
    parser.add_argument("--runs", type=int, default=3, help="runs of smartlive validate (best is kept)")
    parser.add_argument(
        "--jsonschema-runs", type=int, default=1, help="runs of check-jsonschema (about 40 s each)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="smartlive-bench-") as temp:
        directory = Path(temp)
        paths = generate(directory, args.files, args.rules)
        size = sum(p.stat().st_size for p in paths) / 1e6
        print(
            f"{args.files} files x {args.rules} rules = {args.files * args.rules:,} rules, {size:.1f} MB of YAML"
        )
        validate = best_time([tool("smartlive"), "validate", str(directory)], args.runs)
        print(
            f"smartlive validate DIR                       {validate:7.2f} s  (YAML, types, semantic checks)"
        )
        checker = [tool("check-jsonschema"), "--schemafile", str(SCHEMA), *map(str, paths)]
        jsonschema = best_time(checker, args.jsonschema_runs)
        print(f"check-jsonschema --schemafile ... FILE...    {jsonschema:7.2f} s  (types only)")

    ratio = jsonschema / validate
    met = ratio >= GOAL_RATIO and validate < GOAL_SECONDS
    print(
        f"ratio: validate is {ratio:.1f}x faster; goal >= {GOAL_RATIO:.0f}x and < {GOAL_SECONDS:.0f} s: "
        f"{'met' if met else 'NOT MET'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
