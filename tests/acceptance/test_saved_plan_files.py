"""Saved plan files a user or a tool has damaged, and `plan --out` to a place a file cannot go.

Every mutation of a real saved plan (a key removed, a value of another type, the file cut short, not
JSON, another JSON value, another format version) is refused by `apply FILE` with one line, `error: FILE
is not a readable saved plan: ...`, exit 1, before anything is read or locked: never a traceback."""

from __future__ import annotations

import copy
import json
import os
import shlex
import shutil
from collections.abc import Iterator
from contextlib import chdir
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import UserError
from reconciler.runs import planfile
from tests.acceptance.conftest import EXAMPLES, SECRETS
from tests.cli_runner import Result, run_cli

#: (path into the file, how the value may be broken): each key apply reads, and values of other types.
WRONG_TYPES: dict[str, list[Any]] = {
    "kind": [None, 1, "smartlive-plan-2", ["smartlive-plan"]],
    "format_version": [None, 2.0, "1.0", "2.1", ""],
    "target": [None, 1, ["x"], {}],
    "stack": [None, 1, "", "a\nb", "x" * 129, ["shop"]],
    "live_fingerprint": [None, 1, True, []],
    "manifest_digest": [None, 1.5, {}],
    "paths": [None, "examples", [], [1], [None], {"0": "examples"}],
    "options": [None, "prune", [], 1],
    "options.prune": [None, "no", 0, 1, "false", []],
    "options.targets": [None, "InteractionRuleGroup/welcome", [1], {}],
    "options.replace": [None, "x", [None], 1],
    "plan": [None, "plan", [], 1],
    "plan.resource_changes": [None, {}, "x", 1, [1], [None]],
    "plan.resource_changes.0.address": [None, 1, ["a"]],
    "plan.resource_changes.0.actions": [None, "create", [1], {}],
    "secret_references": [None, [], "x", {"a": "x"}, {"a": [1]}, {"key\nwith a line break": 1}],
    "where": [None, "local", []],
    "where.endpoint": [None, 1, []],
    "where.project_id": [None, 7],
    "where.local": [None, "true", 1, "yes"],
}
#: Keys whose absence alone makes the file unreadable (the others' absence is in WRONG_TYPES as None
#: where a value is required; here removal itself is the mutation).
REMOVABLE = sorted(WRONG_TYPES)


@pytest.fixture(scope="module")
def saved_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real saved plan: the examples planned against the embedded emulator, as parsed JSON."""
    root = tmp_path_factory.mktemp("saved-plan")
    shutil.copytree(EXAMPLES, root / "examples")
    with chdir(root):
        result = run("plan", "examples", "--local", "--out", "plan.out")
    assert result.code == 0, result.text
    body: dict[str, Any] = json.loads((root / "plan.out").read_text(encoding="utf-8"))
    assert body["plan"]["resource_changes"], "the plan should have changes to mutate"
    return body


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    for name in ("SMARTLIVE_STATE", "SMARTLIVE_LOCAL", "SMARTLIVE_STACK", "SMARTLIVE_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    yield tmp_path


def run(*argv: str) -> Result:
    return run_cli(*argv)


def _parent(body: Any, dotted: str) -> tuple[Any, str | int]:
    *head, last = dotted.split(".")
    node = body
    for part in head:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node, int(last) if isinstance(node, list) else last


def mutated(body: dict[str, Any], dotted: str, value: Any = ..., *, remove: bool = False) -> dict[str, Any]:
    copied = copy.deepcopy(body)
    node, key = _parent(copied, dotted)
    if remove:
        del node[key]
    else:
        node[key] = value
    return copied


def assert_refused_as_unreadable(workdir: Path, text: str | bytes) -> str:
    path = workdir / "plan.out"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    result = run("apply", "plan.out", "--auto-approve")
    assert result.code == 1, result.text
    assert result.out == ""
    assert result.err.startswith("error: plan.out is not a readable saved plan: "), result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err, result.err
    assert not (workdir / ".smartlive").exists()  # refused before the store or the target was touched
    return result.err


@pytest.mark.parametrize(
    ("dotted", "value"),
    [(dotted, value) for dotted, values in WRONG_TYPES.items() for value in values],
    ids=lambda v: repr(v)[:30],
)
def test_a_value_of_another_type_is_refused_in_one_line(
    saved_plan: dict[str, Any], workdir: Path, dotted: str, value: Any
) -> None:
    err = assert_refused_as_unreadable(workdir, json.dumps(mutated(saved_plan, dotted, value)))
    if dotted not in ("kind", "format_version"):
        assert dotted.split(".")[0] in err  # says which key


@pytest.mark.parametrize("dotted", REMOVABLE)
def test_a_missing_key_is_refused_in_one_line(saved_plan: dict[str, Any], workdir: Path, dotted: str) -> None:
    assert_refused_as_unreadable(workdir, json.dumps(mutated(saved_plan, dotted, remove=True), indent=2))


@pytest.mark.parametrize("fraction", [0.01, 0.1, 0.25, 0.5, 0.75, 0.99])
def test_a_file_cut_short_is_refused_as_not_json(
    saved_plan: dict[str, Any], workdir: Path, fraction: float
) -> None:
    text = json.dumps(saved_plan, indent=2, sort_keys=True)
    cut = text[: max(int(len(text) * fraction), text.index('"live_fingerprint"') + 20)]
    assert "not JSON: " in assert_refused_as_unreadable(workdir, cut)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ("list", "it holds an array, not a JSON object"),
        ("string", "it holds a string, not a JSON object"),
        ("not json", "not JSON: "),
        ("not utf-8", "not UTF-8"),
        ("nested too deeply", "not JSON"),
    ],
)
def test_other_shapes_are_refused_in_one_line(
    saved_plan: dict[str, Any], workdir: Path, shape: str, expected: str
) -> None:
    text = json.dumps(saved_plan, sort_keys=True)
    body: str | bytes = {
        "list": json.dumps([saved_plan]),
        "string": json.dumps(planfile.KIND),
        "not json": "kind: smartlive-plan\n" + text.replace('{"', "{'", 1),
        "not utf-8": text.encode() + b"\xff\xfe",
        "nested too deeply": '{"kind": "smartlive-plan", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
    }[shape]
    assert expected in assert_refused_as_unreadable(workdir, body)


def test_an_unchanged_saved_plan_is_still_read(saved_plan: dict[str, Any], workdir: Path) -> None:
    """The reader's control: the file as plan wrote it, and keys it does not know, are accepted."""
    path = workdir / "plan.out"
    path.write_text(json.dumps({**saved_plan, "comment": "added by hand"}), encoding="utf-8")
    loaded = planfile.load(path)
    assert loaded.stack == saved_plan["stack"] and loaded.paths == tuple(saved_plan["paths"])
    assert loaded.actions == {c["address"]: c["actions"] for c in saved_plan["plan"]["resource_changes"]}


@pytest.mark.parametrize("where", ["missing/plan.out", "a-directory"])
def test_plan_out_to_a_place_no_file_can_go_is_one_line_and_leaves_nothing(workdir: Path, where: str) -> None:
    shutil.copytree(EXAMPLES, workdir / "examples")
    (workdir / "a-directory").mkdir()
    before = sorted(p.relative_to(workdir) for p in workdir.rglob("*"))
    result = run("plan", "examples", "--local", "--out", where)
    assert result.code == 1, result.text
    assert result.out == ""  # refused before anything was read: no plan printed and then lost
    reason = "there is no directory missing" if where.startswith("missing") else "it is a directory"
    assert result.err.startswith(f"error: cannot save the plan to {where}: {reason}"), result.err
    assert result.err.count("\n") == 1
    assert sorted(p.relative_to(workdir) for p in workdir.rglob("*")) == before  # no stray .tmp, no store


def test_a_failed_save_leaves_no_temporary_file(
    saved_plan: dict[str, Any], workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails after the checks (a full disk, say): one line, and no `.tmp` left behind."""

    def full_disk(_src: object, _dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    saved = planfile.SavedPlan(
        target="t", stack="s", live_fingerprint="f", manifest_digest="d", paths=("x",), prune=False,
        targets=(), plan=saved_plan["plan"],
    )  # fmt: skip
    with pytest.raises(UserError, match=r"^cannot save the plan to .*plan\.out: No space left on device$"):
        planfile.save(workdir / "plan.out", saved)
    assert list(workdir.iterdir()) == []


def test_the_hint_after_plan_out_applies_the_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`plan --out` ends with the command that applies the plan: with the state store the plan was made
    with, which the file does not record (apply against the default store refused it as stale)."""
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SMARTLIVE_STATE", raising=False)
    with chdir(tmp_path):
        made = run("plan", "examples", "--local", "--state", "team state.db", "--out", "plan.out")
        assert made.code == 0, made.text
        hint = made.err.strip().splitlines()[-1]
        assert hint.endswith("apply it with: smartlive apply plan.out --state 'team state.db'"), hint
        applied = run(*shlex.split(hint.split("apply it with: ")[1])[1:])
    assert applied.code == 0, applied.text
    assert "Apply complete: 9 created" in applied.out
