"""Fixtures of the API-client tests: targets, fake transports, and the emulator in-process.

Two kinds of server stand behind the client here. A fake `httpx.MockTransport` where a test needs one exact
answer (a 429 with a given code, a dropped connection, a page that reports some count); the emulator where
the real answer matters (signatures, tokens, paging over stored groups, injected latency and faults).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.api import models
from reconciler.cloud.config import Credentials, Target
from reconciler.cloud.http import HttpClient, RetryPolicy
from reconciler.cloud.retry import Deadline
from reconciler.emulator.app import create_app
from reconciler.emulator.config import EmulatorConfig

AK, SK, PROJECT = "cloud-ak", "cloud-sk-do-not-print-4f1e", "cloud-project"
ENDPOINT = "http://metastudio.test"


def target(*, ak: str = AK, sk: str = SK, token: str = "", project: str = PROJECT) -> Target:
    source = "SMARTLIVE_AUTH_TOKEN" if token else "HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK"
    return Target(ENDPOINT, project, Credentials(ak=ak, sk=sk, auth_token=token, source=source))


#: Retries without real waiting: the sleeps are recorded instead (see Sleeps).
FAST = RetryPolicy(attempts=4, base_seconds=0.25, cap_seconds=2.0, throttle_floor_seconds=1.0)
#: The run's time limit of a test client, on the clock of its Sleeps: endless throttling ends there.
RUN_SECONDS = 60.0


@dataclass
class Sleeps:
    """A stand-in for asyncio.sleep that records each backoff pause and returns at once."""

    pauses: list[float] = field(default_factory=list)
    #: Called with each pause, e.g. to move an emulator's manual clock by as much.
    on_pause: Callable[[float], None] | None = None

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)
        if self.on_pause is not None:
            self.on_pause(seconds)

    def clock(self) -> float:
        """Time as the pauses tell it: a run's time limit passes with them, not with the wall clock."""
        return sum(self.pauses)


Handler = Callable[[httpx.Request], httpx.Response]


def json_response(status: int, body: Any) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )


def error(status: int, code: str, message: str = "refused") -> httpx.Response:
    return json_response(status, {"error_code": code, "error_msg": message})


@dataclass
class Scripted:
    """A MockTransport handler answering from a script, one entry per request, recording each request.

    An entry is a Response, an exception instance (raised, as a transport error would be) or a callable
    of the request."""

    script: list[Any]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        entry = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(entry, BaseException):
            raise entry
        if callable(entry):
            result: httpx.Response = entry(request)
            return result
        assert isinstance(entry, httpx.Response)
        return entry


def client(
    handler: Handler | httpx.AsyncBaseTransport,
    *,
    tgt: Target | None = None,
    parallelism: int = 8,
    retry: RetryPolicy = FAST,
    sleeps: Sleeps | None = None,
    run_seconds: float = RUN_SECONDS,
) -> HttpClient:
    transport = handler if isinstance(handler, httpx.AsyncBaseTransport) else httpx.MockTransport(handler)
    sleeps = sleeps or Sleeps()
    return HttpClient(
        tgt or target(),
        parallelism=parallelism,
        retry=retry,
        transport=transport,
        seed=7,
        sleep=sleeps,
        clock=sleeps.clock,
        deadline=Deadline(run_seconds, clock=sleeps.clock),
    )


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# The emulator, in-process -----------------------------------------------------------------------------


def emulator_app(**overrides: Any) -> Starlette:
    fields: dict[str, Any] = {
        "ak": AK,
        "sk": SK,
        "project_id": PROJECT,
        "start_delay": 0.0,
        "rate_limits": {},
    }
    fields.update(overrides)
    return create_app(EmulatorConfig(**fields))


@pytest.fixture
def app() -> Iterator[Starlette]:
    application = emulator_app()
    yield application
    application.state.emulator.store.close()


def add_groups(app: Starlette, count: int, rules: int = 0, prefix: str = "g") -> None:
    """Create groups straight in the emulator's backend: fast, and not counted in its request stats."""
    backend = app.state.emulator.backend
    for index in range(count):
        body = models.InteractionRuleGroup(
            group_name=f"{prefix}{index:05d}",
            interaction_rules=[
                models.InteractionRuleInfo(rule_name=f"r{r}", event_type=1) for r in range(rules)
            ],
        )
        backend.create_interaction_rule_group(body)


class Concurrency(httpx.AsyncBaseTransport):
    """Wraps a transport and records the requests it carries and how many were in flight at once."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.in_flight = 0
        self.peak = 0
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


@asynccontextmanager
async def emulator_client(
    app: Starlette,
    *,
    tgt: Target | None = None,
    parallelism: int = 8,
    retry: RetryPolicy = FAST,
    sleeps: Sleeps | None = None,
) -> AsyncIterator[tuple[HttpClient, Concurrency]]:
    transport = Concurrency(httpx.ASGITransport(app=app))
    async with client(transport, tgt=tgt, parallelism=parallelism, retry=retry, sleeps=sleeps) as http:
        yield http, transport


def stats(app: Starlette) -> dict[str, int]:
    snapshot: dict[str, int] = app.state.emulator.gateway.stats.snapshot()["requests"]
    return snapshot


def set_faults(app: Starlette, **settings: Any) -> None:
    app.state.emulator.gateway.faults.update(settings)
