"""The emulated MetaStudio smart-live service: state and operations named after the API's, no HTTP.

Requests arrive as validated models of reconciler.api.models and answers leave as models of it; the HTTP
layer (routes.py) only parses and serialises. Choices where the service's behaviour is unknown are listed in
README ("Emulator" section) and tested in tests/emulator/.
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

from reconciler.api import models as m
from reconciler.emulator import eventurl, exceptions
from reconciler.emulator.clock import Clock, rfc3339, to_ms
from reconciler.emulator.reactions import Reactions, check_rules, resolve_rules
from reconciler.emulator.storage import GroupRow, JobQuery, JobRow, Page, RoomRow, Store, TimeRange

log = logging.getLogger("reconciler.emulator")

#: What responses show in place of a secret (stream keys, callback keys): the service never echoes them
#: in this emulator, so a client cannot come to depend on reading a secret back.
MASK = "******"
RTC_APP_ID = "smartlive-emulator"

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


def _new_id() -> str:
    return str(uuid.uuid4())


def _dump(model: BaseModel) -> str:
    return json.dumps(m.to_wire(model), ensure_ascii=False, separators=(",", ":"))


def _field_path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def validation_message(error: ValidationError, prefix: str = "") -> str:
    """A pydantic error as the service-style message, naming each field (e.g. events[0].timestamp)."""
    parts = []
    for item in error.errors(include_url=False)[:5]:
        loc = _field_path(item["loc"])
        where = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
        parts.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
    return "; ".join(parts)


def _mask_callback(config: dict[str, Any] | None) -> dict[str, Any] | None:
    if config is None:
        return None
    shown = {k: v for k, v in config.items() if k != "is_inheritance_platform_callback"}
    if shown.get("key"):
        shown["key"] = MASK
    return shown


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

    def create_smart_live_room(
        self, body: m.CreateSmartLiveRoomReq, room_id: str | None = None
    ) -> m.CreateSmartLiveRoomResponse:
        now = self.now_ms()
        wire = m.to_wire(body)
        wire.setdefault("room_type", "NORMAL")
        row = RoomRow(
            room_id or _new_id(),
            body.room_name,
            wire["room_type"],
            json.dumps(wire, ensure_ascii=False, separators=(",", ":")),
            now,
            now,
        )
        with self.store.write() as tx:
            tx.insert_room(row)
        return m.CreateSmartLiveRoomResponse(room_id=row.room_id)

    def room_exists(self, room_id: str) -> bool:
        with self.store.read() as tx:
            return tx.room(room_id) is not None

    def show_smart_live_room(self, room_id: str) -> m.ShowSmartLiveRoomResponse:
        row = self._room(room_id)
        body = json.loads(row.body)
        if body.get("stream_keys"):
            body["stream_keys"] = [MASK for _ in body["stream_keys"]]
        if body.get("live_event_callback_config", {}).get("key"):
            body["live_event_callback_config"]["key"] = MASK
        platform = body.pop("relation_live_platform_info", None)
        return m.ShowSmartLiveRoomResponse.model_validate(
            {
                **body,
                "room_id": row.room_id,
                "relation_live_platform_info": platform,
                "create_time": rfc3339(row.create_ms),
                "update_time": rfc3339(row.update_ms),
                "room_state": "ENABLE",
                "confirm_state": "CONFIRMED",
            }
        )

    def list_smart_live_rooms(
        self, room_name: str | None, room_type: str | None, page: Page
    ) -> m.ListSmartLiveRoomsResponse:
        now = self.now_ms()
        entries = []
        with self.store.read() as tx:
            count, rows = tx.list_rooms(room_name, room_type, page)
            last_jobs = {row.room_id: tx.last_job_of_room(row.room_id) for row in rows}
        for row in rows:
            body = json.loads(row.body)
            entry: dict[str, Any] = {
                "room_id": row.room_id,
                "project_id": self.project_id,
                "room_name": row.room_name,
                "room_type": row.room_type,
                "room_state": "ENABLE",
                "room_description": body.get("room_description"),
                "view_mode": body.get("view_mode"),
                "priv_data": body.get("priv_data"),
                "create_time": rfc3339(row.create_ms),
                "update_time": rfc3339(row.update_ms),
                "confirm_state": "CONFIRMED",
            }
            job = last_jobs[row.room_id]
            if job is not None:
                view = self._job_view(job, now)
                entry.update(
                    last_job_start_time=view.get("start_time"),
                    last_job_end_time=view.get("end_time"),
                    last_job_status=view["state"],
                )
            entries.append(m.SmartLiveRoomBaseInfo.model_validate(entry))
        return m.ListSmartLiveRoomsResponse(count=count, smart_live_rooms=entries)

    # ------------------------------------------------------------------------------------------------
    # Jobs
    # ------------------------------------------------------------------------------------------------

    def _job_view(self, job: JobRow, now: int, room_body: dict[str, Any] | None = None) -> dict[str, Any]:
        request = json.loads(job.request)
        room = room_body if room_body is not None else self._room_body(job.room_id)
        end = job.end_ms if job.end_ms is not None else now
        started = job.processing_ms <= end
        running_ms = max(0, end - job.processing_ms) if started else 0
        view: dict[str, Any] = {
            "job_id": job.job_id,
            "room_id": job.room_id,
            "room_name": job.room_name,
            "state": job.state(now),
            "duration": running_ms / 1000,
            "start_time": rfc3339(job.processing_ms) if started else None,
            "end_time": rfc3339(job.end_ms) if job.end_ms is not None else None,
            "create_time": rfc3339(job.create_ms),
            "lastupdate_time": rfc3339(job.last_update_ms(now)),
            "rtc_room_info": json.loads(job.rtc_room_info),
            "live_event_report_url": job.report_url,
            "live_event_callback_config": _mask_callback(
                request.get("live_event_callback_config", room.get("live_event_callback_config"))
            ),
            "rtc_callback_config": request.get("rtc_callback_config")
            or room.get("rtc_callback_config")
            # "未携带配置则默认订阅LIVE_PROGRESS" (seed 003 table 8).
            or {"rtc_callback_event_type": ["LIVE_PROGRESS"]},
            "co_streamer_config": request.get("co_streamer_config", room.get("co_streamer_config")),
            # The RTMP push runs exactly while the job is PROCESSING.
            "stream_duration": running_ms / 1000,
        }
        platform = room.get("relation_live_platform_info")
        if platform:
            view["relation_live_platform_info"] = platform
        return {k: v for k, v in view.items() if v is not None}

    def _room_body(self, room_id: str) -> dict[str, Any]:
        with self.store.read() as tx:
            row = tx.room(room_id)
        return {} if row is None else dict(json.loads(row.body))

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

    def _warnings(
        self, body: m.StartSmartLiveReq, room: dict[str, Any], rules: Sequence[dict[str, Any]]
    ) -> list[m.LiveWarningItem]:
        """live_warning_info of seed 003 table 16, derived from the request and the room."""
        warnings = []
        items = [
            item for script in room.get("scene_scripts") or [] for item in script.get("shoot_scripts") or []
        ]
        if len(items) < MIN_SCRIPT_ITEMS:
            warnings.append("TOO_LESSS_SCRIPT_ITEMS")
        chars = sum(len(((item.get("text_config") or {}).get("text")) or "") for item in items)
        if chars < MIN_SCRIPT_CHARS:
            warnings.append("TOO_SHORT_SCRIPT_TIME")
        # The rules the job runs: the room's own and those it imports from groups.
        danmaku = [
            rule for rule in rules if rule.get("event_type") == 1 and rule.get("enabled", True) is not False
        ]
        if len(danmaku) < MIN_DANMAKU_RULES:
            warnings.append("TOO_LESS_DANMAKU_RULES")
        policy = m.to_wire(body.play_policy) if body.play_policy else (room.get("play_policy") or {})
        if policy.get("random_play_mode") == "NONE":
            warnings.append("RANDOM_PLAY_CLOSED")
        if not room.get("backup_model_asset_ids"):
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
        outputs = {
            "output_urls": request.get("output_urls", []),
            "stream_keys": request.get("stream_keys", []),
        }
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
            job = JobRow(
                job_id=job_id,
                room_id=room_id,
                room_name=room_row.room_name,
                request=json.dumps(request, ensure_ascii=False, separators=(",", ":")),
                outputs=json.dumps(outputs, ensure_ascii=False, separators=(",", ":")),
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
            room = dict(json.loads(room_row.body))
            # The job runs the rules its room has now (group imports resolved); group edits reach the next job.
            rules, problems = resolve_rules(tx, room)
            problems += check_rules(rules)
            tx.insert_job_rules(
                job_id,
                json.dumps(rules, ensure_ascii=False, separators=(",", ":")),
                json.dumps(problems, ensure_ascii=False),
            )
        view = self._job_view(job, now, room)
        return m.StartSmartLiveResponse.model_validate(
            {
                "job_id": job_id,
                "rtc_room_info": view["rtc_room_info"],
                "live_event_report_url": job.report_url,
                "live_event_callback_config": view.get("live_event_callback_config"),
                "live_warning_info": self._warnings(body, room, rules),
            }
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
        rooms: dict[str, dict[str, Any]] = {}
        jobs = []
        for row in rows:
            if row.room_id not in rooms:
                rooms[row.room_id] = self._room_body(row.room_id)
            jobs.append(m.SmartLiveJob.model_validate(self._job_view(row, now, rooms[row.room_id])))
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
        return m.ShowSmartLiveResponse.model_validate(self._job_view(job, self.now_ms()))

    def stop_smart_live(self, room_id: str, job_id: str) -> None:
        now = self.now_ms()
        with self.store.write() as tx:
            job = tx.job(job_id)
            if job is None or job.room_id != room_id:
                raise exceptions.not_found("Smart live job", job_id)
            state = job.state(now)
            if state not in m.ACTIVE_JOB_STATES:
                raise exceptions.state_conflict(f"job {job_id} is {state}")
            tx.end_job(job_id, now, "SUCCEED")
        if self.reactions is not None:
            self.reactions.forget(job_id)

    def execute_smart_live_command(
        self, room_id: str, job_id: str, body: m.ControlSmartLiveReq
    ) -> m.ExecuteSmartLiveCommandResponse:
        if body.command != "REFRESH_OUTPUT_URL":
            raise exceptions.invalid_parameter(
                f"command: {body.command} is not emulated (the emulator implements REFRESH_OUTPUT_URL)"
            )
        try:
            params = m.RefreshOutputUrlConfig.model_validate(body.params or {})
        except ValidationError as error:
            raise exceptions.invalid_parameter(validation_message(error, "params")) from None
        now = self.now_ms()
        command_id = _new_id()
        with self.store.write() as tx:
            job = tx.job(job_id)
            if job is None or job.room_id != room_id:
                raise exceptions.not_found("Smart live job", job_id)
            state = job.state(now)
            if state not in m.ACTIVE_JOB_STATES:
                raise exceptions.state_conflict(f"job {job_id} is {state}")
            outputs = json.loads(job.outputs)
            if params.output_urls is not None:
                outputs["output_urls"] = params.output_urls
            if params.stream_keys is not None:
                outputs["stream_keys"] = params.stream_keys
            tx.set_job_outputs(job_id, json.dumps(outputs, ensure_ascii=False), now)
            tx.insert_command(command_id, job_id, body.command, _dump(params), now)
        return m.ExecuteSmartLiveCommandResponse(
            command_id=command_id, command=body.command, result="SUCCESS"
        )

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
                decoded = json.loads(event.content)
            except ValueError:
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
            rules = tx.job_rules(job_id)
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
            # The rules the job runs (group imports resolved when it started) and what could not be resolved.
            "interaction_rules": json.loads(rules[0]) if rules else None,
            "rule_problems": json.loads(rules[1]) if rules else [],
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
