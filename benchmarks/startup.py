"""Start-up cost of `smartlive validate examples/` and `smartlive plan --help`, by `python -X importtime`.

Each command runs as a process (`python -X importtime -m reconciler ...`, in the tree measured); the
figure is the sum of the top-level imports' cumulative times (everything imported, each module once),
with the process's wall time beside it, best of --runs. The floor is the interpreter alone
(`python -X importtime -c pass`: site, encodings), which no change to smartlive can go below.

`--before REV` measures the tree of that git revision too (exported with `git archive` to a temporary
directory), in the same run, so a change's effect is read side by side:

    .venv/bin/python benchmarks/startup.py [--runs 5] [--before HEAD~1]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMANDS: tuple[tuple[str, ...], ...] = (("validate", "examples/"), ("plan", "--help"))


@dataclass(frozen=True)
class Figure:
    import_ms: float
    wall_ms: float
    modules: int


def import_total_ms(stderr: str) -> tuple[float, int]:
    """Sum of the cumulative microseconds of top-level imports (a nested one is inside its parent's)."""
    total_us, modules = 0, 0
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line[len("import time:") :].split("|")
        modules += 1
        if not name.startswith("  "):  # one space follows the bar; more mark a nested import
            total_us += int(cumulative)
    return total_us / 1000, modules


def measure(source: Path, argv: Sequence[str], runs: int) -> Figure:
    env = {**os.environ, "PYTHONPATH": str(source)}
    best: Figure | None = None
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-X", "importtime", *argv], cwd=source, env=env, capture_output=True, text=True
        )
        wall = (time.perf_counter() - started) * 1000
        imports, modules = import_total_ms(done.stderr)
        figure = Figure(imports, wall, modules)
        if best is None or figure.import_ms < best.import_ms:
            best = figure
    assert best is not None
    return best


def exported(rev: str, into: Path) -> Path:
    """The tree of `rev` (its reconciler package and examples) in a directory of its own."""
    archive = subprocess.run(["git", "archive", rev], cwd=REPO, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def check_source(source: Path) -> None:
    """PYTHONPATH must win over an installed copy, or the figures would be of the wrong tree."""
    probe = [sys.executable, "-c", "import reconciler; print(reconciler.__file__)"]
    env = {**os.environ, "PYTHONPATH": str(source)}
    found = subprocess.run(
        probe, cwd=source, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    if not found.startswith(str(source)):
        sys.exit(f"PYTHONPATH={source} imports reconciler from {found}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", metavar="REV", help="a git revision to measure beside this tree")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this tree": REPO}
        if args.before:
            trees = {f"{args.before}": exported(args.before, Path(tmp)), **trees}
        for source in trees.values():
            check_source(source)
        floor = measure(REPO, ["-c", "pass"], args.runs)
        print(f"floor (python -c pass): imports {floor.import_ms:7.1f} ms, wall {floor.wall_ms:7.1f} ms")
        for command in COMMANDS:
            for label, source in trees.items():
                figure = measure(source, ["-m", "reconciler", *command], args.runs)
                print(
                    f"smartlive {' '.join(command):18} [{label:>9}]: imports {figure.import_ms:7.1f} ms "
                    f"({figure.modules} modules), wall {figure.wall_ms:7.1f} ms"
                )


if __name__ == "__main__":
    main()
