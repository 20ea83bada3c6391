"""The PostgreSQL state store end to end: apply records there, plan reads it (No changes, and its read
cache shows no group in full), and a second apply makes no mutating request."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.state.url import DEFAULT_PATH
from tests.apply.support import Project, assert_converged, cli_env, emulator, room_id
from tests.state.conftest import raw_query


def test_apply_plan_and_reapply_with_a_postgresql_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str
) -> None:
    cli_env(monkeypatch)
    rooms = [room_id(4, r) for r in range(2)]
    with emulator(tmp_path, rooms) as emu:
        project = Project(tmp_path / "pg", emu.url, state=pg_url)
        project.declare(
            [f"pg-group-{i}" for i in range(6)], {f"pg-job-{r}": room for r, room in enumerate(rooms)}
        )
        first = project.run(*project.apply_args())
        assert first.code == 0, first.text
        assert "Apply complete: 8 created" in first.out
        # Nothing went to the default SQLite store (the parse cache is kept beside it all the same).
        assert not (project.root / DEFAULT_PATH).exists()
        rows = raw_query(pg_url, "SELECT address, applied_by FROM resources ORDER BY address")
        assert [r[0] for r in rows] == sorted(
            [f"InteractionRuleGroup/pg-group-{i}" for i in range(6)]
            + ["SmartLiveJob/pg-job-0", "SmartLiveJob/pg-job-1"]
        )
        assert all(r[1] for r in rows)

        emu.control("POST", "/_emulator/stats/reset")
        assert_converged(emu, project, "pg-")
        assert not any("{group_id}" in key for key in emu.requests())  # the warm read cache

        emu.control("POST", "/_emulator/stats/reset")
        second = project.run(*project.apply_args())
        assert second.code == 0, second.text
        assert "Apply complete: 0 created, 0 updated, 0 restarted, 0 stopped or deleted." in second.out
        assert emu.mutating() == 0
