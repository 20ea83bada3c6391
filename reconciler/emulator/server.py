"""Running the emulator on a real socket: `smartlive emulator serve` and `running_emulator` for tests and
benchmarks.

The socket is bound before uvicorn starts, so `--port 0` knows its port (and prints it) before the first
request, and a test gets a base URL that already accepts connections.
"""

from __future__ import annotations

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


def build_server(config: EmulatorConfig, on_events: EventHook | None = None) -> uvicorn.Server:
    import uvicorn  # imported here: `smartlive --help` must not pay for it

    # Access log off: it costs throughput, and live-event-report URLs carry auth_key in their query.
    uvicorn_config = uvicorn.Config(
        create_app(config, on_events=on_events),
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_keep_alive=30,
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
