"""The MetaStudio smart-live operations the reconciler uses, typed with the API models.

Thin on purpose: paths and bodies here, transport rules (retries, bounds, errors) in http.py.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from reconciler.api import models
from reconciler.api.values import number_text
from reconciler.cloud.http import HttpClient
from reconciler.errors import RemoteError, UnexpectedAnswerError

GROUPS = "/smart-live-interaction-rule-groups"
ROOMS = "/smart-live-rooms"
PROJECT_JOBS = "/smart-live-jobs"


_M = TypeVar("_M", bound=BaseModel)


def _seg(value: str) -> str:
    # Ids go into the path as one segment each, whatever they contain.
    return quote(value, safe="")


def parse(model: type[_M], body: Any, operation: str) -> _M:
    """A response body as its model. An answer the model cannot read is one clear error, not a traceback;
    the message names the fields, never their values (a value may be a secret)."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False, include_context=False)[:3]
        )
        raise UnexpectedAnswerError(200, f"it does not match the API ({problems})", operation) from None


def group_detail(
    body: Any, operation: str = "ShowInteractionRuleGroup"
) -> models.ShowInteractionRuleGroupResponse:
    """A show (or update) response of a rule group. HitConditionTag.value is text, numbers included
    (`"20"`); a value the service returns as a JSON number is read as that text, not refused."""
    if isinstance(body, dict):
        _tag_values_as_text(body)
    return parse(models.ShowInteractionRuleGroupResponse, body, operation)


def _tag_values_as_text(body: dict[str, Any]) -> None:
    # Any shape may come here (the model checks it next): what is not a list or an object is skipped.
    for rule in _list(body.get("interaction_rules")):
        condition = rule.get("hit_condition") if isinstance(rule, dict) else None
        for tag in _list(condition.get("tags")) if isinstance(condition, dict) else []:
            if isinstance(tag, dict) and isinstance(tag.get("value"), int | float):
                tag["value"] = number_text(tag["value"])


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def room_detail(body: Any, operation: str = "ShowSmartLiveRoom") -> models.ShowSmartLiveRoomResponse:
    """A show response of a room; its rules' tag values are read as group_detail reads them."""
    if isinstance(body, dict):
        _tag_values_as_text(body)
    return parse(models.ShowSmartLiveRoomResponse, body, operation)


class MetaStudioApi:
    def __init__(self, http: HttpClient) -> None:
        self.http = http

    # Rule groups --------------------------------------------------------------------------------

    async def list_rule_groups(
        self, group_name: str | None = None
    ) -> list[models.InteractionRuleGroupSummary]:
        params = {"group_name": group_name} if group_name else None
        items = await self.http.list_all(
            GROUPS,
            "interaction_rule_groups",
            template=GROUPS,
            name="ListInteractionRuleGroups",
            params=params,
            key="group_id",
        )
        return [parse(models.InteractionRuleGroupSummary, i, "ListInteractionRuleGroups") for i in items]

    async def show_rule_group(self, group_id: str) -> models.ShowInteractionRuleGroupResponse:
        body = await self.http.request(
            "GET",
            f"{GROUPS}/{_seg(group_id)}",
            template=GROUPS + "/{group_id}",
            name="ShowInteractionRuleGroup",
        )
        return group_detail(body)

    async def create_rule_group(self, group: models.InteractionRuleGroup) -> str:
        body = await self.http.request(
            "POST", GROUPS, template=GROUPS, name="CreateInteractionRuleGroup", body=models.to_wire(group)
        )
        return str(
            parse(models.CreateInteractionRuleGroupResponse, body, "CreateInteractionRuleGroup").group_id
            or ""
        )

    async def update_rule_group(self, group_id: str, group: models.InteractionRuleGroup) -> None:
        await self.http.request(
            "PUT",
            f"{GROUPS}/{_seg(group_id)}",
            template=GROUPS + "/{group_id}",
            name="UpdateInteractionRuleGroup",
            body=models.to_wire(group),
        )

    async def delete_rule_group(self, group_id: str) -> None:
        await self.http.request(
            "DELETE",
            f"{GROUPS}/{_seg(group_id)}",
            template=GROUPS + "/{group_id}",
            name="DeleteInteractionRuleGroup",
        )

    # Jobs ---------------------------------------------------------------------------------------

    async def list_project_jobs(
        self, states: tuple[str, ...] = models.ACTIVE_JOB_STATES
    ) -> list[models.SmartLiveJob]:
        items = await self.http.list_all(
            PROJECT_JOBS,
            "smart_live_jobs",
            template=PROJECT_JOBS,
            name="ListSmartLiveJobs",
            params={"state": ",".join(states)},
            key="job_id",
        )
        return [parse(models.SmartLiveJob, i, "ListSmartLiveJobs") for i in items]

    async def list_room_jobs(
        self, room_id: str, states: tuple[str, ...] = models.ACTIVE_JOB_STATES
    ) -> list[models.SmartLiveJob]:
        items = await self.http.list_all(
            f"{ROOMS}/{_seg(room_id)}/smart-live-jobs",
            "smart_live_jobs",
            template=ROOMS + "/{room_id}/smart-live-jobs",
            name="ListSmartLive",
            params={"state": ",".join(states)},
            key="job_id",
        )
        return [parse(models.SmartLiveJob, i, "ListSmartLive") for i in items]

    async def show_job(self, room_id: str, job_id: str) -> models.SmartLiveJob:
        body = await self.http.request(
            "GET",
            f"{ROOMS}/{_seg(room_id)}/smart-live-jobs/{_seg(job_id)}",
            template=ROOMS + "/{room_id}/smart-live-jobs/{job_id}",
            name="ShowSmartLive",
        )
        return parse(models.SmartLiveJob, body, "ShowSmartLive")

    async def start_job(
        self, room_id: str, request: models.StartSmartLiveReq
    ) -> models.StartSmartLiveResponse:
        body = await self.http.request(
            "POST",
            f"{ROOMS}/{_seg(room_id)}/smart-live-jobs",
            template=ROOMS + "/{room_id}/smart-live-jobs",
            name="StartSmartLive",
            body=models.to_wire(request),
        )
        return parse(models.StartSmartLiveResponse, body, "StartSmartLive")

    async def stop_job(self, room_id: str, job_id: str) -> None:
        await self.http.request(
            "POST",
            f"{ROOMS}/{_seg(room_id)}/smart-live-jobs/{_seg(job_id)}/stop",
            template=ROOMS + "/{room_id}/smart-live-jobs/{job_id}/stop",
            name="StopSmartLive",
        )

    async def execute_command(
        self, room_id: str, job_id: str, command: str, params: dict[str, Any]
    ) -> models.ExecuteSmartLiveCommandResponse:
        body = await self.http.request(
            "POST",
            f"{ROOMS}/{_seg(room_id)}/smart-live-jobs/{_seg(job_id)}/command",
            template=ROOMS + "/{room_id}/smart-live-jobs/{job_id}/command",
            name="ExecuteSmartLiveCommand",
            body={"command": command, "params": params},
        )
        return parse(models.ExecuteSmartLiveCommandResponse, body, "ExecuteSmartLiveCommand")

    # Rooms --------------------------------------------------------------------------------------

    async def list_rooms(self, room_name: str | None = None) -> list[models.SmartLiveRoomBaseInfo]:
        params = {"room_name": room_name} if room_name else None
        items = await self.http.list_all(
            ROOMS, "smart_live_rooms", template=ROOMS, name="ListSmartLiveRooms", params=params, key="room_id"
        )
        return [parse(models.SmartLiveRoomBaseInfo, i, "ListSmartLiveRooms") for i in items]

    async def show_room(self, room_id: str) -> models.ShowSmartLiveRoomResponse:
        body = await self.http.request(
            "GET", f"{ROOMS}/{_seg(room_id)}", template=ROOMS + "/{room_id}", name="ShowSmartLiveRoom"
        )
        return room_detail(body)

    async def create_room(self, room: models.CreateSmartLiveRoomReq) -> str:
        body = await self.http.request(
            "POST", ROOMS, template=ROOMS, name="CreateSmartLiveRoom", body=models.to_wire(room)
        )
        return str(parse(models.CreateSmartLiveRoomResponse, body, "CreateSmartLiveRoom").room_id or "")

    async def update_room(self, room_id: str, room: models.CreateSmartLiveRoomReq) -> None:
        await self.http.request(
            "PUT",
            f"{ROOMS}/{_seg(room_id)}",
            template=ROOMS + "/{room_id}",
            name="UpdateSmartLiveRoom",
            body=models.to_wire(room),
        )

    async def delete_room(self, room_id: str) -> None:
        await self.http.request(
            "DELETE", f"{ROOMS}/{_seg(room_id)}", template=ROOMS + "/{room_id}", name="DeleteSmartLiveRoom"
        )

    async def job_config(self, room_id: str, job_id: str) -> models.SmartLiveRoomInfo:
        """GET_LIVE_JOB_CONFIG_INFO: a running job's effective configuration, shaped as a room."""
        answer = await self.execute_command(room_id, job_id, "GET_LIVE_JOB_CONFIG_INFO", {})
        try:
            return models.SmartLiveRoomInfo.from_result(answer.result)
        except ValueError:
            raise RemoteError(
                200, "", "GET_LIVE_JOB_CONFIG_INFO answered no configuration", "ExecuteSmartLiveCommand"
            ) from None
