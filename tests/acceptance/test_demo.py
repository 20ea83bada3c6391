"""`make demo`'s story, in-process: the example rooms and jobs are applied on the embedded emulator,
viewers' comments (demo/comments.jsonl) are reported to the running job, and what the emulator's rules
answered is what `smartlive test` predicts for the same events (examples/tests/flagship-store.yaml)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.acceptance.conftest import EXAMPLES, ROOT, SECRETS, Workspace

DEMO_TEST = EXAMPLES / "tests" / "flagship-store.yaml"


def expectations() -> list[dict[str, Any]]:
    document = YAML(typ="safe").load(DEMO_TEST.read_text(encoding="utf-8"))
    return [event["expect"] for event in document["spec"]["events"]]


def test_the_demo_comments_get_the_replies_smartlive_test_predicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    shutil.copytree(ROOT / "demo", tmp_path / "demo")
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SMARTLIVE_STATE", raising=False)
    monkeypatch.chdir(tmp_path)
    ws = Workspace(tmp_path, "", monkeypatch)

    predicted = ws.run("test", "examples/", "-k", "flagship-store")
    assert predicted.code == 0 and "1 passed" in predicted.out, predicted.text
    applied = ws.run("apply", "examples/", "--local", "--auto-approve")
    assert applied.code == 0, applied.text
    reported = ws.run("events", "report", "demo/comments.jsonl", "--job", "store-landscape", "--local")
    assert reported.code == 0 and "sent 4" in reported.out, reported.text
    shown = ws.run("emulator", "replies", "--job", "store-landscape")
    assert shown.code == 0, shown.text

    lines = shown.out.splitlines()
    assert len(lines) == len(expectations())
    for line, expect in zip(lines, expectations(), strict=True):
        assert f"rule {expect['rule']} (" in line, line
        for reply in expect.get("replies") or []:
            assert line.endswith(f": {reply}"), line
