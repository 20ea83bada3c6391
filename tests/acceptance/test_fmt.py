"""`smartlive fmt [--check] [--diff] PATH...` as a user and a CI job run it: the examples are already in
the canonical layout; a messy manifest is named by --check (exit 1), rewritten by fmt with its comments
and its data kept, and formatting twice changes nothing; other tools' YAML and broken files are never
written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

from tests.acceptance.conftest import EXAMPLES
from tests.cli_runner import run_cli

#: Everything fmt puts right: 4-space indentation, flow-style rules, the envelope out of order (spec
#: first, name after labels), a second document, and comments to keep.
MESSY = """\
# The welcome rules: keep this comment.
spec:
    interaction_rules:
    -   rule_name: hello   # greets every viewer
        event_type: 2
        trigger: {reply_mode: SYSTEM_REPLY, reply_texts: ["hi", "yes"]}
metadata:
    labels: {team: "live-ops"}
    name: welcome
kind: InteractionRuleGroup
apiVersion: smartlive/v1
---
apiVersion: smartlive/v1
metadata:
        name: thanks
kind: InteractionRuleGroup
spec:
        interaction_rules:
        - {rule_name: thanks, event_type: 3, trigger: {reply_mode: SYSTEM_REPLY, reply_texts: ["1", "null"]}}
"""

CANONICAL = """\
# The welcome rules: keep this comment.
apiVersion: smartlive/v1
kind: InteractionRuleGroup
metadata:
  name: welcome
  labels: {team: "live-ops"}
spec:
  interaction_rules:
    - rule_name: hello     # greets every viewer
      event_type: 2
      trigger: {reply_mode: SYSTEM_REPLY, reply_texts: ["hi", "yes"]}
---
apiVersion: smartlive/v1
kind: InteractionRuleGroup
metadata:
  name: thanks
spec:
  interaction_rules:
    - {rule_name: thanks, event_type: 3, trigger: {reply_mode: SYSTEM_REPLY, reply_texts: ["1", "null"]}}
"""

COMPOSE = "services:\n    web: {image: nginx, ports: ['80:80']}\n"


def messy_copy(tmp_path: Path) -> Path:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "welcome.yaml").write_text(MESSY)
    (manifests / "docker-compose.yml").write_text(COMPOSE)
    return manifests


def test_the_examples_are_in_the_canonical_layout() -> None:
    result = run_cli("fmt", "--check", str(EXAMPLES))
    assert (result.code, result.out, result.err) == (0, "", "")


def test_fmt_on_a_copy_of_the_examples_changes_nothing(tmp_path: Path) -> None:
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    before = {path: path.read_bytes() for path in copy.rglob("*.y*ml")}
    result = run_cli("fmt", str(copy))
    assert (result.code, result.out) == (0, "")
    assert {path: path.read_bytes() for path in copy.rglob("*.y*ml")} == before


def test_check_names_a_messy_file_writes_nothing_and_exits_1(tmp_path: Path) -> None:
    manifests = messy_copy(tmp_path)
    result = run_cli("fmt", "--check", str(manifests))
    assert result.code == 1
    assert result.out.splitlines() == [str(manifests / "welcome.yaml")]
    assert (manifests / "welcome.yaml").read_text() == MESSY


def test_fmt_rewrites_keeping_comments_and_data_and_a_second_run_is_a_no_op(tmp_path: Path) -> None:
    manifests = messy_copy(tmp_path)
    welcome = manifests / "welcome.yaml"
    os.chmod(welcome, 0o640)
    result = run_cli("fmt", str(manifests))
    assert (result.code, result.out.splitlines()) == (0, [str(welcome)])
    assert welcome.read_text() == CANONICAL
    assert list(yaml.safe_load_all(CANONICAL)) == list(yaml.safe_load_all(MESSY))
    assert welcome.stat().st_mode & 0o777 == 0o640
    assert not [path.name for path in manifests.iterdir() if path.name.startswith(".")]  # no temporary left
    assert run_cli("validate", str(manifests)).code == 0

    again = run_cli("fmt", str(manifests))
    assert (again.code, again.out) == (0, "")
    assert run_cli("fmt", "--check", str(manifests)).code == 0
    assert welcome.read_text() == CANONICAL


def test_diff_prints_a_unified_diff(tmp_path: Path) -> None:
    manifests = messy_copy(tmp_path)
    welcome = str(manifests / "welcome.yaml")
    result = run_cli("fmt", "--check", "--diff", welcome)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[:3] == [welcome, f"--- {welcome} (before)", f"+++ {welcome} (formatted)"]
    assert "-    interaction_rules:" in lines and "+  interaction_rules:" in lines
    assert "+    - rule_name: hello     # greets every viewer" in lines
    assert (manifests / "welcome.yaml").read_text() == MESSY


def test_other_tools_yaml_in_a_directory_is_left_alone(tmp_path: Path) -> None:
    manifests = messy_copy(tmp_path)
    run_cli("fmt", str(manifests))
    assert (manifests / "docker-compose.yml").read_text() == COMPOSE


def test_a_broken_file_is_one_error_line_exit_1_and_untouched(tmp_path: Path) -> None:
    manifests = messy_copy(tmp_path)
    broken = manifests / "broken.yaml"
    text = "apiVersion: smartlive/v1\nkind: InteractionRuleGroup\nmetadata: {name: [unclosed\n"
    broken.write_text(text)
    result = run_cli("fmt", str(manifests))
    assert result.code == 1
    assert len(result.err.splitlines()) == 1
    assert result.error_lines[0].startswith(f"error: {broken}: ")
    assert broken.read_text() == text
    # The other files are still formatted.
    assert (manifests / "welcome.yaml").read_text() == CANONICAL


def test_a_file_that_is_not_utf8_is_reported_and_untouched(tmp_path: Path) -> None:
    latin1 = tmp_path / "rules.yaml"
    data = "apiVersion: smartlive/v1\nkind: InteractionRuleGroup\nmetadata:\n    name: caf\xe9\n".encode(
        "latin-1"
    )
    latin1.write_bytes(data)
    result = run_cli("fmt", str(latin1))
    assert result.code == 1
    assert result.error_lines == [
        f"error: {latin1}: 4:14: not UTF-8: byte 0xe9 cannot be decoded; save the file as UTF-8"
    ]
    assert latin1.read_bytes() == data


def test_the_project_file_is_laid_out_too_walked_or_named(tmp_path: Path) -> None:
    """smartlive.yaml is not a manifest, but `terraform fmt` users expect every file of the tool's own
    formatted: fmt lays it out as a manifest (envelope first, 2-space indent), comments kept."""
    manifests = tmp_path / "manifests"
    shutil.copytree(EXAMPLES / "rule-groups", manifests)  # no ${var:}: this project file defines none
    project = manifests / "smartlive.yaml"
    project.write_text(
        "kind: Project   # the envelope goes first\napiVersion: smartlive/v1\nenvironments:\n"
        "    staging: {local: true}\n",
        encoding="utf-8",
    )
    check = run_cli("fmt", "--check", str(manifests))
    assert check.code == 1 and check.out.splitlines() == [str(project)], check.text
    assert run_cli("fmt", "--check", str(project)).code == 1  # named on its own
    assert run_cli("fmt", str(manifests)).code == 0
    assert project.read_text(encoding="utf-8") == (
        "apiVersion: smartlive/v1\nkind: Project   # the envelope goes first\nenvironments:\n"
        "  staging: {local: true}\n"
    )
    assert run_cli("validate", str(manifests), "--env", "staging").code == 0
    assert run_cli("fmt", "--check", str(manifests)).code == 0
