"""The API gateway in front of each emulated operation: stats, faults, authentication, throttling, the
error body, and the dropped connection of drop_after_commit_rate.

Each API route's endpoint is an ApiOperation, a plain ASGI callable: it reads the whole body once (the
signature covers it), runs the gateway steps in the order the real gateway does, calls the operation's
handler, and writes the JSON answer itself, so nothing generic sits on the hot path of a list call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError
from starlette.types import Message, Receive, Scope, Send

from reconciler.emulator import auth, exceptions
from reconciler.emulator.backend import MetaStudioBackend
from reconciler.emulator.exceptions import ServiceError, validation_message
from reconciler.emulator.faults import Faults
from reconciler.emulator.stats import Stats

log = logging.getLogger("reconciler.emulator")

CONNECTION_KEY = "smartlive.connection"
_M = TypeVar("_M", bound=BaseModel)


def connection_dropped() -> Exception:
    """What an in-process app (httpx.ASGITransport, no socket) raises where a server would close the
    connection: the client sees the same httpx transport error as over a socket. httpx is imported here
    only, so that a server start does not pay for it."""
    import httpx

    return httpx.RemoteProtocolError("Server disconnected without sending a response (emulated drop)")


class ConnectionControl:
    """Lets an endpoint close the client connection without answering (see EmulatorApp.__call__)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.drop_requested = False

    async def drop(self) -> None:
        # Over uvicorn the original `send` is a bound method of the request cycle, which holds the transport.
        cycle = getattr(self._send, "__self__", None)
        transport = getattr(cycle, "transport", None)
        if transport is None:
            raise connection_dropped()
        transport.close()
        # Let the server see connection_lost before the app returns, so it does not answer a 500 instead.
        for _ in range(20):
            if getattr(cycle, "disconnected", True):
                break
            await asyncio.sleep(0)


@dataclass
class ApiRequest:
    method: str
    path_params: Mapping[str, str]
    query: list[tuple[str, str]]
    headers: Mapping[str, str]
    body: bytes
    base_url: str

    def param(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None

    def params(self, names: tuple[str, ...]) -> dict[str, str]:
        """The given query parameters that are present (first value of each); others are ignored."""
        found: dict[str, str] = {}
        for key, value in self.query:
            if key in names and key not in found:
                found[key] = value
        return found

    def json(self, model: type[_M]) -> _M:
        try:
            data = json.loads(self.body) if self.body.strip() else {}
        except ValueError:
            raise exceptions.invalid_body("the body is not JSON") from None
        if not isinstance(data, dict):
            raise exceptions.invalid_body("the body must be a JSON object")
        try:
            return model.model_validate(data)
        except ValidationError as error:
            raise exceptions.invalid_parameter(validation_message(error)) from None


Reply = tuple[int, BaseModel | dict[str, Any] | None]
Handler = Callable[[MetaStudioBackend, ApiRequest], Reply]


@dataclass
class Gateway:
    backend: MetaStudioBackend
    creds: auth.Credentials
    faults: Faults
    stats: Stats = field(default_factory=Stats)


#: The operation whose requests are also counted by command (Stats.record_command).
COMMAND_OPERATION = "ExecuteSmartLiveCommand"


def _command_of(body: bytes) -> str:
    """The `command` of a request body, or "(unreadable)": counted before the body is validated."""
    try:
        command = json.loads(body).get("command")
    except (ValueError, AttributeError, RecursionError):
        return "(unreadable)"
    return command if isinstance(command, str) else "(unreadable)"


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def send_json(
    send: Send, status: int, payload: BaseModel | dict[str, Any] | None, request_id: str
) -> None:
    if status == 204 or payload is None:
        body = b""
    elif isinstance(payload, BaseModel):
        # The output of models.to_wire_json (field names, None left out, compact UTF-8), produced by
        # pydantic's own serializer, four times faster; test_wire_json_is_to_wire_json keeps them equal.
        body = payload.model_dump_json(exclude_none=True).encode()
    else:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = [(b"x-request-id", request_id.encode()), (b"content-length", str(len(body)).encode())]
    if body:
        headers.append((b"content-type", b"application/json;charset=UTF-8"))
    start: Message = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})


def _base_url(scope: Scope, headers: Mapping[str, str]) -> str:
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("localhost", None)
        host = server[0] if server[1] in (None, 80, 443) else f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"


class ApiOperation:
    """The ASGI endpoint of one API operation (one method on one path template)."""

    def __init__(
        self,
        gateway: Gateway,
        name: str,
        method: str,
        template: str,
        handler: Handler,
        *,
        iam_auth: bool = True,
    ) -> None:
        self.gateway = gateway
        self.name = name
        self.method = method
        self.template = template
        self.handler = handler
        # LiveEventReport is authenticated by its URL's auth_key, not by IAM (a platform bridge holds no AK/SK).
        self.iam_auth = iam_auth
        self.writes = method != "GET"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gw = self.gateway
        gw.stats.record(self.method, self.template)
        request_id = uuid.uuid4().hex
        await gw.faults.delay()
        body = await _read_body(receive)
        if self.name == COMMAND_OPERATION:
            gw.stats.record_command(_command_of(body))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        request = ApiRequest(
            self.method, scope.get("path_params", {}), query, headers, body, _base_url(scope, headers)
        )
        try:
            status, payload = self._run(scope, request)
        except ServiceError as error:
            status, payload = error.status, error.body()
        except Exception:
            log.exception("emulator: %s failed", self.name)
            status, payload = 500, exceptions.internal_error().body()
        if self.writes and status < 300 and gw.faults.drop_after_commit():
            connection = scope.get(CONNECTION_KEY)
            if isinstance(connection, ConnectionControl):
                connection.drop_requested = True
                return
        await send_json(send, status, payload, request_id)

    def _run(self, scope: Scope, request: ApiRequest) -> Reply:
        gw = self.gateway
        project_id = request.path_params.get("project_id", "")
        if self.iam_auth:
            raw_path = scope.get("raw_path") or scope["path"].encode()
            signed = auth.SignedRequest(
                self.method,
                raw_path.split(b"?")[0].decode("latin-1"),
                request.query,
                request.headers,
                request.body,
            )
            auth.authenticate(gw.creds, signed, project_id, gw.backend.clock.now())
        elif project_id != gw.creds.project_id:
            raise exceptions.unauthorized_service()
        refusal = gw.faults.throttled() or gw.faults.rate_limited(self.name) or gw.faults.injected_error()
        if refusal is not None:
            raise refusal
        return self.handler(gw.backend, request)
