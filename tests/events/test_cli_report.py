"""`smartlive events report` end to end against the embedded emulator (--local, in-process, no socket)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from reconciler.api.models import StartSmartLiveReq
from reconciler.cli import main
from reconciler.cloud.config import resolve_target
from reconciler.commands._target import open_api
from reconciler.emulator.local import local_app
from tests.events.conftest import comment, jsonl


class Local:
    """The --local emulator of a working directory, with a room and a running job in it."""

    def __init__(self, workdir: Path) -> None:
        self.target = resolve_target(local=True, endpoint=None, region=None, project_id=None, workdir=workdir)
        self.room_id, self.job_id, self.url = asyncio.run(self._start())

    async def _start(self) -> tuple[str, str, str]:
        async with open_api(self.target) as api:
            room = await api.http.request("POST", "/smart-live-rooms", body={"room_name": "events"})
            job = await api.start_job(room["room_id"], StartSmartLiveReq())
            assert job.job_id and job.live_event_report_url
            return room["room_id"], job.job_id, job.live_event_report_url

    def events(self) -> list[dict[str, Any]]:
        async def read() -> list[dict[str, Any]]:
            transport = httpx.ASGITransport(app=local_app(self.target.local_data))
            async with httpx.AsyncClient(transport=transport, base_url="http://local") as client:
                response = await client.get(f"/_emulator/events/{self.job_id}")
                assert response.status_code == 200, response.text
                return list(response.json()["events"])

        return asyncio.run(read())

    @property
    def key(self) -> str:
        return parse_qs(urlsplit(self.url).query)["auth_key"][0]


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Local:
    monkeypatch.chdir(tmp_path)
    for name in ("SMARTLIVE_LOCAL", "SMARTLIVE_STATE", "SMARTLIVE_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    return Local(tmp_path)


def write(path: Path, *records: Any) -> str:
    path.write_bytes(jsonl(*records))
    return str(path)


def smartlive(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["events", "report", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_file_through_the_cli(local: Local, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records: list[Any] = [comment(f"c{i}", 1_700_000_000_000 + i) for i in range(2400)]
    records[9] = b"{broken"
    records[99] = {"timestamp": 5, "type": 6, "content": '{"numberOfViewers": 12}'}  # the API form
    path = write(tmp_path / "events.jsonl", *records)
    code, out, err = smartlive(capsys, "--local", "--room", local.room_id, "--job-id", local.job_id, path)
    assert code == 1  # a line was rejected
    assert err.splitlines() == [f"{path}:10: not JSON: key must be a string at line 1 column 2"]
    assert out == "read 2400, sent 2399, rejected 1, requests 3\n"
    stored = local.events()
    assert len(stored) == 2399
    assert stored[98] == {
        "timestamp": 5,
        "type": 6,
        "content": '{"numberOfViewers": 12}',
        "received_time": stored[98]["received_time"],
    }
    assert json.loads(stored[0]["content"])["content"] == "c0"
    assert local.key not in out + err


def test_the_rooms_active_job_and_stdin(
    local: Local, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(jsonl(comment("a"), comment("b")))))
    code, out, err = smartlive(capsys, "--local", "--room", local.room_id, "-")
    assert (code, out, err) == (0, "read 2, sent 2, rejected 0, requests 1\n", "")
    assert [json.loads(e["content"])["content"] for e in local.events()] == ["a", "b"]


def test_follow_on_a_pipe(
    local: Local, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    read, write_end = os.pipe()
    os.write(write_end, jsonl(comment("a"), comment("b"), comment("c")))
    os.close(write_end)
    with io.TextIOWrapper(os.fdopen(read, "rb")) as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        code, out, _ = smartlive(
            capsys, "--local", "--room", local.room_id, "--follow", "--flush-interval", "0.05"
        )
    assert (code, out) == (0, "read 3, sent 3, rejected 0, requests 1\n")
    assert len(local.events()) == 3


def test_a_managed_job_by_name(local: Local, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from reconciler.resources import Address, ManagedRecord
    from reconciler.state import open_store

    store = open_store(None, workdir=tmp_path)
    try:
        record = ManagedRecord(Address("SmartLiveJob", "evening"), local.job_id, local.room_id)
        store.put(local.target.key, record, applied_by="test")
    finally:
        store.close()
    path = write(tmp_path / "e.jsonl", comment("by name"))
    code, out, _ = smartlive(capsys, "--local", "--job", "evening", path)
    assert (code, out) == (0, "read 1, sent 1, rejected 0, requests 1\n")

    code, _, err = smartlive(capsys, "--local", "--job", "morning", path)
    assert code == 1
    assert "no SmartLiveJob 'morning' in the state store" in err and "--room ROOM_ID --job-id JOB_ID" in err


def test_a_bare_url(
    local: Local, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "e.jsonl", comment("u"))
    code, out, err = smartlive(capsys, "--local", "--url", local.url, path)
    assert (code, out, err) == (0, "read 1, sent 1, rejected 0, requests 1\n", "")
    monkeypatch.setenv("REPORT_URL", local.url)  # kept out of the process list
    code, out, err = smartlive(capsys, "--local", "--url-env", "REPORT_URL", path)
    assert (code, out, err) == (0, "read 1, sent 1, rejected 0, requests 1\n", "")
    assert len(local.events()) == 2
    code, _, err = smartlive(capsys, "--local", "--url-env", "NOT_SET_ANYWHERE", path)
    assert code == 2 and "the environment variable is not set" in err


def test_strict_on_a_file_sends_nothing_when_a_line_is_bad(
    local: Local, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records: list[Any] = [comment(f"c{i}") for i in range(1500)]
    records[1200] = {"timestamp": 1, "type": 1, "content": "xxxxx"}
    path = write(tmp_path / "e.jsonl", *records)
    code, out, err = smartlive(capsys, "--local", "--room", local.room_id, "--strict", path)
    assert code == 1
    assert out == "read 1201, sent 0, rejected 1, requests 0 (not sent 1200)\n"
    assert err.splitlines() == [
        f"{path}:1201: content: type 1 content must be a JSON object (as LiveEventReport defines each type), got text that is not JSON",
        "error: nothing was sent: --strict, and the file has a bad line",
    ]
    assert local.events() == []


def test_no_active_job_and_a_stopped_job(
    local: Local, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def stop() -> None:
        async with open_api(local.target) as api:
            await api.stop_job(local.room_id, local.job_id)

    asyncio.run(stop())
    path = write(tmp_path / "e.jsonl", comment("late"))
    code, _, err = smartlive(capsys, "--local", "--room", local.room_id, path)
    assert code == 1 and "has no active job" in err
    code, _, err = smartlive(capsys, "--local", "--room", local.room_id, "--job-id", local.job_id, path)
    assert code == 1 and "is SUCCEED: events are taken only while it runs" in err
    code, out, err = smartlive(capsys, "--local", "--url", local.url, path)
    assert code == 1
    assert out == "read 1, sent 0, rejected 0, requests 1 (not sent 1)\n"
    assert "error: the job takes no more events: HTTP 400 MSS.20020001" in err
    assert f"tail -n +1 {path}" in err
    assert local.key not in out + err


def test_dry_run_needs_no_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "e.jsonl", *[comment(f"c{i}") for i in range(2001)])
    code, out, err = smartlive(capsys, "--dry-run", path)
    assert (code, err) == (0, "")
    assert (
        out
        == "read 2001, sent 0, rejected 0, requests 0\ndry run: nothing sent; 3 requests of up to 1000 events would be\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "which job? give --job NAME"),
        (["--job-id", "j"], "--job-id needs --room ROOM_ID"),
        (["--job", "a", "--url", "https://x/live-event-report"], "--job and --url name the job twice"),
        (["--room", "r", "--follow", "file.jsonl"], "--follow reads standard input"),
    ],
)
def test_usage_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = smartlive(capsys, *argv)
    assert code == 2 and out == "" and message in err


def test_argument_ranges(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["events", "report", "--batch-size", "1001", "--dry-run"])
    assert exit_info.value.code == 2
    assert "must be 1-1000" in capsys.readouterr().err


def test_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = smartlive(capsys, "--dry-run", str(tmp_path / "nope.jsonl"))
    assert code == 1 and "cannot read" in err and "No such file" in err


def test_sigterm_stops_a_bridge_gracefully(
    local: Local, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal
    import threading
    import time

    read, write_end = os.pipe()
    os.write(write_end, jsonl(comment("first")))  # the pipe stays open: a platform with nothing to say
    stdin = io.TextIOWrapper(os.fdopen(read, "rb"))
    monkeypatch.setattr(sys, "stdin", stdin)

    def stop_when_delivered() -> None:
        deadline = time.monotonic() + 10
        while not local.events() and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGTERM)  # handled by the command (installed before it reads)

    stopper = threading.Thread(target=stop_when_delivered)
    stopper.start()
    try:
        code, out, err = smartlive(
            capsys, "--local", "--room", local.room_id, "--follow", "--flush-interval", "0.01"
        )
    finally:
        stopper.join()
        os.close(write_end)  # the reader thread sees the end of input and finishes
        stdin.close()
    assert (code, out, err) == (0, "read 1, sent 1, rejected 0, requests 1\n", "")


def hostile_file(path: Path, valid: int) -> tuple[str, list[int]]:
    """`valid` good lines with hostile ones among them; (the file, the hostile lines' numbers)."""
    hostile = [
        b'{"type": 5, "content": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",  # item 20: nested 50,000 deep
        b'{"type": 5, "content": "\\ud800"}',  # item 21: a lone surrogate, in the API form
        b'{"type": "comment", "content": {"user": {"userId": "1"}, "content": "\\ud800"}}',  # friendly form
        b'{"type": 5, "\\udfff": 1}',
        b'{"timestamp": NaN, "type": 5}',
        b'{"type": 1, "content": "' + b'{\\"a\\":' * 1000 + b"1" + b"}" * 1000 + b'"}',
        b"x" * (1024 * 1024 + 10),  # longer than a line may be
    ]
    records: list[Any] = [comment(f"c{i}", 1_700_000_000_000 + i) for i in range(valid)]
    numbers = []
    for offset, line in enumerate(hostile):
        position = (offset + 1) * valid // (len(hostile) + 1) + offset
        records.insert(position, line)
        numbers.append(position + 1)
    return write(path, *records), numbers


def test_hostile_lines_are_reported_and_skipped_and_every_valid_event_is_sent(
    local: Local, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issues 15 items 20-21: a line nested 50,000 deep, or with the escape \\ud800, crashed the run:
    thousands of valid events never sent, and no summary."""
    path, numbers = hostile_file(tmp_path / "events.jsonl", 3000)
    code, out, err = smartlive(capsys, "--local", "--room", local.room_id, "--job-id", local.job_id, path)
    assert code == 1  # lines were rejected
    assert "Traceback" not in err
    rejected = err.splitlines()
    assert [line.split(":")[1] for line in rejected] == [str(n) for n in numbers]
    assert all(line.startswith(f"{path}:") for line in rejected)
    assert "nested more than 200 levels deep" in rejected[0]
    assert "half a surrogate pair" in rejected[1] and "half a surrogate pair" in rejected[2]
    assert "longer than 1 MiB" in rejected[-1]
    assert out == f"read 3007, sent 3000, rejected {len(numbers)}, requests 3\n"
    assert len(local.events()) == 3000


def test_hostile_lines_in_a_dry_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, numbers = hostile_file(tmp_path / "events.jsonl", 2000)
    code, out, err = smartlive(capsys, "--dry-run", path)
    assert code == 1 and len(err.splitlines()) == len(numbers)
    assert out.startswith(f"read 2007, sent 0, rejected {len(numbers)}, requests 0\n")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_in_one_line(device: str, capsys: pytest.CaptureFixture[str]) -> None:
    """/dev/zero was read until MemoryError (a line with no end)."""
    code, out, err = smartlive(capsys, "--dry-run", device)
    assert (code, out) == (1, "")
    assert err == f"error: cannot read {device}: a character device, not a file, a pipe or a terminal\n"


def test_dev_null_is_an_empty_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = smartlive(capsys, "--dry-run", "/dev/null")
    assert (code, err) == (0, "") and out.startswith("read 0, sent 0, rejected 0, requests 0\n")


@pytest.mark.parametrize("follow", [False, True])
def test_endless_input_with_no_line_break_ends_the_run(
    follow: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cat /dev/zero | smartlive events report`: a pipe cannot be refused like a device; after a line
    has run 64 times past the longest a line may be, reading stops with one line saying why."""
    import subprocess

    feeder = subprocess.Popen(["cat", "/dev/zero"], stdout=subprocess.PIPE)
    assert feeder.stdout is not None
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(feeder.stdout))
    try:
        code, out, err = smartlive(capsys, "--dry-run", *(["--follow"] if follow else []))
    finally:
        feeder.kill()
        feeder.wait()
    assert code == 1 and "Traceback" not in err
    assert err.splitlines() == [
        "<stdin>:1: longer than 1 MiB: not one event",
        "error: no line break in 64 MiB: this is not JSON Lines",
    ]
    assert out.startswith("read 1, sent 0, rejected 1, requests 0\n")


def test_an_endless_line_on_a_pipe_is_skipped_in_bounded_memory(capsys: pytest.CaptureFixture[str]) -> None:
    import threading

    read, write_end = os.pipe()

    def feed() -> None:
        with os.fdopen(write_end, "wb") as out:
            out.write(b"\0" * (8 * 1024 * 1024) + b"\n")  # /dev/zero, but with an end
            out.write(jsonl(comment("after")))

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        with os.fdopen(read, "rb") as stream:
            from reconciler.events.source import stream_lines

            lines = list(stream_lines(stream))
    finally:
        feeder.join()
    assert [len(line) for line in lines] == [1024 * 1024 + 1, len(jsonl(comment("after"))) - 1]
