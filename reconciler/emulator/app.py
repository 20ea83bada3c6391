"""The emulator as an ASGI app: create_app(config) -> Starlette, the same app over a socket (server.py)
and in-process (local.py, tests) through httpx.ASGITransport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from reconciler.emulator import exceptions, routes
from reconciler.emulator.auth import Credentials
from reconciler.emulator.backend import EventHook, MetaStudioBackend
from reconciler.emulator.callbacks_out import CALLBACK_TIMEOUT, Deliverer
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.controls import control_routes
from reconciler.emulator.faults import Faults, FaultSettings
from reconciler.emulator.gateway import CONNECTION_KEY, ApiOperation, ConnectionControl, Gateway
from reconciler.emulator.reactions import Reactions
from reconciler.emulator.seed import Seed, apply_seed, load_seed
from reconciler.emulator.storage import Store


@dataclass
class Emulator:
    """Everything one app instance holds; `app.state.emulator` in tests."""

    config: EmulatorConfig
    store: Store
    backend: MetaStudioBackend
    gateway: Gateway
    seed: Seed
    #: The rule engine's replies and the callbacks they send (reactions.py, callbacks_out.py).
    reactions: Reactions

    def reset(self) -> None:
        """POST /_emulator/reset: no resources but the seed's, no stats, faults as configured."""
        self.backend.reset()
        apply_seed(self.backend, self.seed)
        self.gateway.stats.reset()
        self.gateway.faults.reset()


class EmulatorApp(Starlette):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # The control is created here, outside Starlette's middleware, because only the server's own `send`
        # leads to the connection (see ConnectionControl.drop).
        control = ConnectionControl(send)
        scope[CONNECTION_KEY] = control
        await super().__call__(scope, receive, send)
        if control.drop_requested:
            await control.drop()


async def _no_such_api(request: Request, exc: Exception) -> Response:
    error = exceptions.gateway_no_api()
    return JSONResponse(error.body(), status_code=error.status)


def create_app(config: EmulatorConfig, *, on_events: EventHook | None = None) -> Starlette:
    """Build the emulator app: open (or create) the database, apply the seed, wire the routes.

    Jobs react to their events by themselves (reactions.py: rules, replies, callbacks); `on_events` is an
    extra hook called with each job's newly stored live events, after that.
    """
    seed = load_seed(config.seed_path) if config.seed_path is not None else Seed()
    store = Store(config.database)
    reactions = Reactions(store, config.clock, Deliverer(store, config.clock))
    faults = Faults(
        FaultSettings(
            latency_ms=config.latency_ms,
            rate_limits=dict(config.rate_limits),
            max_active_jobs=config.max_active_jobs,
        ),
        config.clock,
        seed=config.fault_seed,
    )
    backend = MetaStudioBackend(
        store,
        config.clock,
        config.project_id,
        start_delay=config.start_delay,
        event_url_ttl=config.event_url_ttl,
        on_events=on_events,
        reactions=reactions,
        active_job_quota=lambda: faults.max_active_jobs,
    )
    apply_seed(backend, seed)
    gateway = Gateway(backend, Credentials(config.ak, config.sk, config.project_id, config.token), faults)
    emulator = Emulator(config, store, backend, gateway, seed, reactions)

    api: list[BaseRoute] = [
        Route(
            template,
            ApiOperation(
                gateway, name, method, template, handler, iam_auth=name not in routes.URL_AUTHENTICATED
            ),
            methods=[method],
        )
        for name, method, template, handler in routes.OPERATIONS
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        # Callbacks under way get their one attempt (each is bounded by its timeout), then the store closes.
        await reactions.deliverer.aclose(timeout=CALLBACK_TIMEOUT + 0.5)
        store.close()

    app = EmulatorApp(
        # API routes first: they are matched on every API request, the controls rarely.
        routes=[*api, *control_routes(gateway, emulator.reset, reactions)],
        exception_handlers={404: _no_such_api, 405: _no_such_api, HTTPException: _no_such_api},
        lifespan=lifespan,
    )
    app.state.emulator = emulator
    return app
