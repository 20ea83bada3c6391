"""Thin handlers of the emulated API: parse the query and body, call the backend, say which status.

Paths and query parameters are the SDK's (huaweicloudsdkmetastudio/v1/metastudio_client.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, cast

from pydantic import ValidationError

from reconciler.api import models as m
from reconciler.emulator import eventurl, exceptions
from reconciler.emulator.backend import GroupListQuery, MetaStudioBackend, RoomListQuery
from reconciler.emulator.exceptions import validation_message
from reconciler.emulator.gateway import ApiRequest, Handler, Reply
from reconciler.emulator.storage import JobQuery, Page, TimeRange

P = "/v1/{project_id}"
GROUPS = f"{P}/smart-live-interaction-rule-groups"
GROUP = f"{GROUPS}/{{group_id}}"
ROOMS = f"{P}/smart-live-rooms"
ROOM = f"{ROOMS}/{{room_id}}"
ROOM_JOBS = f"{ROOM}/smart-live-jobs"
JOB = f"{ROOM_JOBS}/{{job_id}}"
PROJECT_JOBS = f"{P}/smart-live-jobs"

_JOB_QUERY = ("offset", "limit", "state", "sort_key", "sort_dir", "create_since", "create_until")
_ROOM_QUERY = tuple(m.ListSmartLiveRoomsQuery.model_fields)
_DEFAULT_SORT_DIR = cast(Literal["asc", "desc"], m.DOCUMENTED_DEFAULTS["ListSmartLiveQuery"]["sort_dir"])


def _moment(request: ApiRequest, name: str) -> int | None:
    """create_since / create_until: RFC 3339 ("2021-01-10T08:43:17Z"); a time without zone is UTC."""
    value = request.param(name)
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise exceptions.invalid_parameter(f"{name}: {value!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _time_range(request: ApiRequest) -> TimeRange:
    return TimeRange(_moment(request, "create_since"), _moment(request, "create_until"))


def _paged(offset: int | None, limit: int | None, query_model: str) -> Page:
    """A page, absent bounds filled with the query model's documented defaults."""
    defaults = m.DOCUMENTED_DEFAULTS[query_model]
    return Page(
        offset=offset if offset is not None else cast(int, defaults["offset"]),
        limit=limit if limit is not None else cast(int, defaults["limit"]),
    )


def _page(request: ApiRequest) -> Page:
    # The same bounds as seed 002's list (offset 0-2147483647, limit 1-100, default 10).
    try:
        query = m.ListSmartLiveQuery.model_validate(request.params(("offset", "limit")))
    except ValidationError as error:
        raise exceptions.invalid_parameter(validation_message(error)) from None
    return _paged(query.offset, query.limit, "ListSmartLiveQuery")


def _job_query(request: ApiRequest, room_id: str | None) -> JobQuery:
    try:
        query = m.ListSmartLiveQuery.model_validate(request.params(_JOB_QUERY))
    except ValidationError as error:
        raise exceptions.invalid_parameter(validation_message(error)) from None
    # asset_order (seed 002) has no meaning without assets: it orders like create_time.
    sort_key: Literal["create_time", "update_time"] = (
        "update_time" if query.sort_key == "update_time" else "create_time"
    )
    states = tuple(s.strip() for s in (query.state or "").split(",") if s.strip())
    return JobQuery(
        room_id=room_id,
        room_name=request.param("room_name") if room_id is None else None,
        states=states,
        created=_time_range(request),
        sort_key=sort_key,
        sort_dir=query.sort_dir or _DEFAULT_SORT_DIR,
        page=_paged(query.offset, query.limit, "ListSmartLiveQuery"),
    )


# Rule groups


def create_group(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    return 200, backend.create_interaction_rule_group(request.json(m.InteractionRuleGroup))


def list_groups(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    query = GroupListQuery(request.param("group_name") or None, _time_range(request), _page(request))
    return 200, backend.list_interaction_rule_groups(query)


def show_group(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    return 200, backend.show_interaction_rule_group(request.path_params["group_id"])


def update_group(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    body = request.json(m.InteractionRuleGroup)
    return 200, backend.update_interaction_rule_group(request.path_params["group_id"], body)


def delete_group(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    backend.delete_interaction_rule_group(request.path_params["group_id"])
    return 204, None


# Rooms


def create_room(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    return 200, backend.create_smart_live_room(request.json(m.CreateSmartLiveRoomReq))


def _room_query(request: ApiRequest) -> RoomListQuery:
    # Empty values are absent (the SDK leaves unset ones out; a hand-written URL may send "room_type=").
    given = {name: value for name, value in request.params(_ROOM_QUERY).items() if value != ""}
    try:
        query = m.ListSmartLiveRoomsQuery.model_validate(given)
    except ValidationError as error:
        raise exceptions.invalid_parameter(validation_message(error)) from None
    # Not applied (docs/emulator-rooms.md), but a time that is no time is still refused.
    _moment(request, "start_time")
    _moment(request, "end_time")
    return RoomListQuery(
        room_name=query.room_name,
        room_type=query.room_type,
        dh_id=query.dh_id,
        model_asset_id=request.param("model_asset_id") or None,
        voice_asset_id=request.param("voice_asset_id") or None,
        live_state=query.live_state,
        confirm_state=query.confirm_state,
        page=_paged(query.offset, query.limit, "ListSmartLiveRoomsQuery"),
    )


def list_rooms(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    return 200, backend.list_smart_live_rooms(_room_query(request))


def show_room(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    return 200, backend.show_smart_live_room(request.path_params["room_id"])


def update_room(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    body = request.json(m.UpdateSmartLiveRoomReq)
    return 200, backend.update_smart_live_room(request.path_params["room_id"], body)


def delete_room(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    # The API reference answers 200 with no body (DeleteInteractionRuleGroup answers 204 here).
    backend.delete_smart_live_room(request.path_params["room_id"])
    return 200, None


# Jobs


def start_job(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    room_id = request.path_params["room_id"]
    body = request.json(m.StartSmartLiveReq)
    return 202, backend.start_smart_live(room_id, body, request.base_url)


def list_room_jobs(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    room_id = request.path_params["room_id"]
    return 200, backend.list_smart_live(room_id, _job_query(request, room_id))


def list_project_jobs(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    return 200, backend.list_smart_live_jobs(_job_query(request, None))


def show_job(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    return 200, backend.show_smart_live(request.path_params["room_id"], request.path_params["job_id"])


def stop_job(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    backend.stop_smart_live(request.path_params["room_id"], request.path_params["job_id"])
    return 200, {}


def execute_command(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    body = request.json(m.ControlSmartLiveReq)
    return 200, backend.execute_smart_live_command(
        request.path_params["room_id"], request.path_params["job_id"], body
    )


def _flag(request: ApiRequest, name: str) -> bool:
    value = (request.param(name) or "false").lower()
    if value not in ("true", "false"):
        raise exceptions.invalid_parameter(f"{name}: must be true or false")
    return value == "true"


def report_events(backend: MetaStudioBackend, request: ApiRequest) -> Reply:
    room_id, job_id = request.path_params["room_id"], request.path_params["job_id"]
    if not request.iam_verified:
        _check_report_url(backend, request, room_id, job_id)
    refresh = _flag(request, "refresh_url")
    body = request.json(m.ReportLiveEventReq)
    return 200, backend.live_event_report(room_id, job_id, body, refresh, request.base_url)


def _check_report_url(backend: MetaStudioBackend, request: ApiRequest, room_id: str, job_id: str) -> None:
    """A report not authenticated by AK/SK or a token needs its URL's auth_key (API.md: "either")."""
    # auth_key / expires_time as query parameters or as x-mss-* headers (SDK); the query wins when both.
    raw_expires = request.param("expires_time") or request.headers.get("x-mss-expires-time")
    key = request.param("auth_key") or request.headers.get("x-mss-auth-key")
    if not key and not raw_expires and request.iam_refusal is not None:
        raise request.iam_refusal  # signed, wrongly, and no key: the signature's problem is the one to tell
    backend.check_event_auth(room_id, job_id, key, eventurl.parse_expires(raw_expires))


#: (operation name, method, path template, handler); the names are the SDK's and key the rate limits.
OPERATIONS: list[tuple[str, str, str, Handler]] = [
    ("CreateInteractionRuleGroup", "POST", GROUPS, create_group),
    ("ListInteractionRuleGroups", "GET", GROUPS, list_groups),
    ("ShowInteractionRuleGroup", "GET", GROUP, show_group),
    ("UpdateInteractionRuleGroup", "PUT", GROUP, update_group),
    ("DeleteInteractionRuleGroup", "DELETE", GROUP, delete_group),
    ("CreateSmartLiveRoom", "POST", ROOMS, create_room),
    ("ListSmartLiveRooms", "GET", ROOMS, list_rooms),
    ("ShowSmartLiveRoom", "GET", ROOM, show_room),
    ("UpdateSmartLiveRoom", "PUT", ROOM, update_room),
    ("DeleteSmartLiveRoom", "DELETE", ROOM, delete_room),
    ("StartSmartLive", "POST", ROOM_JOBS, start_job),
    ("ListSmartLive", "GET", ROOM_JOBS, list_room_jobs),
    ("ListSmartLiveJobs", "GET", PROJECT_JOBS, list_project_jobs),
    ("ShowSmartLive", "GET", JOB, show_job),
    ("StopSmartLive", "POST", f"{JOB}/stop", stop_job),
    ("ExecuteSmartLiveCommand", "POST", f"{JOB}/command", execute_command),
    ("LiveEventReport", "POST", f"{JOB}/live-event-report", report_events),
]

#: Operations authenticated by their URL's auth_key, or by IAM (AK/SK, token) when they carry no key.
URL_AUTHENTICATED = frozenset({"LiveEventReport"})
