"""Per-operation pacing over a socket (issue 12, item 1): against an emulator that throttles an operation,
reads and writes complete, no 429 reaches the user, and the requests sent stay within a few of the
minimum because the client paces the operation instead of tripping its limit, whether it was told the
limit or learned it from the first 429."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from reconciler.cloud.config import DEFAULT_PARALLELISM
from tests.apply.support import Project, Result, cli_env, emulator

GROUPS = 200
CREATES = 100
#: The learning test: few enough groups to take seconds, enough that an unpaced run would trip the limit
#: many times over.
LEARNED_GROUPS = 100
LEARNED_LIMIT = 25
#: What learning may cost over the floor: the 429s of the first burst (at most one per request in flight,
#: `--parallelism`), and the throttle floor (1 s) they hold the operation back.
BURST = DEFAULT_PARALLELISM
#: 429s to paced requests: one held up on the way on a loaded machine may still land in a full window
#: (each halves the rate, so they stay few).
LATE = 2
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


def test_a_cold_plan_learns_the_show_limit_from_the_first_429(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch)
    monkeypatch.delenv("SMARTLIVE_RATE_LIMITS", raising=False)
    with emulator(tmp_path) as emu:
        project = Project(tmp_path / "plan", emu.url)
        project.declare([f"learned-{i}" for i in range(LEARNED_GROUPS)], {})
        assert project.run(*project.apply_args()).code == 0
        emu.faults(rate_limits={"ShowInteractionRuleGroup": LEARNED_LIMIT})
        emu.control("POST", "/_emulator/stats/reset")
        cold = Project(tmp_path / "cold", emu.url)  # not told the limit (no --rate-limit)
        cold.declare(project.groups, {})
        started = time.monotonic()
        result = cold.run(*cold.args("plan"))
        seconds = time.monotonic() - started
        assert result.code == 0, result.text
        assert_no_throttling_shown(result)
        shows = emu.count(SHOWS)
        # Unpaced, every show past the first LEARNED_LIMIT would be refused at least once.
        assert LEARNED_GROUPS <= shows <= LEARNED_GROUPS + BURST + LATE, emu.requests()
        floor = (LEARNED_GROUPS - LEARNED_LIMIT) / LEARNED_LIMIT  # the first second's worth go out at once
        # That throttle floor and a second for the CLI itself (4.3 s measured); halving the learned rate
        # on each 429 of the burst takes 6.1 s.
        assert seconds <= floor + 2.0, f"{seconds:.1f} s, floor {floor:.1f} s"


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
