"""`smartlive validate` as a user runs it: output, exit codes, the invalid corpus, no tracebacks."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli import main
from tests.example_project import manifest_files

REPO = Path(__file__).resolve().parents[2]
INVALID = REPO / "tests" / "data" / "invalid"
CORPUS = sorted(INVALID.glob("*.yaml"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def expected_lines(path: Path, shown_as: str) -> list[str]:
    with open(path, "rb") as stream:  # one corpus file is deliberately not UTF-8
        header = [
            line.decode("utf-8") for line in stream.read().splitlines() if line.startswith(b"# expect: ")
        ]
    return [line.removeprefix("# expect: ").replace("FILE", shown_as) for line in header]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """validate needs no network and no credentials: any socket use fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("validate opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    for name in list(os.environ):
        if name.startswith(("SMARTLIVE_", "HUAWEICLOUD_", "CLOUD_SDK_")):
            monkeypatch.delenv(name)


def test_examples_are_valid(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = run(capsys, "examples")
    files = len(manifest_files(REPO / "examples"))
    assert (code, err) == (0, "")
    assert re.fullmatch(rf"{files} files, \d+ resources: 0 errors, 0 warnings\n", out)


def test_corpus_has_one_file_per_error_class() -> None:
    assert len(CORPUS) >= 30
    for path in CORPUS:
        assert expected_lines(path, "FILE"), f"{path.name} has no '# expect:' line"


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_invalid_corpus(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, path: Path
) -> None:
    monkeypatch.chdir(REPO)
    shown = str(path.relative_to(REPO))
    code, out, err = run(capsys, shown)
    *diagnostics, summary = out.splitlines()
    assert code == 1
    assert diagnostics == expected_lines(path, shown)
    assert summary.startswith("1 file, ") and " 0 errors" not in summary
    assert err == ""


def test_corpus_through_the_real_process_no_traceback() -> None:
    """One subprocess for the whole corpus: the console entry point, real exit code, real stderr."""
    shown = [str(p.relative_to(REPO)) for p in CORPUS]
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", *shown],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr and proc.stderr == ""
    expected = [line for p, s in zip(CORPUS, shown, strict=True) for line in expected_lines(p, s)]
    diagnostics = proc.stdout.splitlines()[:-1]
    # Together, the set checks compare all files (corpus files reuse names, so an S001 may name another
    # file as the first declaration): compare position, severity and code, "FILE:L:C: error[CODE]".
    located = {line.split("]:", 1)[0] for line in diagnostics}
    assert {line.split("]:", 1)[0] for line in expected} <= located
    assert proc.stdout.splitlines()[-1].startswith(f"{len(CORPUS)} files, ")


def test_generated_error_classes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with open(big, "wb") as stream:
        stream.truncate(11 * 1024 * 1024)
    (tmp_path / "empty").mkdir()
    code, out, _ = run(capsys, str(big), str(tmp_path / "missing.yaml"), str(tmp_path / "empty"))
    assert code == 1
    assert out.splitlines() == [
        f"{tmp_path / 'missing.yaml'}:1:1: error[Y001]: no such file or directory",
        f"{tmp_path / 'empty'}:1:1: error[Y009]: no .yaml or .yml file in this directory",
        f"{big}:1:1: error[Y002]: file is larger than 10 MiB; not read",
        "1 file, 0 resources: 3 errors, 0 warnings",
    ]


def test_warnings_alone_exit_0(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(
        "apiVersion: smartlive/v1\nkind: SmartLiveJob\nmetadata: {name: j}\n"
        "spec:\n  room_id: r\n  video_config: {width: 1920, height: 1080, bitrate: 4000, frame_rate: '30'}\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, str(path))
    assert code == 0
    assert out.splitlines() == [
        f"{path}:6:72: warning[J003]: live video runs at 25 fps whatever frame_rate says (at spec.video_config.frame_rate)",
        "1 file, 1 resource: 0 errors, 1 warning",
    ]


def test_json_format(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = run(capsys, "--format", "json", "tests/data/invalid/m007-out-of-range.yaml")
    assert code == 1
    assert json.loads(out) == [
        {
            "file": "tests/data/invalid/m007-out-of-range.yaml",
            "line": 17,
            "column": 19,
            "path": "spec.interaction_rules[3].hit_condition.priority",
            "code": "M007",
            "severity": "error",
            "message": "Input should be less than or equal to 999",
        }
    ]
    code, out, _ = run(capsys, "--format", "json", "examples")
    assert (code, json.loads(out)) == (0, [])


def test_github_format(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = run(capsys, "--format", "github", "tests/data/invalid/r008-layer-config-missing.yaml")
    assert code == 1
    assert out.splitlines() == [
        "::error file=tests/data/invalid/r008-layer-config-missing.yaml,line=15,col=23,title=smartlive R008::"
        "[R008] layer_type VIDEO needs video_config (at spec.interaction_rules[0].trigger.layer_config.layer_type)",
        "::warning file=tests/data/invalid/r008-layer-config-missing.yaml,line=16,col=11,title=smartlive R009::"
        "[R009] image_config is ignored on a layer of layer_type VIDEO "
        "(at spec.interaction_rules[0].trigger.layer_config.image_config)",
    ]


def test_github_format_escapes_newlines_and_percent(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "a,b%.yaml"
    path.write_text("a: 1\n  b: 2\n", encoding="utf-8")
    _, out, _ = run(capsys, "--format", "github", str(path))
    (line,) = out.splitlines()
    assert line.startswith(f"::error file={str(path).replace('%', '%25').replace(',', '%2C')},line=2,col=4,")


@pytest.mark.parametrize("argv", [["--format", "xml", "examples"], ["--nope", "examples"]])
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["validate", *argv])
    assert exited.value.code == 2
    assert "usage: smartlive" in capsys.readouterr().err


def test_no_path_and_no_project_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PATH may be left out where a smartlive.yaml lists the paths (docs/environments.md); elsewhere it
    is still required, with exit 2."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys)
    assert code == 2
    assert err.startswith("error: name the manifests (PATH...)") and "smartlive.yaml" in err


def test_installed_console_script() -> None:
    script = Path(sys.executable).with_name("smartlive")
    if not script.exists():
        pytest.skip("console script not installed in this environment")
    proc = subprocess.run(
        [str(script), "validate", "examples"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and proc.stdout.endswith("0 errors, 0 warnings\n")


RULE_TEST = """apiVersion: smartlive/v1
kind: InteractionRuleTest
metadata: {{name: t}}
spec:
  group: faq
  events:
    - at: {value}
      type: comment
      content: {{user: {{userId: "1"}}, content: hi}}
"""
OTHER = "apiVersion: smartlive/v1\nkind: InteractionRuleGroup\nmetadata: {name: g}\nspec: {interaction_rules: 5}\n"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (".inf", "at: at most 4102415999 seconds (the latest time an event may have)"),
        ("-.inf", "at: must be a number of seconds, 0 or more"),
        (".nan", "at: must be a number of seconds, 0 or more"),
        ("1e400", "at: at most 4102415999 seconds (the latest time an event may have)"),
        ("1.0e308", "at: at most 4102415999 seconds (the latest time an event may have)"),
        ("9" * 400, "at: at most 4102415999 seconds (the latest time an event may have)"),
        ("'+" + "9" * 400 + "s'", "at: at most 4102415999 seconds (the latest time an event may have)"),
        ("{int: 1}", "Input should be a valid integer, a valid number or a valid string"),
    ],
)
def test_any_value_the_yaml_loader_makes_is_one_diagnostic_and_hides_no_other_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, value: str, message: str
) -> None:
    """`at: .inf` (or 1e400, 1.0e308) raised OverflowError: a traceback, and no other file's diagnostics."""
    (tmp_path / "a-test.yaml").write_text(RULE_TEST.format(value=value), encoding="utf-8")
    (tmp_path / "b-group.yaml").write_text(OTHER, encoding="utf-8")
    code, out, err = run(capsys, str(tmp_path))
    assert (code, err) == (1, "")
    mapping = value.startswith("{")
    test_file, group_file = tmp_path / "a-test.yaml", tmp_path / "b-group.yaml"
    assert out.splitlines() == [
        # A mapping is pointed at by its key (`at:`), a scalar at the value itself.
        f"{test_file}:7:{7 if mapping else 11}: error[M00{6 if mapping else 7}]: {message} (at spec.events[0].at)",
        f"{group_file}:4:27: error[M006]: Input should be a valid list (at spec.interaction_rules)",
        "2 files, 0 resources: 2 errors, 0 warnings",
    ]


def test_a_check_that_fails_costs_only_its_document(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in one kind's checks is M012 at that document, never a traceback that hides the rest."""
    from reconciler.manifest import lint_jobs

    def broken(spec: object) -> object:
        raise OverflowError("sk-literal-secret-value")

    monkeypatch.setattr(lint_jobs, "lint_live_job", broken)
    from reconciler.kinds import live_job

    monkeypatch.setattr(live_job, "lint_live_job", broken, raising=False)
    # The examples with a broken manifest among them: one set, under the examples' project file.
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    shutil.copy(INVALID / "m004-unknown-field.yaml", tmp_path / "examples" / "m004-unknown-field.yaml")
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "examples")
    assert code == 1 and err == ""
    lines = out.splitlines()
    m012 = [line for line in lines if "[M012]" in line]
    assert m012 and all(
        line.endswith(
            "error[M012]: smartlive failed to check this document (OverflowError); please report it"
        )
        for line in m012
    )
    assert any("[M004]" in line for line in lines)  # the other files are still checked
    assert "sk-literal-secret-value" not in out  # the exception's text may quote the manifest
