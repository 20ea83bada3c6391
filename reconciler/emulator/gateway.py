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
from typing import Any, Final, TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError
from starlette.types import Message, Receive, Scope, Send

from reconciler.api import jsontext
from reconciler.emulator import auth, exceptions
from reconciler.emulator.backend import MetaStudioBackend
from reconciler.emulator.exceptions import ServiceError, validation_message
from reconciler.emulator.faults import Faults
from reconciler.emulator.stats import Stats

log = logging.getLogger("reconciler.emulator")

CONNECTION_KEY = "smartlive.connection"
#: The API gateway's limit on a request body (Huawei APIG: 12 MB, larger bodies answer 413 APIG.0201).
MAX_BODY_BYTES: Final = 12 * 1024 * 1024
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
    #: Operations authenticated by their URL (LiveEventReport): AK/SK or a token verified all the same.
    iam_verified: bool = False
    #: ... or why the AK/SK or token they carried was refused.
    iam_refusal: ServiceError | None = None

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
        return validate_body(model, self.body)


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
        command = jsontext.decode(body).get("command")
    except (jsontext.JsonTextError, AttributeError):
        return "(unreadable)"
    return command if isinstance(command, str) else "(unreadable)"


def json_object(body: bytes) -> dict[str, Any]:
    """A request body as a JSON object (an empty body is `{}`); 400 MSS.00000002 otherwise.

    Strict JSON (reconciler.api.jsontext): deep nesting and a lone `\ud800` are a bad body, not a 500."""
    try:
        data = jsontext.decode(body) if body.strip() else {}
    except jsontext.JsonTextError as error:
        raise exceptions.invalid_body(f"the body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise exceptions.invalid_body("the body must be a JSON object")
    return data


def validate_body(model: type[_M], body: bytes) -> _M:
    """A request body as `model`; 400 MSS.00000002 (not a JSON object) or MSS.00000003 (the model refuses it)."""
    try:
        return model.model_validate(json_object(body))
    except ValidationError as error:
        raise exceptions.invalid_parameter(validation_message(error)) from None


#: A request's body must arrive within this many seconds of its headers (a slow drip holds a worker).
BODY_SECONDS = 30.0


async def read_body(receive: Receive, headers: Mapping[str, str], limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole request body, or 413 APIGW.0201 as soon as it is known to exceed `limit`: before it is
    read (a Content-Length over the limit) or while it is, never holding more than `limit` bytes; 408
    when it takes longer than BODY_SECONDS."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise exceptions.entity_too_large(limit)
    seconds = BODY_SECONDS
    try:
        async with asyncio.timeout(seconds):
            return await _body(receive, limit)
    except TimeoutError:
        raise exceptions.request_timeout(seconds) from None


async def _body(receive: Receive, limit: int) -> bytes:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise exceptions.entity_too_large(limit)
        chunks.append(chunk)
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
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            # Capped before anything else looks at it: authentication hashes the whole body.
            body = await read_body(receive, headers)
            if self.name == COMMAND_OPERATION:
                gw.stats.record_command(_command_of(body))
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            request = ApiRequest(
                self.method, scope.get("path_params", {}), query, headers, body, _base_url(scope, headers)
            )
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
            self._authenticate(scope, request, project_id)
        else:
            if project_id != gw.creds.project_id:
                raise exceptions.unauthorized_service()
            if auth.carries_credentials(request.headers):
                # A report may be signed instead of carrying its auth_key (API.md, seeds 000/001): the
                # handler needs the URL's key only when this did not authenticate the request.
                try:
                    self._authenticate(scope, request, project_id)
                    request.iam_verified = True
                except ServiceError as refused:
                    request.iam_refusal = refused
        refusal = gw.faults.throttled() or gw.faults.rate_limited(self.name) or gw.faults.injected_error()
        if refusal is not None:
            raise refusal
        return self.handler(gw.backend, request)

    def _authenticate(self, scope: Scope, request: ApiRequest, project_id: str) -> None:
        raw_path = scope.get("raw_path") or scope["path"].encode()
        signed = auth.SignedRequest(
            self.method,
            raw_path.split(b"?")[0].decode("latin-1"),
            request.query,
            request.headers,
            request.body,
        )
        auth.authenticate(self.gateway.creds, signed, project_id, self.gateway.backend.clock.now())
