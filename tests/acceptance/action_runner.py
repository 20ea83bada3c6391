"""action.yml's steps run the way a GitHub runner runs a composite action, minus the network.

Each `run:` step is written to a script and run as `bash --noprofile --norc -eo pipefail SCRIPT` (the
runner's `shell: bash`), in its working directory, with the variables a runner sets (GITHUB_OUTPUT and
GITHUB_STEP_SUMMARY files, GITHUB_ACTION_PATH, RUNNER_TEMP, ...) and the step's `env:`, its
`${{ ... }}` expressions evaluated from the inputs and the earlier steps' outputs. The action's outputs
are then evaluated from its `outputs:` section.

Two steps are not run: actions/setup-python (a `uses:` step) and `install` (action/install.sh: a pip
install from the network). In their place smartlive is this checkout, run by this interpreter, as
install.sh's `python` output would name the environment it made (tests/unit/test_wheel.py shows the
package installs and runs from a wheel). An expression this runner does not know fails the test, so
action.yml stays within what is checked here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
ACTION = REPO / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
#: Steps the runner here does not run (see the module docstring), by id; a `uses:` step is never run.
NOT_RUN = {"install"}


@dataclass
class ActionRun:
    code: int
    out: str
    err: str
    outputs: dict[str, str]
    summary: str

    @property
    def annotations(self) -> list[str]:
        return [line for line in self.out.splitlines() if line.startswith(("::error ", "::warning "))]

    def everything(self) -> str:
        """All the action showed anyone: its log, its outputs, its summary and the files it wrote."""
        files = [Path(self.outputs[name]) for name in ("markdown-file",) if self.outputs.get(name)]
        written = "".join(path.read_text(encoding="utf-8") for path in files if path.is_file())
        return self.out + self.err + repr(self.outputs) + self.summary + written


def read_outputs(path: Path) -> dict[str, str]:
    """A step's GITHUB_OUTPUT file: `name=value` lines and `name<<DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            for inner in lines:
                if inner == delimiter:
                    break
                value.append(inner)
            outputs[name] = "\n".join(value)
        elif line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


def evaluate(text: str, context: dict[str, Any]) -> str:
    """`${{ a.b.c }}` references in `text`, from `context` (a missing output is empty, as on a runner)."""

    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        assert re.fullmatch(r"[a-z]+(\.[A-Za-z0-9_-]+)+", expression), f"not a plain reference: {expression}"
        scope, *keys = expression.split(".")
        found: Any = context[scope]
        for key in keys:
            found = found.get(key, "") if isinstance(found, dict) else ""
        return str(found)

    return EXPRESSION.sub(value, text)


def runner_env(workspace: Path, temp: Path, extra: dict[str, str]) -> dict[str, str]:
    """The job's environment: this process's (PATH, HOME), none of a real runner's GITHUB_* variables,
    the ones a runner sets for every step, and the job's own `extra`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GITHUB_", "RUNNER_"))}
    env.pop("SMARTLIVE_STATE", None)
    env.update(
        CI="true",
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_ACTION_PATH=str(REPO),
        GITHUB_REPOSITORY="your-org/manifests",
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_SHA="0" * 40,
        RUNNER_OS="Linux",
        RUNNER_TEMP=str(temp),
        # The checkout is the installed smartlive (see the module docstring).
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


def run_action(workspace: Path, inputs: dict[str, str], env: dict[str, str] | None = None) -> ActionRun:
    """The action in a job whose workspace is `workspace`, with `inputs` (as a workflow's `with:`)."""
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    declared = action["inputs"]
    unknown = set(inputs) - set(declared)
    assert not unknown, f"inputs action.yml does not declare: {sorted(unknown)}"
    temp = workspace.parent / "runner-temp"
    temp.mkdir(exist_ok=True)
    job_env = runner_env(workspace, temp, env or {})
    summary_file = temp / "step-summary.md"
    summary_file.unlink(missing_ok=True)
    context: dict[str, Any] = {
        "inputs": {name: inputs.get(name, spec.get("default", "")) for name, spec in declared.items()},
        "github": {"action_path": str(REPO), "workspace": str(workspace)},
        "steps": {"install": {"outputs": {"python": sys.executable}}},
    }
    code, out, err = 0, "", ""
    for number, step in enumerate(action["runs"]["steps"]):
        if "uses" in step or step.get("id") in NOT_RUN:
            continue
        output_file = temp / f"output-{number}"
        output_file.write_text("", encoding="utf-8")
        script = temp / f"step-{number}.sh"
        script.write_text(step["run"], encoding="utf-8")
        step_env = {
            **job_env,
            **{name: evaluate(str(value), context) for name, value in step.get("env", {}).items()},
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(summary_file),
            "GITHUB_PATH": str(temp / "path"),
            "GITHUB_ENV": str(temp / "env"),
        }
        cwd = workspace / evaluate(step.get("working-directory", "."), context)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        out, err, code = out + done.stdout, err + done.stderr, done.returncode
        context["steps"][step["id"]] = {"outputs": read_outputs(output_file)}
        if code != 0:
            break  # a failed step ends a composite action
    outputs = {name: evaluate(spec["value"], context) for name, spec in action.get("outputs", {}).items()}
    summary = summary_file.read_text(encoding="utf-8") if summary_file.exists() else ""
    return ActionRun(code, out, err, {k: v for k, v in outputs.items() if v}, summary)
