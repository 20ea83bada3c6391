"""The pre-commit hook (.pre-commit-hooks.yaml) in a repository that uses it: a commit that stages only
a new group whose name a committed file already uses is refused, because the hook validates the whole
set (pass_filenames: false, the root in args), not the staged files; other tools' YAML in the
repository (a workflow, a docker-compose.yml) does not fail it.

With pre-commit installed (the dev extras), the real `pre-commit run` and `git commit`, the hook taken
from .pre-commit-hooks.yaml as written, except that it runs this checkout's smartlive (language
`system`) instead of installing it into an environment of its own, which needs the network. Without
pre-commit, what it would run (entry + args, once, in the repository's root) is run directly."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
HOOK: dict[str, Any] = next(
    hook
    for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    if hook["id"] == "smartlive-validate"
)
#: The hook's `smartlive`, as this checkout: the venv's console script may be another checkout's.
SMARTLIVE = f"{shlex.quote(sys.executable)} -m reconciler"

GROUP = """\
apiVersion: smartlive/v1
kind: InteractionRuleGroup
metadata:
  name: {name}
spec:
  interaction_rules:
    - {{rule_name: hello, event_type: 2, trigger: {{reply_mode: SYSTEM_REPLY, reply_texts: [hi]}}}}
"""
OTHER_TOOLS = {
    ".github/workflows/ci.yaml": "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n",
    "docker-compose.yml": "services:\n  web:\n    image: nginx\n",
}


def environment(home: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "PRE_COMMIT_HOME": str(home / "pre-commit-home"),
        "PRE_COMMIT_COLOR": "never",
    }
    env.pop("GIT_DIR", None)
    return env


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo, env=environment(repo.parent), capture_output=True, text=True, check=True
    )


def write(repo: Path, name: str, text: str) -> None:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with one committed group, `welcome`, beside other tools' YAML."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "manifests/welcome.yaml", GROUP.format(name="welcome"))
    for name, text in OTHER_TOOLS.items():
        write(root, name, text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the first group")
    return root


def test_the_hook_validates_the_whole_set_from_a_root() -> None:
    assert HOOK["entry"] == "smartlive validate"
    assert HOOK["pass_filenames"] is False and HOOK["args"] == ["."]
    files = re.compile(HOOK["files"])
    assert all(files.search(name) for name in ("a.yaml", "m/b.yml", ".github/workflows/ci.yaml"))
    assert not files.search("README.md")


def run_hook_as_pre_commit_would(repo: Path) -> subprocess.CompletedProcess[str] | None:
    """None when no staged file matches `files` (pre-commit skips the hook); else its one run."""
    staged = git(repo, "diff", "--cached", "--name-only", "--diff-filter=ACMRTUXB").stdout.split()
    if not any(re.search(HOOK["files"], name) for name in staged):
        return None
    command = [*shlex.split(SMARTLIVE), *HOOK["entry"].split()[1:], *HOOK["args"]]
    return subprocess.run(command, cwd=repo, env=environment(repo.parent), capture_output=True, text=True)


def test_a_partial_commit_is_checked_against_the_whole_set(repo: Path) -> None:
    write(repo, "manifests/welcome2.yaml", GROUP.format(name="welcome"))  # the name is taken
    git(repo, "add", "manifests/welcome2.yaml")
    ran = run_hook_as_pre_commit_would(repo)
    assert ran is not None and ran.returncode == 1
    assert ran.stdout.splitlines() == [
        "manifests/welcome2.yaml:4:9: error[S001]: InteractionRuleGroup 'welcome' is already declared at "
        "manifests/welcome.yaml:1 (at metadata.name)",
        "2 files, 2 resources: 1 error, 0 warnings; 1 file skipped: not smartlive manifests",
    ]

    write(repo, "manifests/welcome2.yaml", GROUP.format(name="greeting"))
    git(repo, "add", "manifests/welcome2.yaml")
    ran = run_hook_as_pre_commit_would(repo)
    assert ran is not None and ran.returncode == 0, ran.stdout


def pre_commit() -> list[str]:
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    found = shutil.which("pre-commit")
    if found is None:
        pytest.skip("pre-commit is not installed (pip install -e '.[dev]')")
    return [found]


def use_the_hook(repo: Path) -> None:
    """.pre-commit-config.yaml with the hook as .pre-commit-hooks.yaml defines it, run locally."""
    hook = {**HOOK, "language": "system", "entry": HOOK["entry"].replace("smartlive", SMARTLIVE, 1)}
    write(repo, ".pre-commit-config.yaml", yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}))
    git(repo, "add", ".pre-commit-config.yaml")
    git(repo, "commit", "-q", "-m", "pre-commit")
    subprocess.run(
        [*pre_commit(), "install"], cwd=repo, env=environment(repo.parent), check=True, capture_output=True
    )


def test_pre_commit_refuses_a_commit_of_a_duplicate_name_in_an_unstaged_file(repo: Path) -> None:
    use_the_hook(repo)
    env = environment(repo.parent)
    write(repo, "manifests/welcome2.yaml", GROUP.format(name="welcome"))
    git(repo, "add", "manifests/welcome2.yaml")

    ran = subprocess.run([*pre_commit(), "run"], cwd=repo, env=env, capture_output=True, text=True)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert re.search(r"smartlive validate\.+Failed", ran.stdout), ran.stdout
    assert (
        "manifests/welcome2.yaml:4:9: error[S001]: InteractionRuleGroup 'welcome' is already declared at "
        "manifests/welcome.yaml:1 (at metadata.name)"
    ) in ran.stdout

    committed = subprocess.run(
        ["git", "commit", "-m", "greeting"], cwd=repo, env=env, capture_output=True, text=True
    )
    # git runs the hook with its output on standard error.
    assert committed.returncode == 1 and "error[S001]" in committed.stderr, (
        committed.stdout + committed.stderr
    )
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "2", "nothing was committed"

    # Fixed: the commit goes through; other tools' YAML never failed it.
    write(repo, "manifests/welcome2.yaml", GROUP.format(name="greeting"))
    git(repo, "add", "manifests/welcome2.yaml")
    committed = subprocess.run(
        ["git", "commit", "-m", "greeting"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert committed.returncode == 0, committed.stdout + committed.stderr
    assert re.search(r"smartlive validate\.+Passed", committed.stderr), committed.stderr


def test_pre_commit_checks_what_is_staged_not_an_unstaged_edit(repo: Path) -> None:
    """pre-commit sets unstaged edits aside while hooks run: an edit not in the commit cannot fail it."""
    use_the_hook(repo)
    env = environment(repo.parent)
    write(repo, "manifests/welcome2.yaml", GROUP.format(name="greeting"))
    git(repo, "add", "manifests/welcome2.yaml")
    write(repo, "manifests/welcome.yaml", GROUP.format(name="greeting"))  # not staged
    committed = subprocess.run(
        ["git", "commit", "-m", "greeting"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert committed.returncode == 0, committed.stdout + committed.stderr
    assert (repo / "manifests/welcome.yaml").read_text() == GROUP.format(name="greeting"), "the edit is kept"
