"""Two applies at once on one state store and one target: one applies, the other waits for the lock
(--lock-timeout) or is refused naming the holder; nothing is ever created twice. SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.apply.support import Emulator, Project, assert_converged, cli_env, emulator, room_id

GROUPS = 10
#: Latency that keeps the first apply busy (and holding the lock) for a second or more.
SLOW_MS = 150


def project_with(tmp_path: Path, emu: Emulator, ns: int, state: str = "") -> Project:
    project = Project(tmp_path / f"p{ns}", emu.url, state=state)
    project.declare([f"c{ns}-group-{i}" for i in range(GROUPS)], {f"c{ns}-job": room_id(ns, 0)})
    return project


def wait_until_locked(project: Project, proc: subprocess.Popen[str], timeout: float = 30) -> None:
    from reconciler.state import open_store

    store = open_store(project.state, workdir=project.root)
    try:
        deadline = time.monotonic() + timeout
        while store.lock_info(project.target_key()) is None:
            assert proc.poll() is None, f"the first apply ended before taking the lock: {proc.communicate()}"
            assert time.monotonic() < deadline, "the first apply never took the lock"
            time.sleep(0.02)
    finally:
        store.close()


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out + err


def refused_while_held(tmp_path: Path, emu: Emulator, state: str, ns: int, holder_words: str) -> None:
    project = project_with(tmp_path, emu, ns, state)
    emu.faults(latency_ms=SLOW_MS)
    first = project.spawn(project.apply_args())
    wait_until_locked(project, first)
    second = project.run(*project.apply_args("--lock-timeout", "0"))
    code, text = finish(first)
    emu.faults(latency_ms=0)

    assert code == 0, text
    assert second.code == 1
    assert re.search(rf"locked by pid {first.pid} on host \S+ since \S+ .*apply", second.err), second.err
    assert holder_words in second.err
    assert "Apply complete: 11 created" in text
    assert_converged(emu, project, f"c{ns}-")


def test_second_apply_is_refused_naming_the_holder_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch)
    with emulator(tmp_path, [room_id(1, 0)]) as emu:
        refused_while_held(tmp_path, emu, "", 1, "--lock-timeout")


def test_second_apply_is_refused_by_the_advisory_lock_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str
) -> None:
    cli_env(monkeypatch)
    with emulator(tmp_path, [room_id(2, 0)]) as emu:
        refused_while_held(tmp_path, emu, pg_url, 2, "[PostgreSQL session")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_applies_started_together_one_waits_and_finds_nothing_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str, request: pytest.FixtureRequest
) -> None:
    cli_env(monkeypatch)
    state = request.getfixturevalue("pg_url") if backend == "postgresql" else ""
    with emulator(tmp_path, [room_id(3, 0)]) as emu:
        project = project_with(tmp_path, emu, 3, state)
        emu.faults(latency_ms=50)
        procs = [project.spawn(project.apply_args("--lock-timeout", "2m")) for _ in range(2)]
        results = [finish(p) for p in procs]
        emu.faults(latency_ms=0)

        assert [code for code, _ in results] == [0, 0], results
        summaries = sorted(re.findall(r"Apply complete: .*", text)[-1] for _, text in results)
        assert summaries == [
            "Apply complete: 0 created, 0 updated, 0 restarted, 0 stopped or deleted.",
            "Apply complete: 11 created, 0 updated, 0 restarted, 0 stopped or deleted.",
        ]
        assert emu.count("POST /v1/{project_id}/smart-live-interaction-rule-groups") == GROUPS
        assert emu.count("POST /v1/{project_id}/smart-live-rooms/{room_id}/smart-live-jobs") == 1
        assert_converged(emu, project, "c3-")


def test_two_spellings_of_one_endpoint_share_one_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lock was keyed by the endpoint as typed: http://127.0.0.1:P and http://localhost:P on one store
    # let two applies run at once. The key is canonical now (docs/state.md, "The target's key").
    cli_env(monkeypatch)
    with emulator(tmp_path, [room_id(4, 0)]) as emu:
        project = project_with(tmp_path, emu, 4)
        assert "127.0.0.1" in project.url
        emu.faults(latency_ms=SLOW_MS)
        first = project.spawn(project.apply_args())
        wait_until_locked(project, first)
        other = project.url.replace("127.0.0.1", "LocalHost") + "/"
        argv = [other if arg == project.url else arg for arg in project.apply_args("--lock-timeout", "0")]
        second = project.run(*argv)
        code, text = finish(first)
        emu.faults(latency_ms=0)

        assert code == 0, text
        assert second.code == 1, second.text
        assert re.search(rf"locked by pid {first.pid} on host \S+", second.err), second.err
        assert emu.count("POST /v1/{project_id}/smart-live-interaction-rule-groups") == GROUPS
        assert_converged(emu, project, "c4-")
