"""Live-safe apply, the CLI as its own process against the emulator over a socket: Ctrl-C in the middle of
many restarts finishes the ones in flight, leaves no room dark, lists what was not done and exits 130 (a
second Ctrl-C cuts the ones in flight off); a closed standard output never turns work not done into exit 0.
"""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.apply.support import Emulator, Project, assert_converged, cli_env, emulator, room_id

ROOMS = 10
NS = 7


def running_project(tmp_path: Path, emu: Emulator, rooms: int = ROOMS) -> Project:
    """`rooms` jobs running, then each one's video_config changed: every job must be restarted."""
    project = Project(tmp_path / "project", emu.url)
    jobs = {f"i-job-{r:02d}": room_id(NS, r) for r in range(rooms)}
    project.declare([], jobs)
    first = project.run(*project.apply_args())
    assert first.code == 0, first.text
    project.declare([], jobs, bitrates=dict.fromkeys(jobs, 5000))
    return project


def read_until(stream: object, pattern: str) -> list[str]:
    """Lines of `stream` up to and including the first that starts with `pattern`."""
    lines: list[str] = []
    while True:
        line = stream.readline()  # type: ignore[attr-defined]
        assert line, f"the stream ended before a line starting {pattern!r}:\n{''.join(lines)}"
        lines.append(line)
        if line.startswith(pattern):
            return lines


def interrupted(proc: subprocess.Popen[str], *, twice: bool = False) -> tuple[str, str]:
    """Ctrl-C once the first action is done (twice: again once the first is acknowledged)."""
    assert proc.stdout is not None and proc.stderr is not None
    head = read_until(proc.stdout, "✓")
    proc.send_signal(signal.SIGINT)
    if twice:
        read_until(proc.stderr, "Interrupt received")
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return "".join(head) + out, err


def not_done(err: str) -> list[str]:
    """The addresses listed after `Interrupted: N action(s) not done:`, checked against N."""
    match = re.search(r"^Interrupted: (\d+) action\(s\) not done:\n((?:  .*\n)*)", err, re.MULTILINE)
    assert match, err
    lines = match.group(2).splitlines()
    assert len(lines) == int(match.group(1)) > 0, err
    return [line.split()[1].rstrip(":") for line in lines]


def test_ctrl_c_finishes_the_restarts_in_flight_leaves_no_room_dark_and_lists_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch)
    with emulator(tmp_path, [room_id(NS, r) for r in range(ROOMS)]) as emu:
        project = running_project(tmp_path, emu)
        old = {j["room_id"]: j["job_id"] for j in emu.active_jobs()}
        emu.faults(latency_ms=300)  # slow enough to be interrupted with most of the work left
        proc = project.spawn(project.apply_args("--allow-restart", "--parallelism", "2"))
        out, err = interrupted(proc)
        emu.faults(latency_ms=0)

        assert proc.returncode == 130, out + err
        assert "Traceback" not in err
        done = re.findall(r"^✓ (SmartLiveJob/\S+): restarted", out, re.MULTILINE)
        undone = not_done(err)
        assert sorted(done + undone) == sorted(f"SmartLiveJob/{name}" for name in project.jobs), out + err
        for address in undone:
            room = project.jobs[address.split("/")[1]]
            assert f"  -/+ {address}: restart (job_id {old[room]})\n" in err
        assert "Apply interrupted: 0 created, 0 updated" in out
        # No room dark: each runs exactly one job, the new one where it was restarted, else the old one.
        active = {j["room_id"]: j["job_id"] for j in emu.active_jobs()}
        assert sorted(active) == sorted(old)
        for address in done:
            room = project.jobs[address.split("/")[1]]
            assert active[room] != old[room]
        for address in undone:
            room = project.jobs[address.split("/")[1]]
            assert active[room] == old[room]
        # The store says what runs: the restarted jobs under their new ids, the others under their old.
        assert {str(a): r.remote_id for a, r in project.records().items()} == {
            f"SmartLiveJob/{name}": active[room] for name, room in project.jobs.items()
        }

        rerun = project.run(*project.apply_args("--allow-restart"))
        assert rerun.code == 0, rerun.text
        assert f"{len(undone)} restarted" in rerun.out
        assert_converged(emu, project, "i-")


def test_a_second_ctrl_c_cuts_off_the_actions_in_flight_and_the_next_apply_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch)
    with emulator(tmp_path, [room_id(NS, r) for r in range(ROOMS)]) as emu:
        project = running_project(tmp_path, emu)
        # Each restart takes seconds (list, stop, start): the second Ctrl-C finds one in flight.
        emu.faults(latency_ms=1500)
        proc = project.spawn(project.apply_args("--allow-restart", "--parallelism", "2"))
        out, err = interrupted(proc, twice=True)
        emu.faults(latency_ms=0)

        assert proc.returncode == 130, out + err
        assert "Traceback" not in err
        assert "Second interrupt: cutting off the actions in flight" in err
        assert not_done(err)
        assert re.search(
            r"^  -/\+ SmartLiveJob/\S+: restart \(job_id \S+\) - cut off in flight", err, re.MULTILINE
        ), err

        rerun = project.run(*project.apply_args("--allow-restart"))
        assert rerun.code == 0, rerun.text
        assert_converged(emu, project, "i-")


def head_one(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """`| head -1`: read one line of stdout, close it, then wait for the process."""
    assert proc.stdout is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    return first, err


def test_a_closed_stdout_does_not_stop_the_work_and_the_exit_code_says_how_it_went(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch)
    with emulator(tmp_path, [room_id(NS, r) for r in range(ROOMS)]) as emu:
        project = running_project(tmp_path, emu)
        groups = [f"i-group-{g}" for g in range(6)]
        project.declare(groups, project.jobs, bitrates=dict.fromkeys(project.jobs, 5000))
        emu.faults(latency_ms=100)  # the actions' lines are still to come when the reader goes away
        proc = project.spawn(project.apply_args("--allow-restart", "--parallelism", "2"))
        first, err = head_one(proc)
        emu.faults(latency_ms=0)

        assert first.startswith("Resource actions are indicated")
        assert proc.returncode == 0, err
        assert err == ""  # no traceback, no "Exception ignored", nothing
        assert_converged(emu, project, "i-")


def test_a_closed_stdout_with_work_not_done_exits_non_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch)
    with emulator(tmp_path, [room_id(NS, r) for r in range(ROOMS)]) as emu:
        project = running_project(tmp_path, emu)
        groups = [f"i-group-{g}" for g in range(6)]
        project.declare(groups, project.jobs, bitrates=dict.fromkeys(project.jobs, 5000))
        emu.faults(latency_ms=100)
        proc = project.spawn(project.apply_args("--parallelism", "2"))  # the restarts are not allowed
        _, err = head_one(proc)
        emu.faults(latency_ms=0)

        assert proc.returncode == 1, err
        assert "Traceback" not in err and "Exception ignored" not in err
        assert f"error: {ROOMS} action(s) skipped because they would interrupt a live stream" in err
        assert sorted(g["group_name"] for g in emu.groups() if g["group_name"].startswith("i-")) == groups
