"""Faults: with 5% 5xx, 2% 429 and 2% drop-after-commit injected, apply converges within 3 runs and
never duplicates anything; with every answer to a write lost, it still creates each object once."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from reconciler.cloud.retry import RetryPolicy
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import running_emulator
from tests.apply.support import (
    AK,
    PROJECT,
    SK,
    Emulator,
    Project,
    assert_converged,
    cli_env,
    emulator,
    room_id,
)

GROUPS = 30
JOBS = 4
FAULT_SEED = 20240501
#: The gateway's draws come one per request whatever their order: with this seed the 3rd, 19th, 37th and
#: 39th requests are refused, so every run below meets 429s.
THROTTLE_SEED = 1234


@pytest.mark.parametrize(
    ("errors", "throttled", "dropped"),
    [(0.05, 0.02, 0.02), (0.10, 0.05, 0.10)],
    ids=["5xx-5%,429-2%,drop-2%", "harsher:5xx-10%,429-5%,drop-10%"],
)
def test_apply_converges_under_5xx_429_and_dropped_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, errors: float, throttled: float, dropped: float
) -> None:
    cli_env(monkeypatch)
    rooms = [room_id(7, r) for r in range(JOBS)]
    # The 429s come from a gateway in front of the emulator (its own faults throttle by rate only).
    with emulator(
        tmp_path, rooms, fault_seed=FAULT_SEED, throttle_rate=throttled, throttle_seed=THROTTLE_SEED
    ) as emu:
        emu.faults(error_rate=errors, error_statuses=[500, 502, 503], drop_after_commit_rate=dropped)
        project = Project(tmp_path / "faults", emu.url)
        project.declare(
            [f"faulty-group-{i:02d}" for i in range(GROUPS)],
            {f"faulty-job-{r}": room for r, room in enumerate(rooms)},
        )
        runs = []
        for _ in range(3):
            runs.append(project.run(*project.apply_args()))
            if runs[-1].code == 0:
                break
        assert runs[-1].code == 0, "\n---\n".join(r.text for r in runs)
        assert emu.throttle is not None and emu.throttle.refused >= 3
        print(f"faults met: {emu.throttle.refused} 429s; requests the emulator saw: {emu.requests()}")
        output = "\n".join(r.text for r in runs)
        assert "APIGW.0308" not in output  # a 429 is waited out, never reported

        emu.faults(error_rate=0.0, drop_after_commit_rate=0.0)
        emu.throttle.rate = 0.0
        assert_converged(emu, project, "faulty-")


def test_every_write_answer_lost_still_creates_each_object_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch)
    rooms = [room_id(8, r) for r in range(2)]
    with emulator(tmp_path, rooms, fault_seed=FAULT_SEED) as emu:
        emu.faults(drop_after_commit_rate=1.0)  # every create and start commits, then the connection drops
        project = Project(tmp_path / "drops", emu.url)
        project.declare(
            [f"dropped-group-{i}" for i in range(5)],
            {f"dropped-job-{r}": room for r, room in enumerate(rooms)},
        )
        result = project.run(*project.apply_args())
        assert result.code == 0, result.text
        assert result.out.count("adopted after a lost response") == 5
        assert "Apply complete: 7 created, 0 updated, 0 restarted, 0 stopped or deleted." in result.out
        # One create per group and one start per job: the lost answers were looked up, never resent.
        assert emu.count("POST /v1/{project_id}/smart-live-interaction-rule-groups") == 5
        assert emu.count("POST /v1/{project_id}/smart-live-rooms/{room_id}/smart-live-jobs") == 2

        emu.faults(drop_after_commit_rate=0.0)
        assert_converged(emu, project, "dropped-")


class ThrottledLookups:
    """ASGI middleware: the gateway refuses the first `times` look-ups of each group by name (the read
    apply makes after a lost create) with 429 APIGW.0308, more than the HTTP layer's tries for a failure."""

    def __init__(self, app: Any, times: int) -> None:
        self.app = app
        self.times = times
        self.refused: Counter[str] = Counter()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        query = parse_qs(scope.get("query_string", b"").decode())
        name = (query.get("group_name") or [""])[0]
        if scope["type"] == "http" and scope["method"] == "GET" and name and self.refused[name] < self.times:
            self.refused[name] += 1
            payload = json.dumps({"error_code": "APIGW.0308", "error_msg": "throttled"}).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ]
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            return
        await self.app(scope, receive, send)


def test_the_look_up_after_a_lost_create_waits_out_throttling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every create commits and loses its answer; the look-up that follows is throttled 5 times in a row,
    # as many as the HTTP layer once allowed any failure: it gave up and the action failed with APIGW.0308.
    cli_env(monkeypatch)
    gateways: list[ThrottledLookups] = []

    def wrap(app: Any) -> Any:
        gateways.append(ThrottledLookups(app, RetryPolicy().attempts or 0))
        return gateways[0]

    config = EmulatorConfig(ak=AK, sk=SK, project_id=PROJECT, start_delay=0.0, rate_limits={})
    with running_emulator(config, wrap=wrap) as url:
        emu = Emulator(url)
        emu.faults(drop_after_commit_rate=1.0)
        project = Project(tmp_path / "lookups", url)
        project.declare([f"looked-up-{i}" for i in range(8)], {})
        result = project.run(*project.apply_args())
        assert result.code == 0, result.text
        assert result.out.count("adopted after a lost response") == 8
        assert "APIGW.0308" not in result.text
        assert all(n == gateways[0].times for n in gateways[0].refused.values())
        assert emu.count("POST /v1/{project_id}/smart-live-interaction-rule-groups") == 8, "none sent twice"
        emu.faults(drop_after_commit_rate=0.0)
        assert_converged(emu, project, "looked-up-")


def test_apply_under_drops_5xx_and_gateway_throttling_fails_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 15's mix: 20% of write answers lost, 10% 5xx, the gateway at 30 requests/s over everything
    # (a 16-wide apply meets it constantly). Every request waits throttling out: 0 failures, 0 duplicates.
    cli_env(monkeypatch)
    with emulator(tmp_path, fault_seed=FAULT_SEED) as emu:
        emu.faults(drop_after_commit_rate=0.2, error_rate=0.1, throttle_per_second=30)
        project = Project(tmp_path / "mixed", emu.url)
        project.declare([f"mixed-group-{i:02d}" for i in range(GROUPS)], {})
        result = project.run(*project.apply_args("--parallelism", "16"))
        assert result.code == 0, result.text
        assert "Apply complete: 30 created" in result.out
        assert "✗" not in result.out and "APIGW" not in result.text
        emu.faults(drop_after_commit_rate=0.0, error_rate=0.0, throttle_per_second=0)
        names = [g["group_name"] for g in emu.groups() if g["group_name"].startswith("mixed-")]
        assert sorted(names) == sorted(project.groups), "each created once"
        assert_converged(emu, project, "mixed-")
