"""A state store whose content this tool did not write (edited by hand, a bad restore, a damaged file),
on SQLite and PostgreSQL: every command that reads it stops in one line naming the store and what is
wrong, `error: the state store LOCATION is corrupt: ...`, exit 1, before anything is sent to the service.
The store is corrupted directly, as an operator with a database shell would (sqlite3, psycopg)."""

from __future__ import annotations

import shutil
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.resources import Address, ManagedRecord
from reconciler.state import fingerprint, open_store
from tests.acceptance.conftest import EXAMPLES
from tests.state.conftest import raw_query

#: The target `--local` names (the embedded emulator).
LOCAL = "http://smartlive.local|local-project"
JOB = "SmartLiveJob/store-landscape"
#: SQL that damages the store, and the problem the error line must name.
CORRUPTIONS = {
    "field fingerprints not JSON": (
        f"UPDATE resources SET field_fingerprints = '{{not json' WHERE address = '{JOB}'",
        f"the record of {JOB}: field_fingerprints are not JSON: '{{not json'",
    ),
    "field fingerprints not an object": (
        f"UPDATE resources SET field_fingerprints = '[\"a\"]' WHERE address = '{JOB}'",
        f"the record of {JOB}: field_fingerprints are not an object of texts",
    ),
    "field fingerprint not a text": (
        f"UPDATE resources SET field_fingerprints = '{{\"stream_keys\": 7}}' WHERE address = '{JOB}'",
        f"the record of {JOB}: field_fingerprints are not an object of texts",
    ),
    "hmac key not hex": (
        "UPDATE meta SET value = 'not-hex-' || value WHERE key = 'hmac_key'",
        "its hmac_key (table meta) is not 64 hex digits",
    ),
    "hmac key too short": (
        "UPDATE meta SET value = 'abcd' WHERE key = 'hmac_key'",
        "its hmac_key (table meta) is not 64 hex digits",
    ),
    "address not KIND/NAME": (
        f"UPDATE resources SET address = 'garbage' WHERE address = '{JOB}'",
        "a record's address 'garbage' is not KIND/NAME",
    ),
    "address of another kind": (
        f"UPDATE resources SET kind = 'InteractionRuleGroup' WHERE address = '{JOB}'",
        f"the record of {JOB} has kind 'InteractionRuleGroup'",
    ),
    "a table dropped": ("DROP TABLE resources", ""),
    "schema version not a number": (
        "UPDATE meta SET value = 'two' WHERE key = 'schema_version'",
        "its schema_version 'two' is not a number",
    ),
}
#: Commands that read the store, as a user runs them (`--local`: no account, no network).
COMMANDS = {
    "plan": ["plan", "examples", "--local"],
    "apply": ["apply", "examples", "--local", "--auto-approve"],
    "state list": ["state", "list", "--local"],
    "state show": ["state", "show", JOB, "--local"],
}
#: The corruptions a command does not see: `state` never needs the HMAC key, and `state show JOB` reads
#: JOB's record alone (which the damaged address no longer names).
NOT_READ = {(c, k) for c in ("state list", "state show") for k in ("hmac key not hex", "hmac key too short")}
NOT_READ |= {("state show", "address not KIND/NAME")}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("SMARTLIVE_STATE", "SMARTLIVE_LOCAL", "SMARTLIVE_STACK", "SMARTLIVE_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    return tmp_path


def seeded(url: str, workdir: Path) -> str:
    """A store with records as apply writes them; its location as messages name it."""
    store = open_store(url, workdir=workdir)
    try:
        key = store.hmac_key()
        for address, remote_id in (("SmartLiveRoom/flagship-store", "room-1"), (JOB, "job-1")):
            store.put(
                LOCAL,
                ManagedRecord(
                    Address.parse(address),
                    remote_id,
                    room_id="room-1",
                    field_fingerprints={"stream_keys": fingerprint(["k"], key)},
                    stack=".",
                ),
                applied_by="ci@runner",
            )
        return store.location
    finally:
        store.close()


def run(*argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def assert_one_line(err: str, location: str, problem: str) -> None:
    assert err.startswith(f"error: the state store {location} is corrupt: {problem}"), err
    assert err.count("\n") == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_corrupt_store_is_one_line_naming_it(
    store_url: str, workdir: Path, corruption: str, command: str
) -> None:
    location = seeded(store_url, workdir)
    sql, problem = CORRUPTIONS[corruption]
    raw_query(store_url, sql)
    code, out, err = run(*COMMANDS[command], "--state", store_url)
    if (command, corruption) in NOT_READ:
        assert "is corrupt:" not in err and "Traceback" not in err
        return
    assert code == 1, out + err
    assert_one_line(err, location, problem)
    assert "Apply complete" not in out
    if command == "apply":  # stopped before the first write: the embedded emulator holds nothing
        assert run("plan", "examples", "--local")[1].count("will be created") >= 5


def test_a_sqlite_value_of_another_type_is_corrupt(workdir: Path) -> None:
    """SQLite keeps any type in a TEXT column: a blob where a remote id should be is not read as one."""
    url = str(workdir / "state.db")
    location = seeded(url, workdir)
    raw_query(url, f"UPDATE resources SET remote_id = x'ff00' WHERE address = '{JOB}'")
    code, _out, err = run("state", "list", "--local", "--state", url)
    assert code == 1
    assert_one_line(err, location, f"the record of {JOB} has remote_id b'\\xff\\x00', not a text")


@pytest.mark.parametrize(
    "command", [COMMANDS["apply"], ["state", "unlock", "--local"], ["state", "rm", JOB, "--local"]]
)
def test_a_sqlite_lock_path_that_is_a_directory_is_corrupt(workdir: Path, command: list[str]) -> None:
    url = str(workdir / "state.db")
    location = seeded(url, workdir)
    store = open_store(url, workdir=workdir)
    lock_path = store.lock_path(LOCAL)  # type: ignore[attr-defined]
    store.close()
    lock_path.mkdir()
    code, out, err = run(*command, "--state", url)
    assert code == 1, out + err
    assert_one_line(err, location, f"its lock file {lock_path} is a directory")


def test_a_statement_sqlite_refuses_at_once_as_locked_is_run_again() -> None:
    """SQLite answers SQLITE_BUSY without waiting where waiting could deadlock (two applies opening a
    new store together): the statement is run again, not reported as an error."""
    import sqlite3

    from reconciler.state.sqlite import _when_free

    answers: list[object] = [sqlite3.OperationalError("database is locked")] * 2 + ["done"]

    def statement() -> object:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert _when_free(statement) == "done" and not answers
