"""The MetaStudio smart-live operations the reconciler uses, typed with the API models.

Thin on purpose: paths and bodies here, transport rules (retries, bounds, errors) in http.py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from reconciler.api import models
from reconciler.cloud.http import HttpClient

GROUPS = "/smart-live-interaction-rule-groups"
ROOMS = "/smart-live-rooms"
PROJECT_JOBS = "/smart-live-jobs"


def _seg(value: str) -> str:
    # Ids go into the path as one segment each, whatever they contain.
    return quote(value, safe="")


class MetaStudioApi:
    def __init__(self, http: HttpClient) -> None:
        self.http = http

    # Rule groups --------------------------------------------------------------------------------

    async def list_rule_groups(
        self, group_name: str | None = None
    ) -> list[models.InteractionRuleGroupSummary]:
        params = {"group_name": group_name} if group_name else None
        items = await self.http.list_all(GROUPS, "interaction_rule_groups", template=GROUPS, params=params)
        return [models.InteractionRuleGroupSummary.model_validate(i) for i in items]

    async def show_rule_group(self, group_id: str) -> models.ShowInteractionRuleGroupResponse:
        body = await self.http.request("GET", f"{GROUPS}/{_seg(group_id)}", template=GROUPS + "/{group_id}")
        return models.ShowInteractionRuleGroupResponse.model_validate(body)

    async def create_rule_group(self, group: models.InteractionRuleGroup) -> str:
        body = await self.http.request("POST", GROUPS, template=GROUPS, body=models.to_wire(group))
        return str(models.CreateInteractionRuleGroupResponse.model_validate(body).group_id or "")

    async def update_rule_group(self, group_id: str, group: models.InteractionRuleGroup) -> None:
        await self.http.request(
            "PUT", f"{GROUPS}/{_seg(group_id)}", template=GROUPS + "/{group_id}", body=models.to_wire(group)
        )

    async def delete_rule_group(self, group_id: str) -> None:
        await self.http.request("DELETE", f"{GROUPS}/{_seg(group_id)}", template=GROUPS + "/{group_id}")

    # Jobs ---------------------------------------------------------------------------------------

    async def list_project_jobs(
        self, states: tuple[str, ...] = models.ACTIVE_JOB_STATES
    ) -> list[models.SmartLiveJob]:
        items = await self.http.list_all(
            PROJECT_JOBS, "smart_live_jobs", template=PROJECT_JOBS, params={"state": ",".join(states)}
        )
        return [models.SmartLiveJob.model_validate(i) for i in items]

    async def list_room_jobs(
        self, room_id: str, states: tuple[str, ...] = models.ACTIVE_JOB_STATES
    ) -> list[models.SmartLiveJob]:
        items = await self.http.list_all(
            f"{ROOMS}/{_seg(room_id)}/smart-live-jobs",
            "smart_live_jobs",
            template=ROOMS + "/{room_id}/smart-live-jobs",
            params={"state": ",".join(states)},
        )
        return [models.SmartLiveJob.model_validate(i) for i in items]

    async def show_job(self, room_id: str, job_id: str) -> models.SmartLiveJob:
        body = await self.http.request(
            "GET",
            f"{ROOMS}/{_seg(room_id)}/smart-live-jobs/{_seg(job_id)}",
            template=ROOMS + "/{room_id}/smart-live-jobs/{job_id}",
        )
        return models.SmartLiveJob.model_validate(body)

    async def start_job(
        self, room_id: str, request: models.StartSmartLiveReq
    ) -> models.StartSmartLiveResponse:
        body = await self.http.request(
            "POST",
            f"{ROOMS}/{_seg(room_id)}/smart-live-jobs",
            template=ROOMS + "/{room_id}/smart-live-jobs",
            body=models.to_wire(request),
        )
        return models.StartSmartLiveResponse.model_validate(body)

    async def stop_job(self, room_id: str, job_id: str) -> None:
        await self.http.request(
            "POST",
            f"{ROOMS}/{_seg(room_id)}/smart-live-jobs/{_seg(job_id)}/stop",
            template=ROOMS + "/{room_id}/smart-live-jobs/{job_id}/stop",
        )

    async def execute_command(
        self, room_id: str, job_id: str, command: str, params: dict[str, Any]
    ) -> models.ExecuteSmartLiveCommandResponse:
        body = await self.http.request(
            "POST",
            f"{ROOMS}/{_seg(room_id)}/smart-live-jobs/{_seg(job_id)}/command",
            template=ROOMS + "/{room_id}/smart-live-jobs/{job_id}/command",
            body={"command": command, "params": params},
        )
        return models.ExecuteSmartLiveCommandResponse.model_validate(body)
