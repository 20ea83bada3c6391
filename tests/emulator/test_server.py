"""The emulator over a real socket: the CLI command, running_emulator, a dropped connection."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from reconciler.commands import emulator as command
from reconciler.emulator import config
from reconciler.emulator.server import running_emulator
from tests.emulator.conftest import Api, signed_headers


def test_cli_defaults_are_the_configs() -> None:
    assert (command.DEFAULT_AK, command.DEFAULT_SK, command.DEFAULT_PROJECT_ID) == (
        config.DEFAULT_AK,
        config.DEFAULT_SK,
        config.DEFAULT_PROJECT_ID,
    )
    assert (command.DEFAULT_HOST, command.DEFAULT_PORT, command.DEFAULT_START_DELAY) == (
        config.DEFAULT_HOST,
        config.DEFAULT_PORT,
        config.DEFAULT_START_DELAY,
    )


def test_serve_prints_its_url_and_serves_until_interrupted(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("rooms: [{room_id: r-1, room_name: seeded}]\n")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "emulator",
            "serve",
            "--port",
            "0",
            "--ak",
            "cli-ak",
            "--sk",
            "cli-sk",
            "--project-id",
            "cli-project",
            "--data",
            str(tmp_path / "state.db"),
            "--seed",
            str(seed),
            "--no-rate-limits",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        assert httpx.get(f"{url}/_emulator/health").json() == {"status": "ok", "project_id": "cli-project"}
        with httpx.Client() as http:
            response = Api(http, url, project="cli-project").call("GET", "/smart-live-rooms/r-1", sign=False)
        assert response.status_code == 401  # the API wants credentials
        assert httpx.get(f"{url}/_emulator/faults").json()["rate_limits"] == {}
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode in (0, 130), stderr
    assert "cli-sk" not in stderr  # the secret key is never printed


@pytest.mark.parametrize(
    ("extra", "limits"),
    [
        (
            ["--rate-limit", "ShowInteractionRuleGroup=20"],
            {**config.DEFAULT_RATE_LIMITS, "ShowInteractionRuleGroup": 20},
        ),
        (
            ["--no-rate-limits", "--rate-limit", "StartSmartLive=2", "--rate-limit", "StartSmartLive=3"],
            {"StartSmartLive": 3},
        ),
        (["--rate-limit", "StartSmartLive=0"], {"CreateSmartLiveRoom": 1, "UpdateSmartLiveRoom": 1}),
    ],
)
def test_serve_takes_a_limit_for_any_operation(extra: list[str], limits: dict[str, int]) -> None:
    argv = [sys.executable, "-m", "reconciler", "emulator", "serve", "--port", "0", *extra]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert httpx.get(f"{url}/_emulator/faults").json()["rate_limits"] == limits
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)


def test_serve_reports_a_bad_seed_in_one_line(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("rooms: [{room_name: no id}]\n")
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "emulator", "serve", "--port", "0", "--seed", str(seed)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert (
        result.stderr.startswith("error: ")
        and "room_id" in result.stderr
        and "Traceback" not in result.stderr
    )
    assert result.stdout == ""


def test_cli_bounds_are_the_fault_settings() -> None:
    from reconciler.emulator.faults import FaultSettings

    bounds = {m.le for m in FaultSettings.model_fields["latency_ms"].metadata if hasattr(m, "le")}
    assert bounds == {command.MAX_LATENCY_MS}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (".", "is a directory"),
        ("not-a-db.txt", "cannot be used: file is not a database"),
        ("missing-dir/state.db", "does not exist"),
    ],
)
def test_serve_refuses_an_unusable_data_path_in_one_line(
    tmp_path: Path,
    data: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reconciler import cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "not-a-db.txt").write_text("apiVersion: smartlive/v1\n" * 100)
    assert cli.main(["emulator", "serve", "--port", "0", "--data", data]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and message in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ("/dev/zero", "cannot read seed file /dev/zero: not a regular file (a character device)"),
        ("fifo.yaml", "not a regular file (a named pipe)"),
        ("binary.yaml", "not UTF-8 text"),
        ("broken.yaml", "not valid YAML: while parsing a flow node"),
    ],
)
def test_serve_refuses_a_seed_it_cannot_read_in_one_line(
    tmp_path: Path,
    seed: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A FIFO or /dev/zero as --seed was read for ever."""
    from reconciler import cli

    monkeypatch.chdir(tmp_path)
    os.mkfifo("fifo.yaml")
    Path("binary.yaml").write_bytes(b"\xff\xfe rooms")
    Path("broken.yaml").write_text("rooms: [\n")
    assert cli.main(["emulator", "serve", "--port", "0", "--seed", seed]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_seed_refuses_an_unusable_data_path_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler import cli

    seed = tmp_path / "seed.yaml"
    seed.write_text("rooms: [{room_id: r-1, room_name: seeded}]\n")
    assert cli.main(["emulator", "seed", str(seed), "--data", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "is a directory" in err and err.count("\n") == 1


def test_drop_after_commit_closes_the_socket() -> None:
    creds = {"ak": config.DEFAULT_AK, "sk": config.DEFAULT_SK, "project": config.DEFAULT_PROJECT_ID}
    with running_emulator(config.EmulatorConfig(rate_limits={})) as url, httpx.Client() as http:
        target = f"{url}/v1/{config.DEFAULT_PROJECT_ID}/smart-live-interaction-rule-groups"
        body = json.dumps({"group_name": "g"}).encode()
        http.post(f"{url}/_emulator/faults", json={"drop_after_commit_rate": 1.0})
        with pytest.raises(httpx.RemoteProtocolError):
            http.post(target, content=body, headers=signed_headers("POST", target, body, **creds))
        http.post(f"{url}/_emulator/faults", json={"drop_after_commit_rate": 0.0})
        listed = http.get(target, headers=signed_headers("GET", target, b"", **creds))
        assert listed.json()["count"] == 1  # committed before the connection was closed
