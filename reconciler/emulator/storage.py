"""SQLite state of the emulator: one schema, one code path for a file (`--data`) and for `:memory:`.

Rows are typed; bodies are kept as the JSON the client sent (plus server fields), because the emulator must
be able to answer with exactly what was stored. Job state is not a column: it is derived from timestamps in
SQL (`_STATE_SQL`), so filtering and sorting by state or update time need no background task.

Schema changes are additive, so that a `--data` file of an older emulator opens as it is: new tables come with
`CREATE TABLE IF NOT EXISTS`, and rows an older version did not write are derived on read (a job without a
`job_configs` row: see snapshot.py).

Concurrency: one connection per Store behind a lock (the ASGI app runs on one event loop; tests may touch the
store from another thread). Writes use BEGIN IMMEDIATE so that two processes sharing a file (two `--local`
CLI runs) serialise instead of failing on lock upgrade; busy_timeout makes the second one wait.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.errors import ConfigError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rule_groups (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id TEXT NOT NULL UNIQUE,
    group_name TEXT NOT NULL,
    rules TEXT NOT NULL,
    create_ms INTEGER NOT NULL,
    update_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rule_groups_create ON rule_groups (create_ms, seq);
CREATE TABLE IF NOT EXISTS rooms (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id TEXT NOT NULL UNIQUE,
    room_name TEXT NOT NULL,
    room_type TEXT NOT NULL,
    body TEXT NOT NULL,
    create_ms INTEGER NOT NULL,
    update_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL UNIQUE,
    room_id TEXT NOT NULL,
    request TEXT NOT NULL,
    outputs TEXT NOT NULL,
    rtc_room_info TEXT NOT NULL,
    report_url TEXT NOT NULL,
    single_job INTEGER NOT NULL,
    create_ms INTEGER NOT NULL,
    processing_ms INTEGER NOT NULL,
    touched_ms INTEGER NOT NULL,
    end_ms INTEGER,
    final_state TEXT
);
CREATE INDEX IF NOT EXISTS jobs_room ON jobs (room_id, create_ms, seq);
CREATE INDEX IF NOT EXISTS jobs_create ON jobs (create_ms, seq);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    event TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_job ON events (job_id, seq);
CREATE TABLE IF NOT EXISTS commands (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    command_id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    command TEXT NOT NULL,
    params TEXT NOT NULL,
    create_ms INTEGER NOT NULL
);
-- The interaction rules a job runs, as an older emulator resolved them at start (read for its jobs only:
-- newer jobs keep their rules in job_configs).
CREATE TABLE IF NOT EXISTS job_rules (
    job_id TEXT PRIMARY KEY,
    rules TEXT NOT NULL,
    problems TEXT NOT NULL
);
-- What the rule engine made of a job's events (reactions.py): one row per rule that fired.
CREATE TABLE IF NOT EXISTS replies (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    reply_id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS replies_job ON replies (job_id, seq);
-- Callbacks the emulator sent or decided not to send (callbacks_out.py); state moves once, from pending.
CREATE TABLE IF NOT EXISTS callbacks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    callback_id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    record TEXT NOT NULL,
    state TEXT NOT NULL,
    status_code INTEGER,
    error TEXT,
    finish_ms INTEGER
);
CREATE INDEX IF NOT EXISTS callbacks_job ON callbacks (job_id, seq);
-- A job's configuration: its room as it was at StartSmartLive, merged with the start body, then changed by
-- REWRITE_INTERACTION_RULES / REWRITE_PLAY_SCRIPT (snapshot.py). Outputs live in jobs.outputs.
CREATE TABLE IF NOT EXISTS job_configs (
    job_id TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    problems TEXT NOT NULL,
    rules_since INTEGER NOT NULL,
    room_create_ms INTEGER NOT NULL,
    update_ms INTEGER NOT NULL,
    script_version TEXT NOT NULL
);
"""

_STATE_TABLES = (
    "rule_groups",
    "rooms",
    "jobs",
    "events",
    "commands",
    "job_rules",
    "job_configs",
    "replies",
    "callbacks",
)

# A job's state and last update as of :now, from its timestamps (see module docstring).
_STATE_SQL = (
    "CASE WHEN j.end_ms IS NOT NULL THEN j.final_state "
    "WHEN j.processing_ms <= :now THEN 'PROCESSING' ELSE 'WAITING' END"
)
_UPDATE_SQL = (
    "CASE WHEN j.end_ms IS NOT NULL THEN MAX(j.end_ms, j.touched_ms) "
    "WHEN j.processing_ms <= :now THEN MAX(j.processing_ms, j.touched_ms) ELSE j.touched_ms END"
)
_JOB_COLUMNS = (
    "j.job_id, j.room_id, COALESCE(r.room_name, ''), j.request, j.outputs, j.rtc_room_info, j.report_url, "
    "j.single_job, j.create_ms, j.processing_ms, j.touched_ms, j.end_ms, j.final_state"
)

SortDir = Literal["asc", "desc"]

#: Top-level names a job_configs query may extract (they are spliced into SQL JSON paths).
_JSON_NAME = re.compile(r"^[a-z_]+$")


@dataclass(frozen=True)
class GroupRow:
    group_id: str
    group_name: str
    rules: str  # JSON array of rules with their server fields
    create_ms: int
    update_ms: int


@dataclass(frozen=True)
class RoomRow:
    room_id: str
    room_name: str
    room_type: str
    body: str  # JSON of the CreateSmartLiveRoomReq as accepted
    create_ms: int
    #: Strictly increasing per room (see MetaStudioBackend.update_smart_live_room): it is script_version too.
    update_ms: int


@dataclass(frozen=True)
class JobRow:
    job_id: str
    room_id: str
    room_name: str
    request: str  # JSON of the StartSmartLiveReq as accepted, secrets included (see /_emulator/jobs)
    outputs: str  # JSON {"output_urls": [...], "stream_keys": [...]} currently in force
    rtc_room_info: str
    report_url: str
    single_job: bool
    create_ms: int
    processing_ms: int
    touched_ms: int
    end_ms: int | None
    final_state: str | None

    def state(self, now_ms: int) -> str:
        if self.end_ms is not None:
            return self.final_state or "SUCCEED"
        return "PROCESSING" if self.processing_ms <= now_ms else "WAITING"

    def last_update_ms(self, now_ms: int) -> int:
        if self.end_ms is not None:
            return max(self.end_ms, self.touched_ms)
        if self.processing_ms <= now_ms:
            return max(self.processing_ms, self.touched_ms)
        return self.touched_ms


@dataclass(frozen=True)
class JobConfigRow:
    job_id: str
    #: JSON of the room-shaped configuration (CreateSmartLiveRoomReq fields, secrets included), rules included,
    #: output_urls / stream_keys not (jobs.outputs holds those).
    config: str
    #: JSON list of what keeps the rules from reacting (reactions.room_rules).
    problems: str
    #: How many of the job's stored events came before its current rules (REWRITE_INTERACTION_RULES): a
    #: restarted engine replays only the events after them.
    rules_since: int
    room_create_ms: int
    #: The room's update time at start, then the last rewrite's time.
    update_ms: int
    script_version: str


@dataclass(frozen=True)
class Page:
    offset: int = 0
    limit: int = 10


@dataclass(frozen=True)
class TimeRange:
    """create_since / create_until in whole seconds, compared with the create_time as displayed."""

    since_s: int | None = None
    until_s: int | None = None

    def where(self, column: str, params: dict[str, Any]) -> list[str]:
        clauses = []
        if self.since_s is not None:
            params["since_ms"] = self.since_s * 1000
            clauses.append(f"{column} >= :since_ms")
        if self.until_s is not None:
            params["until_ms"] = (self.until_s + 1) * 1000
            clauses.append(f"{column} < :until_ms")
        return clauses


@dataclass(frozen=True)
class RoomQuery:
    room_name: str | None = None  # substring
    room_type: str | None = None
    #: Rooms with a scene script whose dh_id / model_asset_id / voice_config.voice_asset_id is this.
    dh_id: str | None = None
    model_asset_id: str | None = None
    voice_asset_id: str | None = None
    #: The state of the room's last job (job states; "NULL": the room has run no job).
    live_states: tuple[str, ...] = ()
    page: Page = field(default_factory=Page)


#: A scene-script filter of RoomQuery -> the JSON path inside one scene script.
_SCRIPT_FILTERS = {
    "dh_id": "$.dh_id",
    "model_asset_id": "$.model_asset_id",
    "voice_asset_id": "$.voice_config.voice_asset_id",
}
# The state of a room's last job as of :now (NULL when it has none), for ListSmartLiveRooms' live_state.
_LAST_STATE_SQL = (
    f"(SELECT {_STATE_SQL} FROM jobs j WHERE j.room_id = rooms.room_id "
    "ORDER BY j.create_ms DESC, j.seq DESC LIMIT 1)"
)


def _room_filters(query: RoomQuery, params: dict[str, Any]) -> list[str]:
    clauses = []
    if query.room_name:
        params["name"] = _like(query.room_name)
        clauses.append("room_name LIKE :name ESCAPE '\\'")
    if query.room_type:
        params["room_type"] = query.room_type
        clauses.append("room_type = :room_type")
    for name, path in _SCRIPT_FILTERS.items():
        value = getattr(query, name)
        if value:
            params[name] = value
            clauses.append(
                "EXISTS (SELECT 1 FROM json_each(rooms.body, '$.scene_scripts') s "
                f"WHERE json_extract(s.value, '{path}') = :{name})"
            )
    if query.live_states:
        states = [state for state in query.live_states if state != "NULL"]
        names = []
        for index, state in enumerate(states):
            params[f"s{index}"] = state
            names.append(f":s{index}")
        either = [f"{_LAST_STATE_SQL} IN ({', '.join(names)})"] if names else []
        if "NULL" in query.live_states:
            either.append(f"{_LAST_STATE_SQL} IS NULL")
        clauses.append("(" + " OR ".join(either) + ")")
    return clauses


@dataclass(frozen=True)
class JobQuery:
    room_id: str | None = None
    room_name: str | None = None
    states: tuple[str, ...] = ()
    created: TimeRange = field(default_factory=TimeRange)
    sort_key: Literal["create_time", "update_time"] = "create_time"
    sort_dir: SortDir = "asc"
    page: Page = field(default_factory=Page)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _job(row: Sequence[Any]) -> JobRow:
    return JobRow(
        job_id=row[0],
        room_id=row[1],
        room_name=row[2],
        request=row[3],
        outputs=row[4],
        rtc_room_info=row[5],
        report_url=row[6],
        single_job=bool(row[7]),
        create_ms=row[8],
        processing_ms=row[9],
        touched_ms=row[10],
        end_ms=row[11],
        final_state=row[12],
    )


class Tx:
    """The repository operations, valid inside one Store.read() or Store.write() block."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    # meta
    def meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def meta_default(self, key: str, value: str) -> str:
        self._conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
        stored = self.meta(key)
        assert stored is not None
        return stored

    # rule groups
    def insert_group(self, group: GroupRow) -> None:
        self._conn.execute(
            "INSERT INTO rule_groups (group_id, group_name, rules, create_ms, update_ms) VALUES (?, ?, ?, ?, ?)",
            (group.group_id, group.group_name, group.rules, group.create_ms, group.update_ms),
        )

    def group(self, group_id: str) -> GroupRow | None:
        row = self._conn.execute(
            "SELECT group_id, group_name, rules, create_ms, update_ms FROM rule_groups WHERE group_id = ?",
            (group_id,),
        ).fetchone()
        return None if row is None else GroupRow(*row)

    def group_named(self, group_name: str) -> GroupRow | None:
        row = self._conn.execute(
            "SELECT group_id, group_name, rules, create_ms, update_ms FROM rule_groups WHERE group_name = ? "
            "ORDER BY seq LIMIT 1",
            (group_name,),
        ).fetchone()
        return None if row is None else GroupRow(*row)

    def list_groups(self, name: str | None, created: TimeRange, page: Page) -> tuple[int, list[GroupRow]]:
        params: dict[str, Any] = {"limit": page.limit, "offset": page.offset}
        clauses = created.where("create_ms", params)
        if name:
            params["name"] = _like(name)
            clauses.append("group_name LIKE :name ESCAPE '\\'")
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        count = self._conn.execute(f"SELECT COUNT(*) FROM rule_groups{where}", params).fetchone()[0]
        rows = self._conn.execute(
            "SELECT group_id, group_name, rules, create_ms, update_ms FROM rule_groups"
            f"{where} ORDER BY create_ms, seq LIMIT :limit OFFSET :offset",
            params,
        ).fetchall()
        return int(count), [GroupRow(*row) for row in rows]

    def replace_group(self, group: GroupRow) -> None:
        self._conn.execute(
            "UPDATE rule_groups SET group_name = ?, rules = ?, update_ms = ? WHERE group_id = ?",
            (group.group_name, group.rules, group.update_ms, group.group_id),
        )

    def delete_group(self, group_id: str) -> bool:
        return self._conn.execute("DELETE FROM rule_groups WHERE group_id = ?", (group_id,)).rowcount > 0

    # rooms
    def insert_room(self, room: RoomRow) -> None:
        self._conn.execute(
            "INSERT INTO rooms (room_id, room_name, room_type, body, create_ms, update_ms) VALUES (?, ?, ?, ?, ?, ?)",
            (room.room_id, room.room_name, room.room_type, room.body, room.create_ms, room.update_ms),
        )

    def room(self, room_id: str) -> RoomRow | None:
        row = self._conn.execute(
            "SELECT room_id, room_name, room_type, body, create_ms, update_ms FROM rooms WHERE room_id = ?",
            (room_id,),
        ).fetchone()
        return None if row is None else RoomRow(*row)

    def replace_room(self, room: RoomRow) -> None:
        self._conn.execute(
            "UPDATE rooms SET room_name = ?, room_type = ?, body = ?, update_ms = ? WHERE room_id = ?",
            (room.room_name, room.room_type, room.body, room.update_ms, room.room_id),
        )

    def delete_room(self, room_id: str) -> bool:
        return self._conn.execute("DELETE FROM rooms WHERE room_id = ?", (room_id,)).rowcount > 0

    def list_rooms(self, query: RoomQuery, now_ms: int) -> tuple[int, list[RoomRow]]:
        page = query.page
        params: dict[str, Any] = {"limit": page.limit, "offset": page.offset, "now": now_ms}
        clauses = _room_filters(query, params)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        count = self._conn.execute(f"SELECT COUNT(*) FROM rooms{where}", params).fetchone()[0]
        rows = self._conn.execute(
            "SELECT room_id, room_name, room_type, body, create_ms, update_ms FROM rooms"
            f"{where} ORDER BY create_ms, seq LIMIT :limit OFFSET :offset",
            params,
        ).fetchall()
        return int(count), [RoomRow(*row) for row in rows]

    def last_job_of_room(self, room_id: str) -> JobRow | None:
        row = self._conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs j LEFT JOIN rooms r ON r.room_id = j.room_id "
            "WHERE j.room_id = ? ORDER BY j.create_ms DESC, j.seq DESC LIMIT 1",
            (room_id,),
        ).fetchone()
        return None if row is None else _job(row)

    # jobs
    def insert_job(self, job: JobRow) -> None:
        self._conn.execute(
            "INSERT INTO jobs (job_id, room_id, request, outputs, rtc_room_info, report_url, single_job, create_ms, "
            "processing_ms, touched_ms, end_ms, final_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.job_id,
                job.room_id,
                job.request,
                job.outputs,
                job.rtc_room_info,
                job.report_url,
                int(job.single_job),
                job.create_ms,
                job.processing_ms,
                job.touched_ms,
                job.end_ms,
                job.final_state,
            ),
        )

    def job(self, job_id: str) -> JobRow | None:
        row = self._conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs j LEFT JOIN rooms r ON r.room_id = j.room_id WHERE j.job_id = ?",
            (job_id,),
        ).fetchone()
        return None if row is None else _job(row)

    def active_jobs(self, room_id: str) -> list[JobRow]:
        """Jobs not yet ended (WAITING or PROCESSING at any time)."""
        rows = self._conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs j LEFT JOIN rooms r ON r.room_id = j.room_id "
            "WHERE j.room_id = ? AND j.end_ms IS NULL ORDER BY j.seq",
            (room_id,),
        ).fetchall()
        return [_job(row) for row in rows]

    def count_active_jobs(self) -> int:
        """Jobs of the project not yet ended (WAITING or PROCESSING), in every room."""
        row = self._conn.execute("SELECT COUNT(*) FROM jobs WHERE end_ms IS NULL").fetchone()
        return int(row[0])

    def list_jobs(self, query: JobQuery, now_ms: int) -> tuple[int, list[JobRow]]:
        params: dict[str, Any] = {"now": now_ms, "limit": query.page.limit, "offset": query.page.offset}
        clauses = query.created.where("j.create_ms", params)
        if query.room_id is not None:
            params["room_id"] = query.room_id
            clauses.append("j.room_id = :room_id")
        if query.room_name:
            params["room_name"] = _like(query.room_name)
            clauses.append("r.room_name LIKE :room_name ESCAPE '\\'")
        if query.states:
            names = []
            for index, state in enumerate(query.states):
                params[f"s{index}"] = state
                names.append(f":s{index}")
            clauses.append(f"({_STATE_SQL}) IN ({', '.join(names)})")
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        source = "FROM jobs j LEFT JOIN rooms r ON r.room_id = j.room_id"
        count = self._conn.execute(f"SELECT COUNT(*) {source}{where}", params).fetchone()[0]
        key = "j.create_ms" if query.sort_key == "create_time" else f"({_UPDATE_SQL})"
        direction = "DESC" if query.sort_dir == "desc" else "ASC"
        rows = self._conn.execute(
            f"SELECT {_JOB_COLUMNS} {source}{where} ORDER BY {key} {direction}, j.seq {direction} "
            "LIMIT :limit OFFSET :offset",
            params,
        ).fetchall()
        return int(count), [_job(row) for row in rows]

    def end_job(self, job_id: str, end_ms: int, final_state: str) -> None:
        self._conn.execute(
            "UPDATE jobs SET end_ms = ?, final_state = ? WHERE job_id = ?", (end_ms, final_state, job_id)
        )

    def set_job_outputs(self, job_id: str, outputs: str, touched_ms: int) -> None:
        self._conn.execute(
            "UPDATE jobs SET outputs = ?, touched_ms = ? WHERE job_id = ?", (outputs, touched_ms, job_id)
        )

    def touch_job(self, job_id: str, touched_ms: int) -> None:
        """The job changed (a command): its lastupdate_time moves."""
        self._conn.execute("UPDATE jobs SET touched_ms = ? WHERE job_id = ?", (touched_ms, job_id))

    def set_job_report_url(self, job_id: str, report_url: str) -> None:
        self._conn.execute("UPDATE jobs SET report_url = ? WHERE job_id = ?", (report_url, job_id))

    # live events and commands
    def append_events(self, job_id: str, received_ms: int, events: Sequence[str]) -> None:
        self._conn.executemany(
            "INSERT INTO events (job_id, received_ms, event) VALUES (?, ?, ?)",
            [(job_id, received_ms, event) for event in events],
        )

    def events(self, job_id: str) -> list[tuple[int, str]]:
        rows = self._conn.execute(
            "SELECT received_ms, event FROM events WHERE job_id = ? ORDER BY seq", (job_id,)
        ).fetchall()
        return [(int(r[0]), str(r[1])) for r in rows]

    def event_count(self, job_id: str) -> int:
        row = self._conn.execute("SELECT COUNT(*) FROM events WHERE job_id = ?", (job_id,)).fetchone()
        return int(row[0])

    def insert_command(self, command_id: str, job_id: str, command: str, params: str, create_ms: int) -> None:
        self._conn.execute(
            "INSERT INTO commands (command_id, job_id, command, params, create_ms) VALUES (?, ?, ?, ?, ?)",
            (command_id, job_id, command, params, create_ms),
        )

    def commands(self, job_id: str) -> list[tuple[str, str, str, int]]:
        rows = self._conn.execute(
            "SELECT command_id, command, params, create_ms FROM commands WHERE job_id = ? ORDER BY seq",
            (job_id,),
        ).fetchall()
        return [(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    # reactions: the rules a job runs, the replies it gave, the callbacks it sent
    def insert_job_rules(self, job_id: str, rules: str, problems: str) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO job_rules (job_id, rules, problems) VALUES (?, ?, ?)",
            (job_id, rules, problems),
        )

    def save_job_config(self, config: JobConfigRow) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO job_configs (job_id, config, problems, rules_since, room_create_ms, "
            "update_ms, script_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                config.job_id,
                config.config,
                config.problems,
                config.rules_since,
                config.room_create_ms,
                config.update_ms,
                config.script_version,
            ),
        )

    def job_config(self, job_id: str) -> JobConfigRow | None:
        row = self._conn.execute(
            "SELECT job_id, config, problems, rules_since, room_create_ms, update_ms, script_version "
            "FROM job_configs WHERE job_id = ?",
            (job_id,),
        ).fetchone()
        return None if row is None else JobConfigRow(*row)

    def job_config_fields(self, job_ids: Sequence[str], names: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The given top-level fields of each job's configuration (absent ones as None), extracted by SQLite so
        that a list page does not decode every job's scene scripts; jobs without a row are left out."""
        if not job_ids or not names:
            return {}
        for name in names:
            if not _JSON_NAME.match(name):
                raise ValueError(f"not a configuration field name: {name!r}")
        # With two paths or more json_extract answers one JSON array of their values, in order (with one, a
        # string would come back bare): the first name is asked twice.
        paths = ", ".join(f"'$.{name}'" for name in [*names, names[0]])
        marks = ", ".join("?" for _ in job_ids)
        rows = self._conn.execute(
            f"SELECT job_id, json_extract(config, {paths}) FROM job_configs WHERE job_id IN ({marks})",
            tuple(job_ids),
        ).fetchall()
        found: dict[str, dict[str, Any]] = {}
        for job_id, values in rows:
            found[str(job_id)] = dict(zip(names, json.loads(values), strict=False))
        return found

    def job_rules(self, job_id: str) -> tuple[str, str] | None:
        row = self._conn.execute(
            "SELECT rules, problems FROM job_rules WHERE job_id = ?", (job_id,)
        ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def insert_replies(self, job_id: str, replies: Sequence[tuple[str, str]]) -> None:
        """(reply_id, record JSON) pairs, in order."""
        self._conn.executemany(
            "INSERT INTO replies (reply_id, job_id, record) VALUES (?, ?, ?)",
            [(reply_id, job_id, record) for reply_id, record in replies],
        )

    def replies(self, job_id: str) -> list[str]:
        rows = self._conn.execute(
            "SELECT record FROM replies WHERE job_id = ? ORDER BY seq", (job_id,)
        ).fetchall()
        return [str(r[0]) for r in rows]

    def insert_callbacks(
        self, job_id: str, callbacks: Sequence[tuple[str, str, str, str | None, int | None]]
    ) -> None:
        """(callback_id, record JSON, state, error, finish_ms) tuples, in order."""
        self._conn.executemany(
            "INSERT INTO callbacks (callback_id, job_id, record, state, error, finish_ms) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(cid, job_id, record, state, error, finish) for cid, record, state, error, finish in callbacks],
        )

    def finish_callback(
        self, callback_id: str, state: str, status_code: int | None, error: str | None, finish_ms: int
    ) -> None:
        self._conn.execute(
            "UPDATE callbacks SET state = ?, status_code = ?, error = ?, finish_ms = ? "
            "WHERE callback_id = ? AND state = 'pending'",
            (state, status_code, error, finish_ms, callback_id),
        )

    def callbacks(self, job_id: str) -> list[tuple[str, str, int | None, str | None, int | None]]:
        """(record JSON, state, status_code, error, finish_ms) in the order they were decided."""
        rows = self._conn.execute(
            "SELECT record, state, status_code, error, finish_ms FROM callbacks WHERE job_id = ? ORDER BY seq",
            (job_id,),
        ).fetchall()
        return [(str(r[0]), str(r[1]), r[2], r[3], r[4]) for r in rows]

    def clear(self) -> None:
        """Forget every resource; meta (the emulator's own secret) stays, so issued URLs stay verifiable."""
        for table in _STATE_TABLES:
            self._conn.execute(f"DELETE FROM {table}")


class Store:
    def __init__(self, database: str) -> None:
        self._lock = threading.RLock()
        self._conn = _open(database)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self._lock:
            yield Tx(self._conn)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def secret(self) -> bytes:
        """The emulator's own secret for auth_key HMACs, created once per database."""
        with self.write() as tx:
            return bytes.fromhex(tx.meta_default("event_secret", secrets.token_hex(32)))


def _open(database: str) -> sqlite3.Connection:
    """The emulator's database, schema in place; ConfigError (one line, the CLI's exit 1) when `database`
    is a directory, not an SQLite file, or cannot be created: `--data` is the user's to fix."""
    if os.path.isdir(database):
        raise ConfigError(
            f"emulator database {database} is a directory: give a file path (created if missing)"
        )
    conn: sqlite3.Connection | None = None
    try:
        # isolation_level=None: transactions are begun explicitly below, never implicitly by the driver.
        conn = sqlite3.connect(database, check_same_thread=False, isolation_level=None, timeout=10.0)
        conn.execute("PRAGMA busy_timeout = 10000")
        # WAL lets readers of a shared file proceed during a write; on :memory: SQLite keeps its own mode.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.executescript(SCHEMA)
    except sqlite3.Error as error:
        if conn is not None:
            conn.close()
        raise ConfigError(f"emulator database {database} cannot be used: {error}") from None
    return conn
