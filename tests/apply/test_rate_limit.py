"""Starting many jobs under the service's StartSmartLive limit (4/s): the limiter spaces the starts so
the limit is not tripped, and a 429 that comes anyway is waited out, never reported as a failure."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from reconciler.cloud.pacing import SPACING_MARGIN as START_SPACING_MARGIN
from tests.apply.support import Project, assert_converged, cli_env, emulator, room_id

JOBS = 10
LIMIT = 4
STARTS = "POST /v1/{project_id}/smart-live-rooms/{room_id}/smart-live-jobs"


def project_of(tmp_path: Path, url: str, ns: int) -> Project:
    project = Project(tmp_path / f"rate{ns}", url)
    project.declare([], {f"r{ns}-job-{i}": room_id(ns, i) for i in range(JOBS)})
    return project


def test_starts_are_spaced_under_the_limit_and_none_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch)
    rooms = [room_id(5, i) for i in range(JOBS)]
    with emulator(tmp_path, rooms, rate_limits={"StartSmartLive": LIMIT}) as emu:
        project = project_of(tmp_path, emu.url, 5)
        started = time.monotonic()
        result = project.run(*project.apply_args())
        elapsed = time.monotonic() - started
        assert result.code == 0, result.text
        assert f"Apply complete: {JOBS} created" in result.out
        assert emu.count(STARTS) == JOBS  # not one start was refused and sent again
        assert elapsed >= (JOBS - 1) * (1 + START_SPACING_MARGIN) / LIMIT
        assert_converged(emu, project, "r5-")


def test_a_429_is_waited_out_not_counted_as_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch)
    rooms = [room_id(6, i) for i in range(JOBS)]
    with emulator(tmp_path, rooms, rate_limits={"StartSmartLive": LIMIT}) as emu:
        project = project_of(tmp_path, emu.url, 6)
        # A --start-rate above the service's limit (say, another pipeline shares the tenant): 429s come.
        result = project.run(*project.apply_args("--start-rate", "40"))
        assert result.code == 0, result.text
        assert f"Apply complete: {JOBS} created" in result.out
        assert emu.count(STARTS) > JOBS  # the service did refuse some
        # A standalone 429, not digits inside the job and group ids the output prints.
        assert not re.search(r"\b429\b", result.text), result.text
        assert "APIGW" not in result.text and "error" not in result.text
        assert_converged(emu, project, "r6-")
