"""An apply whose state lock is taken from it mid-run stops writing at once, to the store and to the
service, and says what it did not do: exit 1, `error: the state lock was lost (its database session
ended): stopping; N action(s) not done:` and one line per action.

The PostgreSQL lock is an advisory lock held by a database session; `smartlive state unlock --force` on
another host ends that session (pg_terminate_backend), as the test does here. Before the fix the holder
kept starting jobs while a second apply, now holding the lock, started jobs in the same rooms: rooms
ended up running two jobs."""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import pytest

from reconciler.errors import LockLostError
from reconciler.resources import Address, ManagedRecord
from reconciler.state import LockHolder, open_store
from tests.apply.support import Project, assert_converged, cli_env, emulator, room_id
from tests.state.conftest import raw_query

ROOMS = 24
#: StartSmartLive calls per second: the run lasts about ROOMS / START_RATE seconds.
START_RATE = "6"


def wait_for_jobs(emu: object, rooms: set[str], at_least: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len([j for j in emu.active_jobs() if j["room_id"] in rooms]) >= at_least:  # type: ignore[attr-defined]
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} jobs started in {timeout:g}s")


def test_an_apply_whose_lock_session_ends_stops_and_the_next_apply_finishes_without_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str
) -> None:
    cli_env(monkeypatch)
    rooms = [room_id(19, r) for r in range(ROOMS)]
    with emulator(tmp_path, rooms) as emu:
        emu.faults(latency_ms=20)
        project = Project(tmp_path / "lost", emu.url, state=pg_url)
        project.declare([], {f"lost-job-{r:02d}": room for r, room in enumerate(rooms)})
        first = project.spawn(project.apply_args("--start-rate", START_RATE))
        try:
            wait_for_jobs(emu, set(rooms), at_least=3)
            # What `state unlock --force` does from another host: end the session holding the lock.
            ended = raw_query(
                pg_url,
                "SELECT pg_terminate_backend(backend_pid) FROM locks WHERE target = ?",
                (project.target_key(),),
            )
            assert ended == [(True,)]
            # A second apply takes the lock at once, while the first may still have a start in flight.
            second = project.spawn(project.apply_args("--start-rate", START_RATE, "--lock-timeout", "60s"))
            out1, err1 = first.communicate(timeout=120)
            out2, err2 = second.communicate(timeout=120)
        finally:
            for proc in (first, locals().get("second")):
                if proc is not None and proc.poll() is None:
                    proc.kill()
                    proc.wait()

        assert first.returncode == 1, out1 + err1
        head = re.search(
            r"^error: the state lock was lost \(its database session ended\): stopping; (\d+) action\(s\) "
            r"not done:$",
            err1,
            re.MULTILINE,
        )
        assert head is not None, err1
        undone = re.findall(r"^  \+ SmartLiveJob/(lost-job-\d\d): start", err1, re.MULTILINE)
        assert len(undone) == int(head.group(1)) > 0, err1
        assert "Traceback" not in err1 and "Apply complete" not in out1
        assert "Apply stopped (the state lock was lost)" in out1

        assert second.returncode == 0, out2 + err2
        per_room = Counter(j["room_id"] for j in emu.active_jobs() if j["room_id"] in set(rooms))
        assert per_room == Counter(rooms), (
            f"rooms running two jobs: {[r for r, n in per_room.items() if n > 1]}"
        )
        # The store records each running job under its live id, and a plan finds nothing to do.
        assert_converged(emu, project, "lost-")


def test_a_sqlite_lock_file_removed_and_replaced_is_a_lost_lock(tmp_path: Path) -> None:
    """A file lock cannot be taken from its holder, but its file can be removed by hand and made anew by
    the next process, which then locks another file: the first holder's writes are refused from then."""
    store = open_store(str(tmp_path / "state.db"), workdir=tmp_path)
    record = ManagedRecord(Address("InteractionRuleGroup", "g"), "g-1")
    path = store.lock_path("t")  # type: ignore[attr-defined]
    try:
        with store.lock("t", timeout=0, holder=LockHolder.current()):
            store.put("t", record, "me")
            path.unlink()
            with pytest.raises(
                LockLostError, match=r"^the state lock of t was lost \(its lock file .* was removed\)$"
            ):
                store.put("t", record, "me")
            other = open_store(str(tmp_path / "state.db"), workdir=tmp_path)  # the next process's
            with other.lock("t", timeout=0, holder=LockHolder.current()):
                other.put("t", record, "next")
            other.close()
            with pytest.raises(LockLostError, match="was replaced"):
                store.check_lock("t")
        store.put("t", record, "me")  # without the lock, a write is not checked (tests, plan's reads)
    finally:
        store.close()
