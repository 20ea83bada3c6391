"""The markdown plan's size against GitHub's comment limit, at 7, 300 and 3,000 resources, one run.

The plans are tests/plans_at_scale.py's: seven resources as a pull request has them, then runs of ten
changes (a 10-rule group created and one deleted, updates, a restart, a start, a stop, a refresh, a
doubt). Printed per size: the comment `plan --format markdown` writes (default limit), the whole comment
it would be without a limit, the text plan (complete, for comparison), which of the three layouts was
used, and the render time of the fitted comment.

    PYTHONPATH=. .venv/bin/python benchmarks/markdown_size.py [--limit 65000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: reconciler/ and tests/

from reconciler.engine.plan import Plan
from reconciler.render import DEFAULT_MARKDOWN_LIMIT, RenderContext, render
from tests.plans_at_scale import pull_request_plan, scale_plan

GITHUB_LIMIT = 65_536
TARGET = "https://metastudio.cn-north-4.myhuaweicloud.com, project 0b1c2d3e4f"


def layout(comment: str) -> str:
    if "**By kind:**" in comment:
        return "counts, riskiest named"
    if "**Shortened to fit" in comment:
        return "every resource named"
    return "whole"


def measure(plan: Plan, limit: int) -> tuple[int, int, int, str, float]:
    started = time.perf_counter()
    fitted = render(plan, "markdown", color=False, context=RenderContext(TARGET, limit))
    elapsed = time.perf_counter() - started
    whole = render(plan, "markdown", color=False, context=RenderContext(TARGET, 10**12))
    text = render(plan, "text", color=False)
    return len(fitted), len(whole), len(text), layout(fitted), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=DEFAULT_MARKDOWN_LIMIT)
    args = parser.parse_args()
    print(f"--markdown-limit {args.limit:,} (GitHub refuses a comment past {GITHUB_LIMIT:,} characters)")
    print(f"{'resources':>9}  {'comment':>9}  {'whole':>11}  {'text plan':>11}  {'render':>7}  layout")
    for count in (7, 300, 3_000):
        plan = pull_request_plan() if count == 7 else scale_plan(count)
        fitted, whole, text, used, seconds = measure(plan, args.limit)
        assert fitted <= args.limit, "the comment must fit its limit"
        print(f"{count:>9,}  {fitted:>9,}  {whole:>11,}  {text:>11,}  {seconds * 1000:>5.0f}ms  {used}")


if __name__ == "__main__":
    main()
