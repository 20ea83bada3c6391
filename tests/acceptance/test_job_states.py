"""Plan and apply meet what the service does to running jobs on its own (the emulator's fault controls):
a job that FAILED or was BLOCKED, and the tenant's concurrency quota. Through the CLI over a socket."""

from __future__ import annotations

import pytest

from tests.acceptance.conftest import Workspace


def _apply(ws: Workspace, *extra: str) -> int:
    return ws.run("apply", "examples", "--auto-approve", *extra, *ws.target()).code


@pytest.mark.parametrize("state", ["FAILED", "BLOCKED"])
def test_a_job_that_ended_by_itself_is_started_again(workspace: Workspace, state: str) -> None:
    ws = workspace
    assert _apply(ws) == 0
    room_id = ws.room_id("flagship store (landscape)")
    (job,) = [j for j in ws.active_jobs() if j["room_id"] == room_id]
    ended = ws.api("POST", f"/_emulator/jobs/{job['job_id']}/end", json={"state": state})
    assert ended["state"] == state

    planned = ws.run("plan", "examples", "--detailed-exitcode", *ws.target())
    assert planned.code == 2, planned.text
    assert (
        "SmartLiveJob/store-landscape will be started: declared running, no active job in the room"
        in planned.out
    )
    assert _apply(ws) == 0
    (again,) = [j for j in ws.active_jobs() if j["room_id"] == room_id]
    assert again["job_id"] != job["job_id"]
    assert ws.run("plan", "examples", "--detailed-exitcode", *ws.target()).code == 0


def test_the_concurrency_quota_is_one_clear_failure_and_the_rest_is_applied(workspace: Workspace) -> None:
    ws = workspace
    ws.api("POST", "/_emulator/faults", json={"max_active_jobs": 1})
    result = ws.run("apply", "examples", "--auto-approve", *ws.target())
    assert result.code == 1, result.text
    assert "Traceback" not in result.text
    failures = [line for line in result.err.splitlines() if line.startswith("error: SmartLiveJob/")]
    assert len(failures) == 1 and "MSS.41000012" in failures[0], result.err
    assert len(ws.active_jobs()) == 1  # one started, the other refused; groups and rooms all applied
    ws.api("POST", "/_emulator/faults", json={"max_active_jobs": None})
    assert _apply(ws) == 0 and len(ws.active_jobs()) == 2
