"""The example workflows (examples/ci/.github/workflows/) use the action as action.yml declares it.

actionlint checks a local action's inputs and outputs (`uses: ./`) against its action.yml: the examples
are linted in a copy where they use this checkout's action, so an input they pass that action.yml does not
declare, or an output they read that it does not give, fails here. `make lint` lints them as they are.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from reconciler import __version__

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / "examples" / "ci" / ".github" / "workflows"
#: How the examples name the action: this repository, at the release the docs name.
USES = re.compile(r"uses: your-org/smartlive@(\S+)")
ACTIONLINT = Path(sys.executable).with_name("actionlint")


def test_there_are_the_three_workflows_and_each_uses_this_release() -> None:
    names = sorted(path.name for path in WORKFLOWS.glob("*.yml"))
    assert names == ["smartlive-apply.yml", "smartlive-checks.yml", "smartlive-plan.yml"]
    for path in WORKFLOWS.glob("*.yml"):
        versions = set(USES.findall(path.read_text(encoding="utf-8")))
        assert versions == {f"v{__version__}"}, path.name


def test_actionlint_finds_nothing_with_the_action_resolved_to_action_yml(tmp_path: Path) -> None:
    assert ACTIONLINT.exists(), "actionlint is installed by the dev extra: pip install -e '.[dev]'"
    (tmp_path / ".git").mkdir()  # actionlint resolves `./` from the repository root
    shutil.copy(REPO / "action.yml", tmp_path / "action.yml")
    copies = tmp_path / ".github" / "workflows"
    copies.mkdir(parents=True)
    for path in WORKFLOWS.glob("*.yml"):
        text = USES.sub("uses: ./", path.read_text(encoding="utf-8"))
        (copies / path.name).write_text(text, encoding="utf-8")

    done = subprocess.run(
        [str(ACTIONLINT), "-shellcheck=", "-pyflakes=", "-no-color", "-oneline"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, ""), done.stdout + done.stderr


def test_actionlint_would_catch_an_input_the_action_does_not_declare(tmp_path: Path) -> None:
    """The check above can fail: the same run on a workflow passing an undeclared input."""
    (tmp_path / ".git").mkdir()
    shutil.copy(REPO / "action.yml", tmp_path / "action.yml")
    workflow = tmp_path / ".github" / "workflows" / "w.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: ./\n        with:\n          command: plan\n          plan-out: x\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [str(ACTIONLINT), "-no-color", "-oneline"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1 and 'input "plan-out" is not defined' in done.stdout


def documented(section: str) -> list[str]:
    """The first column of the table under `## SECTION` in docs/ci.md."""
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z-]+)` \|", body, flags=re.MULTILINE)


def test_docs_list_every_input_and_output_action_yml_declares() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert documented("Inputs") == list(action["inputs"])
    assert documented("Outputs") == list(action["outputs"])
