"""Running the emulator on a real socket: `smartlive emulator serve` and `running_emulator` for tests and
benchmarks.

The socket is bound before uvicorn starts, so `--port 0` knows its port (and prints it) before the first
request, and a test gets a base URL that already accepts connections.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from reconciler.emulator.app import create_app
from reconciler.emulator.backend import EventHook
from reconciler.emulator.config import EmulatorConfig

if TYPE_CHECKING:
    import uvicorn


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


#: A request's headers must be complete within this many seconds of the connection (or of the first byte
#: after a keep-alive pause): a client that drips them (slowloris) is disconnected.
HEADER_SECONDS = 10.0


def _guarded_protocol() -> type[Any]:
    """uvicorn's h11 protocol with a deadline on request headers, which uvicorn itself does not have."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderDeadline(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._watch_headers()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._watch_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _watch_headers(self) -> None:
            # IDLE: the client has not finished a request's headers; a keep-alive pause with nothing
            # received is uvicorn's timeout_keep_alive's, so the timer runs only once data has come.
            waiting = self.conn.their_state is h11.IDLE
            if waiting and self._header_timer is None:
                self._header_timer = self.loop.call_later(HEADER_SECONDS, self._too_slow)
            elif not waiting:
                self._disarm()

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return HeaderDeadline


def build_server(config: EmulatorConfig, on_events: EventHook | None = None) -> uvicorn.Server:
    import uvicorn  # imported here: `smartlive --help` must not pay for it

    # Access log off: it costs throughput, and live-event-report URLs carry auth_key in their query.
    uvicorn_config = uvicorn.Config(
        create_app(config, on_events=on_events),
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_keep_alive=30,
        http=_guarded_protocol(),
        # No X-Forwarded-For: the loopback check of /_emulator/ must see the real peer.
        proxy_headers=False,
        backlog=2048,
    )
    return uvicorn.Server(uvicorn_config)


def serve(sock: socket.socket, config: EmulatorConfig) -> None:
    """Serve on an already bound socket until interrupted (SIGINT/SIGTERM)."""
    server = build_server(config)
    server.run(sockets=[sock])


@contextmanager
def running_emulator(
    config: EmulatorConfig | None = None,
    on_events: EventHook | None = None,
    *,
    wrap: Callable[[Any], Any] | None = None,
) -> Iterator[str]:
    """Run the emulator on 127.0.0.1 (config.host) with a free port in a background thread; yield its base
    URL. The server stops when the block ends. `wrap` puts an ASGI middleware of a test's in front."""
    config = config or EmulatorConfig()
    sock = bind(config.host, 0)
    server = build_server(config, on_events)
    if wrap is not None:
        server.config.app = wrap(server.config.app)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="smartlive-emulator", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
            time.sleep(0.005)
        yield base_url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
