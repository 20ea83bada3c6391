"""Loading manifests for a plan with and without the parse cache (.smartlive/parse-cache), one run each.

The same 10,000 rules as benchmarks/validate.py (200 files x 50 rules, generated into a temporary
directory) are loaded as `smartlive plan` loads them (`load_manifests`, on one core so that the figures
compare the work, not the fork), each case in a fresh process: without the cache (the floor the cache
must beat when warm), with an empty cache (the cost of filling it: besides writing it, each group's
canonical form is prepared then, which plan's build would otherwise compute), and with a warm cache
(nothing changed since: no file parsed, type-checked or linted). Printed: the load's wall time in each
case, the kinds' modules imported before the clock starts.

    .venv/bin/python benchmarks/parse_cache.py [--files 200] [--rules 50]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # validate.py, beside this file

from validate import generate

REPO = Path(__file__).resolve().parents[1]

ONE_LOAD = """
import sys, time
from pathlib import Path
from reconciler.manifest import kinds, load_manifests
cache = Path(sys.argv[2]) if len(sys.argv) > 2 else None
kinds()  # the kinds' modules are imported before the clock starts: the same cost with or without a cache
started = time.perf_counter()
result = load_manifests([sys.argv[1]], parallel=False, cache_dir=cache)
assert result.ok and result.resources, "the generated set must load without errors"
print(time.perf_counter() - started)
"""


def timed_load(directory: Path, cache: Path | None) -> float:
    argv = [sys.executable, "-c", ONE_LOAD, str(directory), *([str(cache)] if cache else [])]
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=True)
    return float(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rules", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        manifests, cache = Path(tmp) / "manifests", Path(tmp) / ".smartlive"
        manifests.mkdir()
        generate(manifests, args.files, args.rules)
        without = timed_load(manifests, None)
        cold = timed_load(manifests, cache)
        warm = timed_load(manifests, cache)
    print(f"{args.files} files x {args.rules} rules, load_manifests on one core:")
    print(f"  without the cache: {without * 1000:7.0f} ms")
    print(f"  cold cache (fill): {cold * 1000:7.0f} ms")
    print(f"  warm cache:        {warm * 1000:7.0f} ms  ({without / warm:.2f}x faster than without)")


if __name__ == "__main__":
    main()
