"""The emulated MetaStudio smart-live service: state and operations named after the API's, no HTTP.

Requests arrive as validated models of reconciler.api.models and answers leave as models of it; the HTTP
layer (routes.py) only parses and serialises. Choices where the service's behaviour is unknown are listed in
docs/emulator.md and, for rooms and commands, in docs/emulator-rooms.md; each is tested in
tests/emulator/.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.api import jsontext
from reconciler.api import models as m
from reconciler.emulator import eventurl, exceptions, jobcontrol, snapshot, views
from reconciler.emulator.clock import Clock, rfc3339, to_ms
from reconciler.emulator.exceptions import validation_message
from reconciler.emulator.reactions import Reactions, check_rules, room_rules
from reconciler.emulator.storage import (
    GroupRow,
    JobQuery,
    JobRow,
    Page,
    RoomQuery,
    RoomRow,
    Store,
    TimeRange,
    Tx,
)

log = logging.getLogger("reconciler.emulator")

RTC_APP_ID = "smartlive-emulator"
#: room_type of a room created without one (the SDK documents no default).
DEFAULT_ROOM_TYPE = "NORMAL"
#: ListSmartLiveRooms' live_state values (and the job states) -> the job state they stand for ("NULL": the
#: room ran no job). CANCELED is documented; no emulated job ends so, so it matches no room.
_LIVE_STATE_FILTER = {
    **{state: state for state in m.JOB_STATES},
    "SUCCESS": "SUCCEED",
    "CANCELED": "CANCELED",
    "NULL": "NULL",
}

# Thresholds of the start warnings (seed 003 table 16 names them; the service does not publish its limits).
MIN_SCRIPT_ITEMS = 3
#: About five minutes of speech at the normal rate of ~250 characters a minute (seed 003, VoiceConfig.speed).
MIN_SCRIPT_CHARS = 1250
MIN_DANMAKU_RULES = 3

#: Called with a job and the events just stored for it, in order. The rule engine plugs in here.
EventHook = Callable[[JobRow, Sequence[m.LiveEvent]], None]


@dataclass(frozen=True)
class GroupListQuery:
    group_name: str | None = None
    created: TimeRange = field(default_factory=TimeRange)
    page: Page = field(default_factory=Page)


@dataclass(frozen=True)
class RoomListQuery:
    """ListSmartLiveRooms' filters (ListSmartLiveRoomsQuery), plus model_asset_id and voice_asset_id, which
    API.md lists and SDK 3.1.219 does not send."""

    room_name: str | None = None
    room_type: str | None = None
    dh_id: str | None = None
    model_asset_id: str | None = None
    voice_asset_id: str | None = None
    live_state: str | None = None
    confirm_state: str | None = None
    page: Page = field(default_factory=Page)


def _new_id() -> str:
    return str(uuid.uuid4())


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _dump(model: BaseModel) -> str:
    return _dumps(m.to_wire(model))


class MetaStudioBackend:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        project_id: str,
        start_delay: float,
        event_url_ttl: float,
        on_events: EventHook | None = None,
        reactions: Reactions | None = None,
        active_job_quota: Callable[[], int | None] = lambda: None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.project_id = project_id
        self.start_delay = start_delay
        self.event_url_ttl = event_url_ttl
        self._secret = store.secret()
        self._event_hook = on_events
        #: The rule engine's side (reactions.py): replies and callbacks; None reacts to nothing.
        self.reactions = reactions
        #: The project's job concurrency quota in force (a fault setting, so it is asked each time).
        self._active_job_quota = active_job_quota

    def now_ms(self) -> int:
        return to_ms(self.clock.now())

    # ------------------------------------------------------------------------------------------------
    # Interaction rule groups
    # ------------------------------------------------------------------------------------------------

    def _rules(self, rules: Sequence[m.InteractionRuleInfo] | None, now: int) -> str:
        stored = []
        for index, rule in enumerate(rules or [], start=1):
            wire = m.to_wire(rule)
            # rule_index is "no need for the user to fill in": the service numbers rules when it is absent.
            wire.setdefault("rule_index", str(index))
            stored.append({**wire, "rule_id": _new_id(), "create_ms": now, "update_ms": now})
        return json.dumps(stored, ensure_ascii=False, separators=(",", ":"))

    def _group_detail(self, row: GroupRow) -> dict[str, Any]:
        rules = []
        for rule in json.loads(row.rules):
            created, updated = rule.pop("create_ms"), rule.pop("update_ms")
            rules.append({**rule, "create_time": rfc3339(created), "update_time": rfc3339(updated)})
        return {
            "group_id": row.group_id,
            "group_name": row.group_name,
            "interaction_rules": rules,
            "create_time": rfc3339(row.create_ms),
            "update_time": rfc3339(row.update_ms),
        }

    def _group(self, group_id: str) -> GroupRow:
        with self.store.read() as tx:
            row = tx.group(group_id)
        if row is None:
            raise exceptions.not_found("Interaction rule group", group_id)
        return row

    def create_interaction_rule_group(
        self, body: m.InteractionRuleGroup, group_id: str | None = None
    ) -> m.CreateInteractionRuleGroupResponse:
        now = self.now_ms()
        row = GroupRow(
            group_id or _new_id(), body.group_name, self._rules(body.interaction_rules, now), now, now
        )
        with self.store.write() as tx:
            tx.insert_group(row)
        return m.CreateInteractionRuleGroupResponse(group_id=row.group_id)

    def list_interaction_rule_groups(self, query: GroupListQuery) -> m.ListInteractionRuleGroupsResponse:
        with self.store.read() as tx:
            count, rows = tx.list_groups(query.group_name, query.created, query.page)
        # The list no longer carries interaction_rules (API.md): show a group to read its rules.
        # One validation of the whole page: cheaper than one model instance per entry.
        return m.ListInteractionRuleGroupsResponse.model_validate(
            {
                "count": count,
                "interaction_rule_groups": [
                    {
                        "group_id": row.group_id,
                        "group_name": row.group_name,
                        "create_time": rfc3339(row.create_ms),
                        "update_time": rfc3339(row.update_ms),
                    }
                    for row in rows
                ],
            }
        )

    def show_interaction_rule_group(self, group_id: str) -> m.ShowInteractionRuleGroupResponse:
        return m.ShowInteractionRuleGroupResponse.model_validate(self._group_detail(self._group(group_id)))

    def update_interaction_rule_group(
        self, group_id: str, body: m.InteractionRuleGroup
    ) -> m.UpdateInteractionRuleGroupResponse:
        now = self.now_ms()
        with self.store.write() as tx:
            old = tx.group(group_id)
            if old is None:
                raise exceptions.not_found("Interaction rule group", group_id)
            # The body is the whole group: rules not in it are gone, every rule gets a new rule_id.
            row = GroupRow(
                group_id, body.group_name, self._rules(body.interaction_rules, now), old.create_ms, now
            )
            tx.replace_group(row)
        return m.UpdateInteractionRuleGroupResponse.model_validate(self._group_detail(row))

    def delete_interaction_rule_group(self, group_id: str) -> None:
        with self.store.write() as tx:
            if not tx.delete_group(group_id):
                raise exceptions.not_found("Interaction rule group", group_id)

    # ------------------------------------------------------------------------------------------------
    # Rooms
    # ------------------------------------------------------------------------------------------------

    def _room(self, room_id: str) -> RoomRow:
        with self.store.read() as tx:
            row = tx.room(room_id)
        if row is None:
            raise exceptions.not_found("Smart live room", room_id)
        return row

    @staticmethod
    def _room_wire(body: m.CreateSmartLiveRoomReq) -> dict[str, Any]:
        """The body as stored: what was sent (rules as copies, secrets included), room_type filled in."""
        wire = m.to_wire(body)
        # The SDK documents no default room_type; a room that says none is kept and reusable, as NORMAL is.
        wire.setdefault("room_type", DEFAULT_ROOM_TYPE)
        return wire

    def create_smart_live_room(
        self, body: m.CreateSmartLiveRoomReq, room_id: str | None = None
    ) -> m.CreateSmartLiveRoomResponse:
        now = self.now_ms()
        wire = self._room_wire(body)
        row = RoomRow(room_id or _new_id(), body.room_name, wire["room_type"], _dumps(wire), now, now)
        with self.store.write() as tx:
            tx.insert_room(row)
        return m.CreateSmartLiveRoomResponse(room_id=row.room_id)

    def room_exists(self, room_id: str) -> bool:
        with self.store.read() as tx:
            return tx.room(room_id) is not None

    def show_smart_live_room(self, room_id: str) -> m.ShowSmartLiveRoomResponse:
        return m.ShowSmartLiveRoomResponse.model_validate(views.room_detail(self._room(room_id)))

    def update_smart_live_room(
        self, room_id: str, body: m.UpdateSmartLiveRoomReq
    ) -> m.UpdateSmartLiveRoomResponse:
        """The body is the whole room: fields left out are gone. Jobs already started keep their snapshot."""
        wire = self._room_wire(body)
        now = self.now_ms()
        with self.store.write() as tx:
            old = tx.room(room_id)
            if old is None:
                raise exceptions.not_found("Smart live room", room_id)
            # update_ms is script_version too: it must move even for two updates in one millisecond.
            row = RoomRow(
                room_id,
                body.room_name,
                wire["room_type"],
                _dumps(wire),
                old.create_ms,
                snapshot.next_stamp(old.update_ms, now),
            )
            tx.replace_room(row)
        return m.UpdateSmartLiveRoomResponse.model_validate(views.room_detail(row))

    def delete_smart_live_room(self, room_id: str) -> None:
        """Refused while a job runs in the room (the service documents nothing: see docs/emulator-rooms.md);
        the room's ended jobs stay listed, with the room's name as it was when they started."""
        with self.store.write() as tx:
            if tx.room(room_id) is None:
                raise exceptions.not_found("Smart live room", room_id)
            active = tx.active_jobs(room_id)
            if active:
                raise exceptions.state_conflict(
                    f"room {room_id} has an active job {active[0].job_id}; stop it before deleting the room"
                )
            tx.delete_room(room_id)

    def _live_states(self, live_state: str | None) -> tuple[str, ...]:
        """live_state's comma list as job states ("SUCCESS" is the job state SUCCEED; "NULL": no job)."""
        states = []
        for value in (live_state or "").split(","):
            state = value.strip()
            if not state:
                continue
            if state not in _LIVE_STATE_FILTER:
                known = ", ".join(dict.fromkeys((*m.ROOM_LIVE_STATES, *m.JOB_STATES)))
                raise exceptions.invalid_parameter(f"live_state: unknown state {state!r} (known: {known})")
            states.append(_LIVE_STATE_FILTER[state])
        return tuple(states)

    def list_smart_live_rooms(self, query: RoomListQuery) -> m.ListSmartLiveRoomsResponse:
        """The query's filters that the emulator can derive; model_name, start_time, end_time and
        template_own_type are accepted and not applied (docs/emulator-rooms.md)."""
        now = self.now_ms()
        rooms = RoomQuery(
            room_name=query.room_name,
            room_type=query.room_type,
            dh_id=query.dh_id,
            model_asset_id=query.model_asset_id,
            voice_asset_id=query.voice_asset_id,
            live_states=self._live_states(query.live_state),
            page=query.page,
        )
        if query.confirm_state is not None and query.confirm_state.upper() != views.CONFIRM_STATE:
            return m.ListSmartLiveRoomsResponse(count=0, smart_live_rooms=[])  # every room is CONFIRMED
        with self.store.read() as tx:
            count, rows = tx.list_rooms(rooms, now)
            last_jobs = {row.room_id: tx.last_job_of_room(row.room_id) for row in rows}
        entries = []
        for row in rows:
            job = last_jobs[row.room_id]
            last = views.job_view(job, now, {}) if job is not None else None
            entries.append(views.room_entry(row, self.project_id, last))
        return m.ListSmartLiveRoomsResponse.model_validate({"count": count, "smart_live_rooms": entries})

    # ------------------------------------------------------------------------------------------------
    # Jobs
    # ------------------------------------------------------------------------------------------------

    def _job_view_fields(self, jobs: Sequence[JobRow]) -> dict[str, dict[str, Any]]:
        """views.JOB_VIEW_FIELDS of each job's configuration, in one query; derived for older jobs."""
        with self.store.read() as tx:
            found = tx.job_config_fields([job.job_id for job in jobs], views.JOB_VIEW_FIELDS)
            for job in jobs:
                if job.job_id not in found:
                    found[job.job_id] = json.loads(snapshot.config_of(tx, job).config)
        return found

    def _job_in_room(self, room_id: str, job_id: str) -> JobRow:
        with self.store.read() as tx:
            job = tx.job(job_id)
        if job is None or job.room_id != room_id:
            raise exceptions.not_found("Smart live job", job_id)
        return job

    def _rtc_room_info(self, job_id: str, capture: bool, now: int) -> dict[str, Any]:
        expires = now // 1000 + 24 * 3600
        users = []
        for user_type in ("CAPTURE", "PLAYER") if capture else ("PLAYER",):
            user_id = f"{user_type.lower()}-{job_id[:8]}"
            signature = hmac.new(
                self._secret, f"{RTC_APP_ID}:{job_id}:{user_id}:{expires}".encode(), hashlib.sha256
            ).hexdigest()
            users.append(
                {"user_type": user_type, "user_id": user_id, "signature": signature, "ctime": expires}
            )
        return {"app_id": RTC_APP_ID, "room_id": job_id.replace("-", ""), "users": users}

    @staticmethod
    def _warnings(config: dict[str, Any], rules: Sequence[dict[str, Any]]) -> list[m.LiveWarningItem]:
        """live_warning_info of seed 003 table 16, derived from the job's configuration (room and start body)."""
        warnings = []
        items = [
            item for script in config.get("scene_scripts") or [] for item in script.get("shoot_scripts") or []
        ]
        if len(items) < MIN_SCRIPT_ITEMS:
            warnings.append("TOO_LESSS_SCRIPT_ITEMS")
        chars = sum(len(((item.get("text_config") or {}).get("text")) or "") for item in items)
        if chars < MIN_SCRIPT_CHARS:
            warnings.append("TOO_SHORT_SCRIPT_TIME")
        danmaku = [
            rule for rule in rules if rule.get("event_type") == 1 and rule.get("enabled", True) is not False
        ]
        if len(danmaku) < MIN_DANMAKU_RULES:
            warnings.append("TOO_LESS_DANMAKU_RULES")
        if (config.get("play_policy") or {}).get("random_play_mode") == "NONE":
            warnings.append("RANDOM_PLAY_CLOSED")
        if not config.get("backup_model_asset_ids"):
            warnings.append("ROTATION_MODEL_CLOSED")
        return [m.LiveWarningItem(warning_type=w) for w in warnings]

    def _report_url(self, base_url: str, room_id: str, job_id: str, now: int) -> str:
        path = eventurl.report_path(self.project_id, room_id, job_id)
        return eventurl.build_url(base_url, path, self._secret, now + to_ms(self.event_url_ttl))

    def start_smart_live(
        self, room_id: str, body: m.StartSmartLiveReq, base_url: str
    ) -> m.StartSmartLiveResponse:
        now = self.now_ms()
        job_id = _new_id()
        single = bool(body.job_run_config and body.job_run_config.single_job_in_room)
        capture = bool(body.play_policy and body.play_policy.need_independent_capture_client)
        request = m.to_wire(body)
        with self.store.write() as tx:
            room_row = tx.room(room_id)
            if room_row is None:
                raise exceptions.not_found("Smart live room", room_id)
            active = tx.active_jobs(room_id)
            # single_job_in_room: the new job may not join a running one, and a running job that asked for
            # it keeps the room to itself.
            if active and (single or any(job.single_job for job in active)):
                raise exceptions.concurrency_exceeded(
                    f"room {room_id} already has an active job {active[0].job_id} (single_job_in_room)"
                )
            self._check_quota(tx)
            # The job runs its room as it is now, with the start body's fields in place of the room's.
            config = snapshot.merge_start(json.loads(room_row.body), request)
            job = JobRow(
                job_id=job_id,
                room_id=room_id,
                room_name=room_row.room_name,
                request=_dumps(request),
                outputs=_dumps(snapshot.outputs_of(config)),
                rtc_room_info=json.dumps(self._rtc_room_info(job_id, capture, now)),
                report_url=self._report_url(base_url, room_id, job_id, now),
                single_job=single,
                create_ms=now,
                processing_ms=now + to_ms(self.start_delay),
                touched_ms=now,
                end_ms=None,
                final_state=None,
            )
            tx.insert_job(job)
            rules, problems = room_rules(config)
            problems += check_rules(rules)
            tx.save_job_config(snapshot.new_config(job_id, room_row, config, problems))
        view = views.job_view(job, now, config)
        return m.StartSmartLiveResponse.model_validate(
            {
                "job_id": job_id,
                "rtc_room_info": view["rtc_room_info"],
                "live_event_report_url": job.report_url,
                "live_event_callback_config": view.get("live_event_callback_config"),
                "live_warning_info": self._warnings(config, rules),
            }
        )

    def _check_quota(self, tx: Tx) -> None:
        quota = self._active_job_quota()
        if quota is not None and tx.count_active_jobs() >= quota:
            raise exceptions.concurrency_exceeded(
                f"the project already has {quota} active jobs, its quota (stop one, or raise the quota)"
            )

    def _parse_states(self, states: Sequence[str]) -> tuple[str, ...]:
        for state in states:
            if state not in m.JOB_STATES:
                raise exceptions.invalid_parameter(
                    f"state: unknown job state {state!r} (known: {', '.join(m.JOB_STATES)})"
                )
        return tuple(states)

    def _list_jobs(self, query: JobQuery) -> tuple[int, list[m.SmartLiveJob]]:
        now = self.now_ms()
        with self.store.read() as tx:
            count, rows = tx.list_jobs(query, now)
        shown = self._job_view_fields(rows)
        jobs = [m.SmartLiveJob.model_validate(views.job_view(row, now, shown[row.job_id])) for row in rows]
        return count, jobs

    def list_smart_live(self, room_id: str, query: JobQuery) -> m.ListSmartLiveResponse:
        self._room(room_id)
        count, jobs = self._list_jobs(
            JobQuery(
                room_id=room_id,
                states=self._parse_states(query.states),
                created=query.created,
                sort_key=query.sort_key,
                sort_dir=query.sort_dir,
                page=query.page,
            )
        )
        return m.ListSmartLiveResponse(count=count, smart_live_jobs=jobs)

    def list_smart_live_jobs(self, query: JobQuery) -> m.ListSmartLiveJobsResponse:
        self._parse_states(query.states)
        count, jobs = self._list_jobs(query)
        return m.ListSmartLiveJobsResponse(count=count, smart_live_jobs=jobs)

    def show_smart_live(self, room_id: str, job_id: str) -> m.ShowSmartLiveResponse:
        job = self._job_in_room(room_id, job_id)
        shown = self._job_view_fields([job])[job.job_id]
        return m.ShowSmartLiveResponse.model_validate(views.job_view(job, self.now_ms(), shown))

    def _active_job(self, tx: Tx, room_id: str, job_id: str, now: int) -> JobRow:
        job = tx.job(job_id)
        if job is None or job.room_id != room_id:
            raise exceptions.not_found("Smart live job", job_id)
        state = job.state(now)
        if state not in m.ACTIVE_JOB_STATES:
            raise exceptions.state_conflict(f"job {job_id} is {state}")
        return job

    def stop_smart_live(self, room_id: str, job_id: str) -> None:
        self._end_job(room_id, job_id, "SUCCEED")

    def end_job(self, job_id: str, state: str) -> None:
        """A job ends by itself (POST /_emulator/jobs/{job_id}/end): FAILED, BLOCKED, or SUCCEED as
        when the show is over, as the service ends jobs that nobody stopped. 400 MSS.20020001 when the
        job has ended already; 400 MSS.10001001 for an unknown job."""
        if state not in m.JOB_STATES or state in m.ACTIVE_JOB_STATES:
            raise exceptions.invalid_parameter(
                f"state: a job ends as SUCCEED, FAILED or BLOCKED, not {state!r}"
            )
        with self.store.read() as tx:
            job = tx.job(job_id)
        if job is None:
            raise exceptions.not_found("Smart live job", job_id)
        self._end_job(job.room_id, job_id, state)

    def _end_job(self, room_id: str, job_id: str, state: str) -> None:
        now = self.now_ms()
        with self.store.write() as tx:
            self._active_job(tx, room_id, job_id, now)
            tx.end_job(job_id, now, state)
            room = tx.room(room_id)
            # "TEMP：临时直播间，直播任务结束后自动清理直播间": the room goes with its last running job.
            if room is not None and room.room_type == "TEMP" and not tx.active_jobs(room_id):
                tx.delete_room(room_id)
        if self.reactions is not None:
            self.reactions.forget(job_id)

    def execute_smart_live_command(
        self, room_id: str, job_id: str, body: m.ControlSmartLiveReq
    ) -> m.ExecuteSmartLiveCommandResponse:
        """The commands of jobcontrol.py, on an active job only (400 MSS.20020001 otherwise)."""
        command = jobcontrol.parse(body)
        now = self.now_ms()
        command_id = _new_id()
        with self.store.write() as tx:
            job = self._active_job(tx, room_id, job_id, now)
            result = command.run(tx, job, now)
            tx.insert_command(command_id, job_id, command.name, _dumps(command.params), now)
        if command.rewrites_rules and self.reactions is not None:
            # The engine is built again from the new rules on the job's next events.
            self.reactions.forget(job_id)
        return m.ExecuteSmartLiveCommandResponse(command_id=command_id, command=command.name, result=result)

    # ------------------------------------------------------------------------------------------------
    # Live events
    # ------------------------------------------------------------------------------------------------

    def check_event_auth(
        self, room_id: str, job_id: str, auth_key: str | None, expires_ms: int | None
    ) -> None:
        """The live-event-report URL's own authentication (401 MSS.00000001), checked before the body."""
        path = eventurl.report_path(self.project_id, room_id, job_id)
        eventurl.check(self._secret, path, auth_key, expires_ms, self.now_ms())

    @staticmethod
    def check_event_contents(events: Sequence[m.LiveEvent]) -> None:
        """Content in JSON must be the object its type defines (seed 000/001 table 5); type 5 and types
        without a definition are free, and unknown keys are allowed (platforms add their own).

        Content that is not JSON at all is taken as opaque text: the seed pages' own request example
        sends type 1 with content "xxxxx", and every seed example must be accepted. Such an event is
        stored but can never match a rule's tags.
        """
        for index, event in enumerate(events):
            model = m.EVENT_CONTENT_MODELS.get(event.type) if event.type is not None else None
            if model is None:
                continue
            where = f"events[{index}].content"
            if event.content is None:
                raise exceptions.invalid_parameter(f"{where}: required for event type {event.type}")
            try:
                decoded = jsontext.decode(event.content)
            except jsontext.JsonTextError:  # not JSON at all, or too deep to read: opaque text
                continue
            if not isinstance(decoded, dict):
                raise exceptions.invalid_parameter(
                    f"{where}: must be the JSON object of event type {event.type}"
                )
            try:
                m.response_view(model).model_validate(decoded)
            except ValidationError as error:
                raise exceptions.invalid_parameter(validation_message(error, where)) from None

    def live_event_report(
        self, room_id: str, job_id: str, body: m.ReportLiveEventReq, refresh_url: bool, base_url: str
    ) -> m.LiveEventReportResponse:
        events = body.events or []
        if body.total != len(events):
            raise exceptions.invalid_parameter(
                f"total: {body.total} does not match the {len(events)} events sent"
            )
        self.check_event_contents(events)
        now = self.now_ms()
        with self.store.write() as tx:
            job = tx.job(job_id)
            if job is None or job.room_id != room_id:
                raise exceptions.not_found("Smart live job", job_id)
            state = job.state(now)
            if state not in m.ACTIVE_JOB_STATES:
                raise exceptions.state_conflict(f"job {job_id} is {state}; events are taken while it runs")
            tx.append_events(job_id, now, [_dump(event) for event in events])
            url = job.report_url
            if refresh_url:
                url = self._report_url(base_url, room_id, job_id, now)
                tx.set_job_report_url(job_id, url)
        if self.reactions is not None and events:
            try:
                self.reactions.on_events(job, events)
            except Exception:
                # The events are stored and the report answered as ever; the reaction is the emulator's own.
                log.exception("emulator: reacting to the events of job %s failed", job_id)
        self.on_events(job, events)
        return m.LiveEventReportResponse(live_event_report_url=url)

    def on_events(self, job: JobRow, events: Sequence[m.LiveEvent]) -> None:
        """The extra hook of create_app(on_events=...), called after the job's own reaction (reactions.py:
        rules, replies, callbacks) with the events just committed; a no-op unless one is given."""
        if self._event_hook is not None:
            self._event_hook(job, events)

    # ------------------------------------------------------------------------------------------------
    # Test controls (/_emulator/...)
    # ------------------------------------------------------------------------------------------------

    def job_record(self, job_id: str) -> dict[str, Any]:
        """Everything the emulator keeps about a job, secrets included: the service never returns
        video_config, play_policy, output_urls, stream_keys, ..., so tests read them here."""
        now = self.now_ms()
        with self.store.read() as tx:
            job = tx.job(job_id)
            if job is None:
                raise exceptions.not_found("Smart live job", job_id)
            commands = tx.commands(job_id)
            event_count = tx.event_count(job_id)
            config = snapshot.config_of(tx, job)
        return {
            "job_id": job.job_id,
            "room_id": job.room_id,
            "state": job.state(now),
            "request": json.loads(job.request),
            **json.loads(job.outputs),
            "commands": [
                {"command_id": cid, "command": name, "params": json.loads(params), "create_time": rfc3339(at)}
                for cid, name, params, at in commands
            ],
            "event_count": event_count,
            # The job's effective configuration (room at start + start body + rewrites), secrets in clear.
            "config": snapshot.body_of(config, job.outputs),
            "script_version": config.script_version,
            # The rules the job runs (as its room held them, or as rewritten) and why some can never fire.
            "interaction_rules": snapshot.rules_of(config),
            "rule_problems": json.loads(config.problems),
            # The service's times are whole seconds; a test measuring how long a room was dark between
            # two jobs needs the emulator's own milliseconds (epoch ms of its clock; ended null while active).
            "times_ms": {"created": job.create_ms, "processing": job.processing_ms, "ended": job.end_ms},
        }

    def events(self, job_id: str) -> list[dict[str, Any]]:
        with self.store.read() as tx:
            if tx.job(job_id) is None:
                raise exceptions.not_found("Smart live job", job_id)
            rows = tx.events(job_id)
        return [{**json.loads(event), "received_time": rfc3339(received)} for received, event in rows]

    def reset(self) -> None:
        with self.store.write() as tx:
            tx.clear()
        if self.reactions is not None:
            self.reactions.reset()
