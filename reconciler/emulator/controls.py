"""Test controls under /_emulator/: no authentication, so loopback clients only."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.emulator.callbacks_out import MAX_WAIT_SECONDS
from reconciler.emulator.exceptions import ServiceError, validation_message
from reconciler.emulator.gateway import Gateway, json_object, read_body
from reconciler.emulator.reactions import Reactions

Endpoint = Callable[[Request], Awaitable[Response]]


def is_loopback(client_host: str | None) -> bool:
    if client_host is None:
        return True  # a Unix socket: only this machine can reach it
    try:
        return ipaddress.ip_address(client_host).is_loopback
    except ValueError:
        return client_host == "localhost"


class _BadBody(Exception):
    """A control's body that is not a JSON object: 400 with the reason."""


async def _json_object(request: Request) -> dict[str, Any]:
    """A control's body as a JSON object, read and decoded as the API's are (size cap, strict JSON)."""
    try:
        return json_object(await read_body(request.receive, request.headers))
    except ServiceError as error:  # the API's 400 or 413, as this endpoint's own 400
        raise _BadBody(error.message) from None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error_code": f"EMULATOR.{status}", "error_msg": message}, status_code=status)


def control_routes(
    gateway: Gateway, reset_state: Callable[[], None], reactions: Reactions | None = None
) -> list[Route]:
    backend, faults, stats = gateway.backend, gateway.faults, gateway.stats

    def loopback_only(endpoint: Endpoint) -> Endpoint:
        async def guarded(request: Request) -> Response:
            if not is_loopback(request.client.host if request.client else None):
                return _error(403, "the /_emulator/ controls answer loopback clients only")
            try:
                return await endpoint(request)
            except _BadBody as error:
                return _error(400, str(error))
            except ServiceError as error:
                return JSONResponse(
                    error.body(), status_code=404 if error.code == "MSS.10001001" else error.status
                )

        return guarded

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "project_id": backend.project_id})

    async def get_stats(request: Request) -> Response:
        return JSONResponse(stats.snapshot())

    async def reset_stats(request: Request) -> Response:
        stats.reset()
        return JSONResponse(stats.snapshot())

    async def get_faults(request: Request) -> Response:
        return JSONResponse(faults.settings.model_dump())

    async def set_faults(request: Request) -> Response:
        patch = await _json_object(request)
        try:
            settings = faults.update(patch)
        except ValidationError as error:
            return _error(400, f"fault settings: {validation_message(error)}")
        return JSONResponse(settings.model_dump())

    async def events(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        found = backend.events(job_id)
        return JSONResponse({"job_id": job_id, "count": len(found), "events": found})

    async def job(request: Request) -> Response:
        return JSONResponse(backend.job_record(request.path_params["job_id"]))

    async def end_job(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        state = (await _json_object(request)).get("state", "SUCCEED")
        if not isinstance(state, str):
            return _error(400, "state: SUCCEED, FAILED or BLOCKED")
        backend.end_job(job_id, state)
        return JSONResponse({"job_id": job_id, "state": state})

    async def replies(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        backend.job_record(job_id)  # 404 for an unknown job
        found = reactions.replies(job_id) if reactions is not None else []
        return JSONResponse({"job_id": job_id, "count": len(found), "replies": found})

    async def callbacks(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        backend.job_record(job_id)
        if reactions is None:
            return JSONResponse({"job_id": job_id, "count": 0, "pending": 0, "callbacks": []})
        deliverer = reactions.deliverer
        wait = request.query_params.get("wait")
        if wait is not None:
            try:
                seconds = float(wait)
            except ValueError:
                return _error(400, "wait: a number of seconds")
            if not 0 <= seconds <= MAX_WAIT_SECONDS:
                return _error(400, f"wait: 0 to {MAX_WAIT_SECONDS:g} seconds")
            await deliverer.drain(job_id, timeout=seconds)
        found = deliverer.records(job_id)
        return JSONResponse(
            {"job_id": job_id, "count": len(found), "pending": deliverer.pending(job_id), "callbacks": found}
        )

    async def reset(request: Request) -> Response:
        reset_state()
        return JSONResponse({"status": "reset"})

    return [
        Route("/_emulator/health", loopback_only(health), methods=["GET"]),
        Route("/_emulator/stats", loopback_only(get_stats), methods=["GET"]),
        Route("/_emulator/stats/reset", loopback_only(reset_stats), methods=["POST"]),
        Route("/_emulator/faults", loopback_only(get_faults), methods=["GET"]),
        Route("/_emulator/faults", loopback_only(set_faults), methods=["POST"]),
        Route("/_emulator/events/{job_id}", loopback_only(events), methods=["GET"]),
        Route("/_emulator/jobs/{job_id}", loopback_only(job), methods=["GET"]),
        Route("/_emulator/jobs/{job_id}/end", loopback_only(end_job), methods=["POST"]),
        Route("/_emulator/replies/{job_id}", loopback_only(replies), methods=["GET"]),
        Route("/_emulator/callbacks/{job_id}", loopback_only(callbacks), methods=["GET"]),
        Route("/_emulator/reset", loopback_only(reset), methods=["POST"]),
    ]
