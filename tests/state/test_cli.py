"""`smartlive state list|show|rm|unlock` as a user runs them (`--local` target, default store path)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.resources import Address, ManagedRecord
from reconciler.state import LockHolder, StateStore, fingerprint, open_store
from tests.state.conftest import Spawn, wait_for
from tests.state.pg_server import PgServer

LOCAL = "http://smartlive.local|local-project"
SECRET = "my-stream-key-123"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in (
        "SMARTLIVE_STATE",
        "SMARTLIVE_LOCAL",
        "SMARTLIVE_ENDPOINT",
        "SMARTLIVE_REGION",
        "SMARTLIVE_STACK",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def seed(store: StateStore) -> None:
    key = store.hmac_key()
    store.put(
        LOCAL,
        ManagedRecord(Address("InteractionRuleGroup", "greetings"), "g-1", fingerprint="aa" * 32),
        applied_by="alice@laptop",
    )
    store.put(
        LOCAL,
        ManagedRecord(
            Address("SmartLiveJob", "evening"),
            "job-7",
            room_id="room-2",
            fingerprint=fingerprint({"stream_keys": [SECRET]}, key),
            field_fingerprints={"stream_keys": fingerprint([SECRET], key)},
            update_time="2025-01-01T00:00:00Z",
        ),
        applied_by="ci@runner",
    )
    store.put("https://other|p", ManagedRecord(Address("InteractionRuleGroup", "x"), "g-x"), "bob")


@pytest.fixture
def seeded(workdir: Path) -> StateStore:
    store = open_store(None, workdir=workdir)
    seed(store)
    return store


def test_list_text(seeded: StateStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["state", "list", "--local"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["ADDRESS", "KIND", "REMOTE", "ID", "STACK", "APPLIED", "AT", "APPLIED", "BY"]
    assert lines[1].split()[:3] == ["InteractionRuleGroup/greetings", "InteractionRuleGroup", "g-1"]
    assert lines[1].split()[-1] == "alice@laptop"
    assert lines[2].split()[:3] == ["SmartLiveJob/evening", "SmartLiveJob", "job-7"]
    assert "2 resources recorded for http://smartlive.local|local-project" in out
    assert "g-x" not in out  # another target's record
    assert "aa" * 6 not in out and SECRET not in out


def test_list_json(seeded: StateStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["state", "list", "--local", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format_version"] == "1" and doc["target"] == LOCAL
    assert [r["address"] for r in doc["resources"]] == [
        "InteractionRuleGroup/greetings",
        "SmartLiveJob/evening",
    ]
    job = doc["resources"][1]
    assert job["remote_id"] == "job-7" and job["room_id"] == "room-2" and job["applied_by"] == "ci@runner"
    assert "fingerprint" not in json.dumps(doc)


def test_list_empty(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["state", "list", "--local"]) == 0
    assert "No resources recorded for http://smartlive.local|local-project" in capsys.readouterr().out
    assert (workdir / ".smartlive" / "state.db").exists()


def test_show(seeded: StateStore, capsys: pytest.CaptureFixture[str]) -> None:
    expected = seeded.get(LOCAL, Address("SmartLiveJob", "evening"))
    assert expected is not None
    assert main(["state", "show", "SmartLiveJob/evening", "--local"]) == 0
    out = capsys.readouterr().out
    for text in ("job-7", "room-2", "2025-01-01T00:00:00Z", expected.applied_at, "ci@runner"):
        assert text in out
    stream_fp = expected.field_fingerprints["stream_keys"]
    assert f"stream_keys: {stream_fp[:12]}" in out
    assert stream_fp[:13] not in out and expected.fingerprint[:13] not in out
    assert expected.fingerprint[:12] in out


def test_show_unknown_address(seeded: StateStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["state", "show", "SmartLiveJob/nope", "--local"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "error: no resource SmartLiveJob/nope in the state of http://smartlive.local|local-project"
    )


def test_rm_forgets_and_says_the_remote_object_is_untouched(
    seeded: StateStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["state", "rm", "InteractionRuleGroup/greetings", "--local"]) == 0
    out = capsys.readouterr().out
    assert "Removed InteractionRuleGroup/greetings (InteractionRuleGroup g-1)" in out
    assert "remote object was not touched" in out
    assert list(seeded.records(LOCAL)) == [Address("SmartLiveJob", "evening")]
    assert main(["state", "rm", "InteractionRuleGroup/greetings", "--local"]) == 1
    assert "no resource InteractionRuleGroup/greetings" in capsys.readouterr().err


@pytest.fixture
def stacked(workdir: Path) -> StateStore:
    """Records of two stacks and one from before stacks, on the local target."""
    store = open_store(None, workdir=workdir)
    for name, remote_id, stack in (("a", "g-a", "shop-a"), ("b", "g-b", "shop b"), ("old", "g-o", "")):
        store.put(LOCAL, ManagedRecord(Address("InteractionRuleGroup", name), remote_id, stack=stack), "u")
    return store


def test_list_shows_every_stack_or_the_one_named(
    stacked: StateStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["state", "list", "--local"]) == 0
    rows = [line.split()[:4] for line in capsys.readouterr().out.splitlines()[1:4]]
    assert rows == [
        ["InteractionRuleGroup/a", "InteractionRuleGroup", "g-a", "shop-a"],
        ["InteractionRuleGroup/b", "InteractionRuleGroup", "g-b", "shop"],  # "shop b", split on the space
        ["InteractionRuleGroup/old", "InteractionRuleGroup", "g-o", "-"],
    ]
    assert main(["state", "list", "--local", "--stack", "shop-a", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)["resources"]
    # Its own records and those from before stacks (which it may take over); never another stack's.
    assert [(r["address"], r["stack"]) for r in listed] == [
        ("InteractionRuleGroup/a", "shop-a"),
        ("InteractionRuleGroup/old", ""),
    ]
    assert main(["state", "list", "--local", "--stack", "nobody"]) == 0
    assert (
        '1 resource recorded for http://smartlive.local|local-project (stack "nobody")'
        in capsys.readouterr().out
    )


def test_a_named_stack_never_touches_another_stacks_record(
    stacked: StateStore, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["show"], ["rm"], ["mv"]):
        assert main(["state", *command, "InteractionRuleGroup/b", "--local", "--stack", "shop-a"]) == 1
        assert capsys.readouterr().err == (
            'error: InteractionRuleGroup/b is managed by stack "shop b", not "shop-a": pass --stack \'shop b\' '
            "to work on it\n"
        )
    assert stacked.get(LOCAL, Address("InteractionRuleGroup", "b")) is not None
    assert main(["state", "show", "InteractionRuleGroup/b", "--local"]) == 0  # no --stack: any record
    assert "stack:              shop b" in capsys.readouterr().out


def test_mv_to_another_stack_and_rm_says_how_to_import_it_again(
    stacked: StateStore, capsys: pytest.CaptureFixture[str]
) -> None:
    a = Address("InteractionRuleGroup", "a")
    assert main(["state", "mv", "InteractionRuleGroup/a", "--local"]) == 1
    assert "nothing to move" in capsys.readouterr().err
    assert main(["state", "mv", str(a), "--to-stack", "shop b", "--local", "--stack", "shop-a"]) == 0
    out = capsys.readouterr().out
    assert out == (
        'Moved InteractionRuleGroup/a to InteractionRuleGroup/a (InteractionRuleGroup g-a), from stack "shop-a" '
        'to stack "shop b"; the service was not touched.\n'
    )
    moved = stacked.get(LOCAL, a)
    assert moved is not None and (moved.remote_id, moved.stack) == ("g-a", "shop b")
    assert main(["state", "mv", str(a), "--to-stack", "", "--local"]) == 2
    assert capsys.readouterr().err == "error: --to-stack: a stack name cannot be empty\n"
    assert main(["state", "rm", str(a), "--local"]) == 0
    assert (
        "`smartlive import InteractionRuleGroup/a g-a --stack 'shop b'` adopts it again"
        in capsys.readouterr().out
    )


def test_rm_is_refused_while_an_apply_holds_the_lock(
    seeded: StateStore, workdir: Path, capsys: pytest.CaptureFixture[str], spawn: Spawn
) -> None:
    pid = wait_for(spawn(".smartlive/state.db", LOCAL, "lock"), "LOCKED").split()[1]
    assert main(["state", "rm", "SmartLiveJob/evening", "--local"]) == 1
    assert f"locked by pid {pid} on host" in capsys.readouterr().err
    assert Address("SmartLiveJob", "evening") in seeded.records(LOCAL)


def test_state_option_and_environment_variable(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = workdir / "elsewhere" / "team.db"
    seed(open_store(f"sqlite://{elsewhere}", workdir=workdir))
    assert main(["state", "list", "--local", "--state", f"sqlite://{elsewhere}"]) == 0
    assert "g-1" in capsys.readouterr().out
    monkeypatch.setenv("SMARTLIVE_STATE", str(elsewhere))
    assert main(["state", "list", "--local"]) == 0
    assert str(elsewhere) in capsys.readouterr().out
    assert not (workdir / ".smartlive").exists()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mysql://u:hunter2@db/state", "unsupported state store URL scheme 'mysql'"),
        ("postgresql://u:hunter2@127.0.0.1:1/state", "cannot connect to the PostgreSQL state store"),
        ("postgresql://u:hunter2@127.0.0.1:notaport/state", "PostgreSQL state store"),
        ("sqlite://", "names no file"),
    ],
)
def test_bad_store_url_is_one_clear_line_without_the_password(
    workdir: Path, capsys: pytest.CaptureFixture[str], spec: str, message: str
) -> None:
    assert main(["state", "list", "--local", "--state", spec]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert "hunter2" not in err
    assert err.count("\n") == 1


def test_wrong_postgres_password(
    workdir: Path, pg_server: PgServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = pg_server.url("postgres", user="secured", password="wrong-pass-42")
    assert main(["state", "list", "--local", "--state", url]) == 1
    err = capsys.readouterr().err
    assert "password authentication failed" in err and "secured:***@127.0.0.1" in err
    assert "wrong-pass-42" not in err


def test_a_file_that_is_not_a_database(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "notes.txt").write_text("hello " * 1000)
    assert main(["state", "list", "--local", "--state", "notes.txt"]) == 1
    assert "cannot open the SQLite state store" in capsys.readouterr().err


def test_unlock_sqlite(workdir: Path, capsys: pytest.CaptureFixture[str], spawn: Spawn) -> None:
    assert main(["state", "unlock", "--local"]) == 0
    assert "No lock is held on http://smartlive.local|local-project" in capsys.readouterr().out
    holder = spawn(".smartlive/state.db", LOCAL, "lock")
    pid = wait_for(holder, "LOCKED").split()[1]
    assert main(["state", "unlock", "--local"]) == 1
    assert f"locked by pid {pid} on host" in capsys.readouterr().err
    assert main(["state", "unlock", "--local", "--force"]) == 1
    assert "cannot be broken from outside" in capsys.readouterr().err
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=10)
    assert main(["state", "unlock", "--local", "--force"]) == 0
    assert "No lock is held" in capsys.readouterr().out


def test_unlock_postgres(
    workdir: Path, pg_url: str, capsys: pytest.CaptureFixture[str], spawn: Spawn
) -> None:
    alive_here = spawn(pg_url, LOCAL, "lock")
    pid = wait_for(alive_here, "LOCKED").split()[1]
    assert main(["state", "unlock", "--local", "--state", pg_url]) == 1
    assert "unlock --force` ends the database session" in capsys.readouterr().err
    # A holder still running on this host is stopped, not bypassed.
    assert main(["state", "unlock", "--local", "--force", "--state", pg_url]) == 1
    assert f"still running on this host: stop it (kill {pid})" in capsys.readouterr().err
    alive_here.kill()
    alive_here.wait(timeout=10)
    # A holder on a vanished machine whose session lingers: --force ends that session.
    remote = spawn(pg_url, LOCAL, "lock", "--host", "gone-runner-7")
    wait_for(remote, "LOCKED")
    assert main(["state", "unlock", "--local", "--force", "--state", pg_url]) == 0
    assert "Released the lock on http://smartlive.local|local-project held by pid" in capsys.readouterr().out
    store = open_store(pg_url, workdir=workdir)
    with store.lock(LOCAL, timeout=2, holder=LockHolder.current("test")):
        pass
    store.close()
