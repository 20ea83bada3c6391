"""Crash consistency: apply is SIGKILLed right after its k-th mutating request, for every k a clean
apply makes; the next apply then leaves the emulator holding exactly the declared state, the state
store recording each object under its live id, and a plan with nothing to do.

Each k runs in a namespace of its own (its own group names, rooms and state store) on one emulator, so
the killed processes run side by side; the re-runs then go one after the other in this process.
"""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.apply.support import Emulator, Project, assert_converged, cli_env, emulator, room_id

GROUPS = 8
ROOMS = 2
#: Namespaces: 0 measures a clean apply, 1..N are the killed runs (N is at most this minus one).
NAMESPACES = 12
WORKERS = 4


def declare_initial(project: Project, ns: int) -> None:
    project.declare(
        [f"k{ns:02d}-group-{i}" for i in range(GROUPS)],
        {f"k{ns:02d}-job-{r}": room_id(ns, r) for r in range(ROOMS)},
    )


def declare_changed(project: Project, ns: int) -> None:
    """From the initial set: one group added, two updated, one removed (--prune), one job restarted."""
    groups = [f"k{ns:02d}-group-{i}" for i in range(1, GROUPS + 1)]
    project.declare(
        groups,
        {f"k{ns:02d}-job-{r}": room_id(ns, r) for r in range(ROOMS)},
        priorities={groups[0]: 20, groups[1]: 30},
        bitrates={f"k{ns:02d}-job-0": 5000},
    )


def killed_run(project: Project, k: int, extra: tuple[str, ...]) -> tuple[int, str]:
    proc = project.spawn(project.apply_args(*extra), kill_after=k)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out + err


def crash_every_k(
    tmp_path: Path, emu: Emulator, *, writes: int, extra: tuple[str, ...], changed: bool
) -> None:
    """`writes`: how many mutating requests a clean apply makes (checked on namespace 0)."""

    def project(ns: int) -> Project:
        p = Project(tmp_path / f"ns{ns:02d}", emu.url)
        declare_initial(p, ns)
        if changed:
            assert p.run(*p.apply_args()).code == 0  # the state the changed manifests start from
            declare_changed(p, ns)
        return p

    clean = project(0)
    before = emu.mutating()
    result = clean.run(*clean.apply_args(*extra))
    assert result.code == 0, result.text
    assert emu.mutating() - before == writes
    assert_converged(emu, clean, "k00-", prune=changed)

    projects = {k: project(k) for k in range(1, writes + 1)}
    with ThreadPoolExecutor(WORKERS) as pool:
        killed = dict(
            zip(projects, pool.map(lambda k: killed_run(projects[k], k, extra), projects), strict=True)
        )
    for k, (code, text) in killed.items():
        assert code == -signal.SIGKILL, f"k={k}: the apply was not killed (exit {code}):\n{text}"

    for k, p in projects.items():
        rerun = p.run(*p.apply_args(*extra))
        assert rerun.code == 0, f"k={k}:\n{rerun.text}"
        assert_converged(emu, p, f"k{k:02d}-", prune=changed)


@pytest.fixture
def rooms() -> list[str]:
    return [room_id(ns, r) for ns in range(NAMESPACES) for r in range(ROOMS)]


def test_kill_after_every_write_of_a_fresh_apply(
    tmp_path: Path, rooms: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch)
    with emulator(tmp_path, rooms) as emu:
        crash_every_k(tmp_path, emu, writes=GROUPS + ROOMS, extra=(), changed=False)  # creates, starts


def test_kill_after_every_write_of_an_update_prune_and_restart(
    tmp_path: Path, rooms: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch)
    with emulator(tmp_path, rooms) as emu:
        # 1 create and 2 updates, the restart's stop and start, then 1 delete (deletes come last).
        crash_every_k(tmp_path, emu, writes=6, extra=("--prune", "--allow-restart"), changed=True)
