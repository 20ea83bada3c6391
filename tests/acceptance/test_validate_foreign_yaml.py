"""`smartlive validate DIR` in a repository full of other tools' YAML: files that hold no smartlive
manifest are skipped and counted in the summary line, never an error (manifest/foreign.py); a file
meant as a manifest is checked, however wrong; a file named on its own must be a manifest. Plan and
apply load the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.conftest import Workspace
from tests.cli_runner import run_cli

GROUP = """\
apiVersion: smartlive/v1
kind: InteractionRuleGroup
metadata: {name: welcome}
spec:
  interaction_rules:
    - {rule_name: hello, event_type: 2, trigger: {reply_mode: SYSTEM_REPLY, reply_texts: [hi]}}
"""

#: Other tools' YAML, each something a repository commonly holds.
FOREIGN = {
    "docker-compose.yml": "services:\n  web:\n    image: nginx\n    ports: ['80:80']\n",
    "ci/workflows/build.yaml": "name: build\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n",
    "deploy/web.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
    "ansible/site.yml": "- hosts: all\n  roles: [common]\n",
    # Tags smartlive refuses (Y007) and a syntax error: no documents to judge by, and no word of smartlive.
    "cloudformation.yaml": "Resources:\n  Bucket:\n    Properties:\n      BucketName: !Sub '${AWS::StackName}'\n",
    "broken.yaml": "key: [unclosed\n",
}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_other_tools_yaml_in_a_directory_is_skipped_and_counted(tmp_path: Path) -> None:
    write(tmp_path, {**FOREIGN, "manifests/welcome.yaml": GROUP})
    result = run_cli("validate", ".", cwd=tmp_path)
    assert (result.code, result.err) == (0, "")
    assert (
        result.out == "1 file, 1 resource: 0 errors, 0 warnings; 6 files skipped: not smartlive manifests\n"
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # A wrong apiVersion on a smartlive kind is a mistake to report, not another tool's document.
        ("apiVersion: v1\nkind: InteractionRuleGroup\nmetadata: {name: g}\nspec: {}\n", "M002"),
        ("kind: SmartLiveJob\nmetadata: {name: j}\nspec: {room_id: r}\n", "M002"),
        # A typo of a smartlive kind, whatever the apiVersion says.
        ("apiVersion: apps/v1\nkind: InteractionRuleGrop\nmetadata: {name: g}\nspec: {}\n", "M003"),
        # Another version of smartlive's apiVersion, whatever the kind.
        ("apiVersion: smartlive/v2\nkind: Deployment\nmetadata: {name: g}\nspec: {}\n", "M002"),
        # A file with a manifest in it is checked whole: the compose document beside it is an error.
        (GROUP.replace("welcome", "other") + "---\nservices: {web: {image: nginx}}\n", "M002"),
        # A file that does not parse is checked when its text names smartlive.
        ("apiVersion: smartlive/v1\nkind: InteractionRuleGroup\nmetadata: {name: [g\n", "Y004"),
        ("kind: SmartLiveRoom\nspec: !Ref x\n", "Y007"),
    ],
    ids=["wrong-api-version", "no-api-version", "kind-typo", "other-version", "mixed-file", "syntax", "tag"],
)
def test_a_file_meant_as_a_manifest_is_checked_however_wrong(tmp_path: Path, text: str, code: str) -> None:
    write(tmp_path, {**FOREIGN, "manifests/welcome.yaml": GROUP, "manifests/meant.yaml": text})
    result = run_cli("validate", ".", cwd=tmp_path)
    assert result.code == 1
    assert any(
        line.startswith("manifests/meant.yaml:") and f"error[{code}]" in line
        for line in result.out.splitlines()
    )
    assert result.out.splitlines()[-1].endswith("; 6 files skipped: not smartlive manifests")


def test_a_file_named_on_its_own_must_be_a_manifest(tmp_path: Path) -> None:
    write(tmp_path, {**FOREIGN, "manifests/welcome.yaml": GROUP})
    result = run_cli("validate", "manifests", "docker-compose.yml", cwd=tmp_path)
    assert result.code == 1
    assert result.out.splitlines() == [
        "docker-compose.yml:1:1: error[M002]: missing apiVersion: smartlive/v1",
        "docker-compose.yml:1:1: error[M003]: missing kind: one of InteractionRuleGroup, SmartLiveRoom, "
        "SmartLiveJob, InteractionRuleTest",
        "2 files, 1 resource: 2 errors, 0 warnings",
    ]
    # Named on its own and found in a directory too: named wins, whatever the order.
    again = run_cli("validate", ".", "docker-compose.yml", cwd=tmp_path)
    assert again.code == 1 and "docker-compose.yml:1:1: error[M002]" in again.out
    assert again.out.splitlines()[-1].endswith("; 5 files skipped: not smartlive manifests")


def test_a_directory_with_no_smartlive_manifest_is_y009(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "ops/docker-compose.yml": FOREIGN["docker-compose.yml"],
            "ops/site.yml": FOREIGN["ansible/site.yml"],
        },
    )
    result = run_cli("validate", "ops", cwd=tmp_path)
    assert result.code == 1
    assert result.out.splitlines() == [
        "ops:1:1: error[Y009]: no smartlive manifest in this directory (2 files skipped: not smartlive manifests)",
        "0 files, 0 resources: 1 error, 0 warnings; 2 files skipped: not smartlive manifests",
    ]


def test_a_directory_whose_manifests_were_found_first_through_another_argument_is_not_y009(
    tmp_path: Path,
) -> None:
    write(tmp_path, {**FOREIGN, "manifests/welcome.yaml": GROUP})
    result = run_cli("validate", "manifests", ".", cwd=tmp_path)
    assert (result.code, result.out) == (
        0,
        "1 file, 1 resource: 0 errors, 0 warnings; 6 files skipped: not smartlive manifests\n",
    )


def test_an_empty_file_is_still_a_warning_not_skipped(tmp_path: Path) -> None:
    write(tmp_path, {"m/welcome.yaml": GROUP, "m/todo.yaml": "# later\n"})
    result = run_cli("validate", "m", cwd=tmp_path)
    assert result.code == 0
    assert result.out.splitlines() == [
        "m/todo.yaml:1:1: warning[Y008]: no YAML document in this file",
        "2 files, 1 resource: 0 errors, 1 warning",
    ]


def test_plan_loads_the_same_way(workspace: Workspace) -> None:
    ws = workspace
    write(
        ws.manifests,
        {"docker-compose.yml": FOREIGN["docker-compose.yml"], "deploy/web.yaml": FOREIGN["deploy/web.yaml"]},
    )
    planned = ws.run("plan", "examples", *ws.target())
    assert planned.code == 0, planned.text
    assert "Plan: 9 to create," in planned.out

    # A directory of other tools' YAML only: refused, as a directory without manifests is.
    write(ws.root, {"ops/docker-compose.yml": FOREIGN["docker-compose.yml"]})
    refused = ws.run("plan", "ops", *ws.target())
    assert refused.code == 1
    assert "error[Y009]: no smartlive manifest in this directory (1 file skipped" in refused.err, refused.text
