"""Per-operation pacing over a socket (issue 12, item 1): against an emulator that throttles an operation,
reads and writes complete, no 429 reaches the user, and the requests sent stay within a few of the
minimum because the client paces the operation instead of tripping its limit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.apply.support import Project, Result, cli_env, emulator

GROUPS = 200
CREATES = 100
SHOWS = "GET /v1/{project_id}/smart-live-interaction-rule-groups/{group_id}"
POSTS = "POST /v1/{project_id}/smart-live-interaction-rule-groups"


def assert_no_throttling_shown(result: Result) -> None:
    # How an error names a throttling answer; a bare 429 may be a count or part of an id.
    assert not re.search(r"HTTP 429|APIGW|APIG\.0308|throttl", result.text, re.IGNORECASE), result.text
    assert "rror" not in result.text, result.text


def test_a_cold_plan_paced_under_the_show_limit_reads_every_group_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch)
    with emulator(tmp_path) as emu:
        project = Project(tmp_path / "plan", emu.url)
        project.declare([f"paced-{i}" for i in range(GROUPS)], {})
        assert project.run(*project.apply_args()).code == 0
        emu.faults(rate_limits={"ShowInteractionRuleGroup": 20})
        emu.control("POST", "/_emulator/stats/reset")
        cold = Project(tmp_path / "cold", emu.url)  # a fresh state store: every group is read in full
        cold.declare(project.groups, {})
        result = cold.run(*cold.args("plan", "--rate-limit", "ShowInteractionRuleGroup=20"))
        assert result.code in (0, 2), result.text
        assert_no_throttling_shown(result)
        shows = emu.count(SHOWS)
        assert GROUPS <= shows <= GROUPS * 1.03, emu.requests()


def test_creates_paced_under_the_create_limit_send_each_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch)
    monkeypatch.setenv("SMARTLIVE_RATE_LIMITS", "CreateInteractionRuleGroup=10")
    with emulator(tmp_path, rate_limits={"CreateInteractionRuleGroup": 10}) as emu:
        project = Project(tmp_path / "create", emu.url)
        project.declare([f"created-{i}" for i in range(CREATES)], {})
        result = project.run(*project.apply_args())
        assert result.code == 0, result.text
        assert f"Apply complete: {CREATES} created" in result.out
        assert_no_throttling_shown(result)
        assert CREATES <= emu.count(POSTS) <= CREATES + 1, emu.requests()
        assert len(emu.groups()) == CREATES
