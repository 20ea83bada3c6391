"""`python -m reconciler` (and the `smartlive` script, reconciler/__main__.py:run) leaves without a last
garbage collection of its heap: what the command printed still arrives whole through a pipe, its exit
code is kept, and the state store it wrote is complete. A real process, on a copy of the examples, with
the embedded emulator (--local)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.acceptance.conftest import EXAMPLES, ROOT, SECRETS


def smartlive(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **SECRETS, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "HOME": str(cwd)}
    for name in ("SMARTLIVE_STATE", "SMARTLIVE_LOCAL", "SMARTLIVE_ENDPOINT", "SMARTLIVE_STACK"):
        env.pop(name, None)
    command = [sys.executable, "-m", "reconciler", *argv]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_output_exit_code_and_state_survive_the_quick_exit(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    planned = smartlive(tmp_path, "plan", "examples", "--local", "--format", "json", "--detailed-exitcode")
    assert planned.returncode == 2, planned.stderr
    changes = json.loads(planned.stdout)["resource_changes"]  # the whole document: it parses
    assert len(changes) == 9 and planned.stderr == ""

    applied = smartlive(tmp_path, "apply", "examples", "--local", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.rstrip().endswith("0 stopped or deleted."), applied.stdout
    with sqlite3.connect(tmp_path / ".smartlive" / "state.db") as db:
        assert db.execute("SELECT count(*) FROM resources").fetchone() == (9,)

    again = smartlive(tmp_path, "plan", "examples", "--local", "--detailed-exitcode")
    assert again.returncode == 0 and "No changes" in again.stdout, again.stdout + again.stderr
    broken = smartlive(tmp_path, "plan", "no-such-directory", "--local")
    assert broken.returncode == 1 and broken.stderr.startswith("error: "), broken.stderr
