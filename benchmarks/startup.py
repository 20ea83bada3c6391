"""Start-up cost of smartlive's commands, by `python -X importtime`, in a fresh process each time.

Cases (each `python -X importtime -m reconciler ...`, in the tree measured):

- `validate examples/` and `plan --help`: the whole run;
- `plan examples/ --local`: a whole warm plan against the embedded emulator (its state, emulator data and
  parse cache made by one unmeasured run first, in a scratch directory of its own);
- `plan examples/` up to its first request: a warm plan against an endpoint that this script serves on
  127.0.0.1, which notes when the first request arrives and then has the process killed: the imports are
  those made before that request, the wall and CPU times those spent until it.

Figures: the sum of the top-level imports' cumulative times (everything imported, each module once; a
module imported with importlib.import_module, as cli.py imports the command's, is not itself listed by
-X importtime, but what it imports is), the number of modules, the process's wall time and its CPU time
(user + system: less disturbed by other work on the machine), each the best of --runs. The floor is the
interpreter alone (`python -X importtime -c pass`: site, encodings), which no change to smartlive can go
below.

`--before REV` measures the tree of that git revision too (exported with `git archive` to a temporary
directory), in the same run, so a change's effect is read side by side:

    .venv/bin/python benchmarks/startup.py [--runs 5] [--before HEAD~1]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Longest the first-request case waits for its request before giving up on the run.
FIRST_REQUEST_TIMEOUT = 60.0


@dataclass(frozen=True)
class Figure:
    import_ms: float
    wall_ms: float
    #: The process's user + system time: less disturbed than the wall time by other work on the machine.
    cpu_ms: float
    modules: int


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    #: Runs in a scratch copy of examples/ (it writes .smartlive/), after one unmeasured warm-up run.
    scratch: bool = False
    #: Measured up to its first request to a stub endpoint (the argv's `{endpoint}`), not to its exit.
    first_request: bool = False

    @property
    def label(self) -> str:
        shown = " ".join(a for a in self.argv if "{endpoint}" not in a and a != "--endpoint")
        return f"{shown} (to 1st request)" if self.first_request else shown


CASES = (
    Case(("validate", "examples/")),
    Case(("plan", "--help")),
    Case(("plan", "examples/", "--local"), scratch=True),
    Case(("plan", "examples/", "--endpoint", "{endpoint}"), scratch=True, first_request=True),
)


def import_total_ms(stderr: str) -> tuple[float, int]:
    """Sum of the cumulative microseconds of top-level imports (a nested one is inside its parent's)."""
    total_us, modules = 0, 0
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        fields = line[len("import time:") :].split("|")
        if len(fields) != 3 or not fields[1].strip().isdigit():
            continue  # a line cut short by the kill of a first-request run
        _, cumulative, name = fields
        modules += 1
        if not name.startswith("  "):  # one space follows the bar; more mark a nested import
            total_us += int(cumulative)
    return total_us / 1000, modules


def child_env(source: Path) -> dict[str, str]:
    """The tree's PYTHONPATH; a token and a project so that a remote plan needs no account; no proxy (the
    stub endpoint is on this machine), none of the user's smartlive settings, bytecode cached."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.lower().endswith("_proxy")
        and not name.startswith("SMARTLIVE_")
        # Bytecode is written and reused, as in a user's install (_common.ENV says why).
        and name != "PYTHONDONTWRITEBYTECODE"
    }
    return {
        **env,
        "PYTHONPATH": str(source),
        "SMARTLIVE_AUTH_TOKEN": "startup-benchmark",
        "HUAWEICLOUD_SDK_PROJECT_ID": "startup-benchmark",
        "NO_COLOR": "1",
    }


class StubEndpoint:
    """A TCP endpoint for one run: notes when a request first arrives, and never answers it. One per run,
    so that a request of an earlier run (its process killed) cannot pass for this run's first."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._arrived = threading.Event()
        self._at = 0.0
        self._held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return  # closed
            self._held.append(connection)
            threading.Thread(target=self._read, args=(connection,), daemon=True).start()

    def _read(self, connection: socket.socket) -> None:
        try:
            if connection.recv(1) and not self._arrived.is_set():
                self._at = time.perf_counter()
                self._arrived.set()
        except OSError:
            pass

    def first_request_at(self, timeout: float) -> float | None:
        return self._at if self._arrived.wait(timeout) else None

    def close(self) -> None:
        self._socket.close()
        for connection in self._held:
            connection.close()


def run_once(argv: Sequence[str], cwd: Path, env: Mapping[str, str], *, first_request: bool) -> Figure:
    """One run of `python -X importtime ARGV`; `first_request`: only up to it (`{endpoint}` in ARGV is
    the stub endpoint's URL), then the process is killed."""
    endpoint = StubEndpoint() if first_request else None
    url = endpoint.url if endpoint is not None else ""
    command = [sys.executable, "-X", "importtime", *(a.replace("{endpoint}", url) for a in argv)]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        if endpoint is None:
            process.wait()
            ended = time.perf_counter()
        else:
            arrived = endpoint.first_request_at(FIRST_REQUEST_TIMEOUT)
            process.kill()
            process.wait()
            endpoint.close()
            if arrived is None:
                stderr.seek(0)
                sys.exit(f"{' '.join(argv)}: no request in {FIRST_REQUEST_TIMEOUT:.0f} s\n{stderr.read()}")
            ended = arrived
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        stderr.seek(0)
        imports, modules = import_total_ms(stderr.read())
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return Figure(imports, (ended - started) * 1000, cpu * 1000, modules)


def measure(source: Path, case: Case, runs: int, scratch_root: Path) -> Figure:
    cwd = source
    if case.scratch:
        cwd = Path(tempfile.mkdtemp(dir=scratch_root))
        shutil.copytree(source / "examples", cwd / "examples")
    return best_of(["-m", "reconciler", *case.argv], cwd, child_env(source), runs, warm=case.scratch,
                   first_request=case.first_request)  # fmt: skip


def best_of(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    runs: int,
    *,
    warm: bool = False,
    first_request: bool = False,
) -> Figure:
    """Each figure's best (least) of `runs`; `warm`: after one unmeasured run (its state store, emulator
    data and parse cache then exist, as on a second plan)."""
    if warm:
        run_once(argv, cwd, env, first_request=first_request)
    figures = [run_once(argv, cwd, env, first_request=first_request) for _ in range(runs)]
    return Figure(
        import_ms=min(f.import_ms for f in figures),
        wall_ms=min(f.wall_ms for f in figures),
        cpu_ms=min(f.cpu_ms for f in figures),
        modules=min(f.modules for f in figures),
    )


def exported(rev: str, into: Path) -> Path:
    """The tree of `rev` (its reconciler package and examples) in a directory of its own."""
    archive = subprocess.run(["git", "archive", rev], cwd=REPO, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def check_source(source: Path) -> None:
    """PYTHONPATH must win over an installed copy, or the figures would be of the wrong tree."""
    probe = [sys.executable, "-c", "import reconciler; print(reconciler.__file__)"]
    found = subprocess.run(
        probe, cwd=source, env=child_env(source), capture_output=True, text=True, check=True
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
            trees = {f"{args.before}": exported(args.before, Path(tmp) / "before"), **trees}
        for source in trees.values():
            check_source(source)
        floor = best_of(["-c", "pass"], REPO, child_env(REPO), args.runs)
        print(f"{'floor (python -c pass)':36} {'':11}  {line(floor)}", flush=True)
        for case in CASES:
            for label, source in trees.items():
                figure = measure(source, case, args.runs, Path(tmp))
                print(f"{case.label:36} [{label:>9}]: {line(figure)}", flush=True)


def line(figure: Figure) -> str:
    return (
        f"imports {figure.import_ms:6.1f} ms ({figure.modules:3} modules), "
        f"wall {figure.wall_ms:6.1f} ms, cpu {figure.cpu_ms:6.1f} ms"
    )


if __name__ == "__main__":
    main()
