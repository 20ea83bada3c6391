"""`pip install` of the wheel `python -m build` makes (docs/install.md): the wheel is built from a copy of
the sources, installed into a fresh virtual environment that has nothing else, and its `smartlive` runs.

Offline and quick (about 5 s on the 2-core machine): the build uses the backend installed here (`--no-isolation`, as the
dev extra installs it), and the wheel is installed without its dependencies; `smartlive --version` needs
none, and `validate` then borrows them from this environment (PYTHONPATH), so that it runs the wheel's
own code on the examples.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from reconciler import __version__

REPO = Path(__file__).resolve().parents[2]
#: What the build reads: pyproject.toml names README.md as the long description.
SOURCES = ("pyproject.toml", "README.md", "reconciler")


def run(*argv: str | Path, cwd: Path | None = None, path: str = "") -> subprocess.CompletedProcess[str]:
    """ARGV with this environment's variables, except PYTHONPATH: only `path` (the checkout, whose
    smartlive.egg-info says "installed", must not be seen by pip or by the wheel's smartlive)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    if path:
        env["PYTHONPATH"] = path
    return subprocess.run(
        [str(arg) for arg in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=True
    )


def test_the_wheel_installs_into_a_fresh_venv_and_runs(tmp_path: Path) -> None:
    started = time.monotonic()
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(REPO / name, source / name)
    run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp_path / "dist", source)
    (wheel,) = (tmp_path / "dist").glob("smartlive-*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel)

    version = run(venv / "bin" / "smartlive", "--version", cwd=tmp_path)
    assert version.stdout == f"smartlive {__version__}\n"

    dependencies = sysconfig.get_paths()["purelib"]
    # Away from the checkout: `python -c` looks in the working directory first.
    where = run(
        python, "-c", "import reconciler; print(reconciler.__file__)", cwd=tmp_path, path=dependencies
    )
    assert Path(where.stdout.strip()).is_relative_to(venv), "the wheel's code, not this checkout's"
    checked = run(venv / "bin" / "smartlive", "validate", REPO / "examples", cwd=tmp_path, path=dependencies)
    assert checked.stdout.endswith(": 0 errors, 0 warnings\n")
    # The schemas' descriptions come from a data file (api/field_docs.json): the wheel carries it.
    schema = run(venv / "bin" / "smartlive", "schema", cwd=tmp_path, path=dependencies)
    assert schema.stdout == (REPO / "schemas" / "smartlive.json").read_text(encoding="utf-8")
    assert time.monotonic() - started < 30
