"""The StateStore contract, run against SQLite and a real PostgreSQL server alike."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.resources import NO_STACK, Address, ManagedRecord
from reconciler.state import SCHEMA_VERSION, StoredRecord, fingerprint, open_store, schema
from tests.state.conftest import Spawn, raw_query

T1 = "https://metastudio.cn-north-4.myhuaweicloud.com|p1"
T2 = "http://smartlive.local|local-project"
GROUP = ManagedRecord(
    Address("InteractionRuleGroup", "greetings"), "g-1", fingerprint="ab" * 32, update_time="t1"
)
JOB = ManagedRecord(
    Address("SmartLiveJob", "evening"),
    "job-9",
    room_id="room-3",
    fingerprint="cd" * 32,
    field_fingerprints={"stream_keys": "ef" * 32, "interaction_callback_url": "01" * 32},
)
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_put_then_get_returns_the_record_with_when_and_who(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url, workdir=tmp_path)
    store.put(T1, JOB, applied_by="ci@runner-4")
    got = store.get(T1, JOB.address)
    assert isinstance(got, StoredRecord)
    assert got.as_managed() == JOB
    assert got.applied_by == "ci@runner-4"
    assert ISO_Z.match(got.applied_at), got.applied_at
    applied = datetime.fromisoformat(got.applied_at.replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - applied) < timedelta(seconds=30)
    assert store.get(T1, Address("SmartLiveJob", "absent")) is None
    store.close()


def test_records_are_per_target(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url, workdir=tmp_path)
    store.put(T1, GROUP, applied_by="a")
    store.put(T1, JOB, applied_by="a")
    store.put(T2, GROUP, applied_by="b")
    assert store.records(T1) == {GROUP.address: GROUP, JOB.address: JOB}
    assert store.records(T2) == {GROUP.address: GROUP}
    assert store.records("nowhere|p") == {}
    store.close()


def test_put_upserts(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url, workdir=tmp_path)
    store.put(T1, GROUP, applied_by="first")
    changed = ManagedRecord(GROUP.address, "g-2", fingerprint="99" * 32, update_time="t2")
    store.put(T1, changed, applied_by="second")
    assert store.records(T1) == {GROUP.address: changed}
    got = store.get(T1, GROUP.address)
    assert got is not None and got.applied_by == "second"
    store.close()


def test_remove(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url, workdir=tmp_path)
    store.put(T1, GROUP, applied_by="a")
    store.put(T2, GROUP, applied_by="a")
    assert store.remove(T1, GROUP.address) is True
    assert store.remove(T1, GROUP.address) is False
    assert store.get(T1, GROUP.address) is None
    assert store.get(T2, GROUP.address) is not None  # the other target's record is untouched
    store.close()


def test_hmac_key_is_random_32_bytes_and_stable(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url, workdir=tmp_path)
    key = store.hmac_key()
    assert len(key) == 32 and key == store.hmac_key()
    store.close()
    again = open_store(store_url, workdir=tmp_path)
    assert again.hmac_key() == key
    again.close()
    other = open_store(str(tmp_path / "other.db"), workdir=tmp_path)
    assert other.hmac_key() != key
    other.close()


def test_records_survive_reopen(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url, workdir=tmp_path)
    store.put(T1, JOB, applied_by="a")
    store.close()
    reopened = open_store(store_url, workdir=tmp_path)
    assert reopened.records(T1) == {JOB.address: JOB}
    reopened.close()


def test_a_put_survives_the_process_being_killed(store_url: str, tmp_path: Path, spawn: Spawn) -> None:
    proc = spawn(store_url, T1, "put-and-die", "--count", "3")
    out, err = proc.communicate(timeout=30)
    assert out.strip() == "PUT", err
    assert proc.returncode == -9
    store = open_store(store_url, workdir=tmp_path)
    assert sorted(store.records(T1)) == [Address("InteractionRuleGroup", f"g{i}") for i in range(3)]
    store.close()


def test_concurrent_writers_lose_nothing(store_url: str, tmp_path: Path, spawn: Spawn) -> None:
    # Three processes open a fresh store at once: creating the schema is part of the race.
    procs = [spawn(store_url, T1, "put-many", "--count", "40", "--prefix", p) for p in ("a", "b")]
    store = open_store(store_url, workdir=tmp_path)

    def put_from_thread(prefix: str) -> None:
        for i in range(40):
            store.put(T1, ManagedRecord(Address("SmartLiveJob", f"{prefix}{i}"), str(i)), applied_by="t")

    threads = [threading.Thread(target=put_from_thread, args=(p,)) for p in ("x", "y")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert out.strip() == "PUT", err
    assert len(store.records(T1)) == 160
    store.close()


def test_schema_is_versioned(store_url: str, tmp_path: Path) -> None:
    open_store(store_url, workdir=tmp_path).close()
    assert raw_query(store_url, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]


def test_an_older_schema_is_migrated(store_url: str, tmp_path: Path) -> None:
    raw_query(store_url, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    raw_query(store_url, "INSERT INTO meta (key, value) VALUES ('schema_version', '0')")
    store = open_store(store_url, workdir=tmp_path)
    store.put(T1, GROUP, applied_by="a")
    assert store.records(T1) == {GROUP.address: GROUP}
    store.close()
    assert raw_query(store_url, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]


def test_a_newer_schema_is_refused(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url, workdir=tmp_path)
    store.put(T1, GROUP, applied_by="a")
    store.close()
    newer = str(SCHEMA_VERSION + 1)
    raw_query(store_url, "UPDATE meta SET value = ? WHERE key = 'schema_version'", (newer,))
    with pytest.raises(ConfigError, match=rf"schema version {newer}, newer than this smartlive knows"):
        open_store(store_url, workdir=tmp_path)
    # Refusing changed nothing: the record and the version are as they were.
    assert raw_query(store_url, "SELECT value FROM meta WHERE key = 'schema_version'") == [(newer,)]
    assert raw_query(store_url, "SELECT remote_id FROM resources") == [("g-1",)]


def test_no_secret_reaches_the_store(store_url: str, tmp_path: Path) -> None:
    secret = "my-stream-key-123"
    store = open_store(store_url, workdir=tmp_path)
    key = store.hmac_key()
    record = ManagedRecord(
        Address("SmartLiveJob", "evening"),
        "job-1",
        room_id="room-1",
        fingerprint=fingerprint({"stream_keys": [secret], "room": "room-1"}, key),
        field_fingerprints={"stream_keys": fingerprint([secret], key), "key": fingerprint(secret, key)},
    )
    store.put(T1, record, applied_by="ci")
    assert store.get(T1, record.address) is not None
    store.close()
    if store_url.startswith("postgresql://"):
        tables = [
            r[0] for r in raw_query(store_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        assert {"resources", "meta", "locks"} <= set(tables)
        dump = "".join(repr(raw_query(store_url, f"SELECT * FROM {table}")) for table in tables)
        assert "job-1" in dump  # the scan does see the rows
        assert secret not in dump
    else:
        raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("state.db"))
        assert b"job-1" in raw
        assert secret.encode() not in raw


def test_fingerprint_is_hmac_sha256_over_canonical_json() -> None:
    key = b"k" * 32
    value = {"b": [1, "ü"], "a": {"y": None, "x": True}}
    expected = hmac.new(key, '{"a":{"x":true,"y":null},"b":[1,"ü"]}'.encode(), hashlib.sha256).hexdigest()
    assert fingerprint(value, key) == expected
    assert (
        fingerprint({"a": {"x": True, "y": None}, "b": [1, "ü"]}, key) == expected
    )  # key order is irrelevant
    assert fingerprint(value, b"j" * 32) != expected
    assert fingerprint("my-stream-key-123", key) != fingerprint("my-stream-key-124", key)


def test_a_record_keeps_its_stack(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url, workdir=tmp_path)
    store.put(T1, replace(GROUP, stack="shop-a"), applied_by="a")
    store.put(T1, replace(JOB, stack="teams/shop b"), applied_by="a")
    assert {a: r.stack for a, r in store.records(T1).items()} == {
        GROUP.address: "shop-a",
        JOB.address: "teams/shop b",
    }
    got = store.get(T1, JOB.address)
    assert got is not None and got.as_managed() == replace(JOB, stack="teams/shop b")
    # One record per address and target: putting it under another stack moves it, never duplicates it.
    store.put(T1, replace(GROUP, stack="shop-b"), applied_by="b")
    assert [r.stack for r in store.stored_records(T1).values()] == ["shop-b", "teams/shop b"]
    store.close()


def test_records_written_before_stacks_are_migrated_with_no_stack(store_url: str, tmp_path: Path) -> None:
    """A store at schema version 1 (before stacks) with a record in it, as an older smartlive left it."""
    raw_query(store_url, schema.CREATE_META)
    schema.MIGRATIONS[0](lambda sql, params: raw_query(store_url, sql, tuple(params)))
    raw_query(store_url, "INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
    raw_query(
        store_url,
        "INSERT INTO resources (target, address, kind, remote_id, applied_at) VALUES (?, ?, ?, ?, ?)",
        (T1, str(GROUP.address), GROUP.kind, "g-old", "2025-01-01T00:00:00.000Z"),
    )
    store = open_store(store_url, workdir=tmp_path)
    (record,) = store.records(T1).values()
    assert (record.remote_id, record.stack) == ("g-old", NO_STACK)
    store.put(T1, replace(record, stack="shop-a"), applied_by="a")  # a stack that declares it takes it over
    assert [r.stack for r in store.records(T1).values()] == ["shop-a"]
    store.close()
    assert raw_query(store_url, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]
    assert SCHEMA_VERSION == 2
