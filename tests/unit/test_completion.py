"""`smartlive completion bash|zsh|fish` (docs/install.md): the script is printed, bash accepts it, and a
TAB in a real bash completes smartlive's commands, options and choices by running smartlive itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.unit.test_startup import loaded, modules_loaded_by

REPO = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash")


@pytest.mark.parametrize(("shell", "registers"), [
    ("bash", "complete -o nospace -o default -o bashdefault -F _python_argcomplete smartlive"),
    ("zsh", "compdef _python_argcomplete smartlive"),
    ("fish", "complete --command smartlive"),
])  # fmt: skip
def test_the_script_registers_smartlive(shell: str, registers: str) -> None:
    result = run_cli("completion", shell)
    assert result.code == 0 and result.err == ""
    assert registers in result.out


def test_an_unknown_shell_is_a_usage_error() -> None:
    result = run_cli("completion", "powershell")
    assert result.code == 2 and "invalid choice: 'powershell'" in result.err


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
def test_bash_accepts_the_script(tmp_path: Path) -> None:
    script = tmp_path / "smartlive.bash"
    script.write_text(run_cli("completion", "bash").out, encoding="utf-8")
    checked = subprocess.run([str(BASH), "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert (checked.returncode, checked.stderr) == (0, "")


def tab(tmp_path: Path, line: str) -> list[str]:
    """What bash offers for a TAB at the end of `line`, through the printed script and a `smartlive` on
    PATH that is this checkout."""
    script = tmp_path / "smartlive.bash"
    script.write_text(run_cli("completion", "bash").out, encoding="utf-8")
    shim = tmp_path / "bin" / "smartlive"
    shim.parent.mkdir(exist_ok=True)
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reconciler "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    driver = (
        f'source "{script}"\n'
        'COMP_LINE="$LINE"; COMP_POINT=${#LINE}; read -r -a COMP_WORDS <<< "$LINE"\n'
        '[[ "$LINE" == *" " ]] && COMP_WORDS+=("")\n'
        "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
        '_python_argcomplete smartlive "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "LINE": line, "PATH": f"{shim.parent}:{os.environ['PATH']}", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [str(BASH), "--noprofile", "--norc", "-c", driver],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return sorted(word.strip() for word in done.stdout.splitlines() if word.strip())


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
def test_a_tab_completes_commands_options_and_choices(tmp_path: Path) -> None:
    assert tab(tmp_path, "smartlive pl") == ["plan"]
    assert tab(tmp_path, "smartlive st") == ["state"]
    assert tab(tmp_path, "smartlive plan --detailed") == ["--detailed-exitcode"]
    assert tab(tmp_path, "smartlive plan --format ") == ["json", "markdown", "text"]
    assert tab(tmp_path, "smartlive completion ") == ["bash", "fish", "zsh"]


def test_validate_does_not_load_the_completion_machinery() -> None:
    modules = modules_loaded_by("validate", "examples/")
    assert loaded(modules, ("argcomplete", "reconciler.commands.completion")) == []
