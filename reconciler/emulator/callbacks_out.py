"""Callbacks the emulator sends: loopback only, one attempt, after the report has been answered.

The offline rule: the emulator never sends traffic off this machine. A callback URL whose host is not
loopback (127.0.0.0/8, ::1, `localhost`) is recorded as not delivered, decided from the URL's text alone,
before any name lookup or connection. What is delivered goes over the real network stack whether the
emulator itself runs behind uvicorn or in-process: httpx's AsyncHTTPTransport, used without a client, so
no proxy comes from the environment (an HTTP_PROXY must not carry a loopback call elsewhere), no redirect
is followed (it could name any host) and httpx does not log the URL (it carries secrets). https is not
verified: the receiver is on this machine, and a local receiver's certificate is self-signed.

Deliveries run as asyncio tasks, one worker per job, so a job's callbacks arrive in the order they were
decided; each is one POST with a timeout of CALLBACK_TIMEOUT seconds, never retried. The outcome is
written to the `callbacks` table: `delivered` (2xx), `failed` (another status, a timeout, a refused
connection, the emulator stopping first), or `not_delivered` (never attempted). Secrets stay out of the
record and the log: the URL is redacted (every query value but hwTime), headers are kept by name only.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import sqlite3
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

from reconciler.emulator.clock import Clock, rfc3339, to_ms
from reconciler.emulator.storage import Store

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("reconciler.emulator")

#: Seconds one delivery may take, connection included.
CALLBACK_TIMEOUT: Final = 2.0
#: The longest `GET /_emulator/callbacks/{job_id}?wait=` waits for a job's pending deliveries.
MAX_WAIT_SECONDS: Final = 10.0
USER_AGENT: Final = "smartlive-emulator"
REDACTED: Final = "******"
#: Query parameters shown in clear in recorded URLs (hwTime is a timestamp, not a secret).
_CLEAR_PARAMS: Final = frozenset({"hwTime"})

PENDING: Final = "pending"
DELIVERED: Final = "delivered"
FAILED: Final = "failed"
NOT_DELIVERED: Final = "not_delivered"


def loopback_host(host: str | None) -> bool:
    """True for `localhost` and literal loopback addresses (127.0.0.0/8, ::1, ::ffff:127.x.y.z)."""
    if not host:
        return False
    name = host.rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False  # a name other than localhost: never resolved, never contacted
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def refusal(url: str | None) -> str | None:
    """Why `url` must not be contacted (None: it may be). Looks at the text only: no DNS, no socket."""
    if not url:
        return "not delivered: no callback URL"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a port that is no number
    except ValueError:
        return "not delivered: the URL does not parse"
    if parts.scheme not in ("http", "https"):
        return f"not delivered: scheme {parts.scheme or '(none)'!r} (http and https only)"
    if not loopback_host(host):
        return f"not delivered: non-loopback host {host or '(none)'} (the emulator sends nothing off this machine)"
    return None


def redact_url(url: str | None) -> str | None:
    """The URL fit for a record or a log: user info dropped, every query value but hwTime masked."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return REDACTED
    shown = urlencode([(k, v if k in _CLEAR_PARAMS else REDACTED) for k, v in query], safe="*")
    return parts._replace(netloc=netloc, query=shown).geturl()


@dataclass(frozen=True)
class Delivery:
    """One callback to send. `url` and `headers` are what goes on the wire, secrets included: they live
    only in memory, until the POST is made."""

    callback_id: str
    job_id: str
    url: str
    headers: Mapping[str, str]
    body: bytes


class Deliverer:
    """Records callbacks and sends the deliverable ones in the background (see the module docstring)."""

    def __init__(self, store: Store, clock: Clock, *, timeout: float = CALLBACK_TIMEOUT) -> None:
        self.store = store
        self.clock = clock
        self.timeout = timeout
        self._queues: dict[str, deque[Delivery]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}

    # ------------------------------------------------------------------------------------------------
    # Recording (synchronous: called from the report's handler)
    # ------------------------------------------------------------------------------------------------

    def record_many(
        self, job_id: str, callbacks: Sequence[tuple[str, dict[str, Any], Delivery | None]]
    ) -> None:
        """Store callbacks (callback_id, record, delivery) in one transaction, then send the deliveries.

        A record carries what the callback is (type, url redacted, headers by name, body); a None
        delivery means it is not sent, and the record's `error` says why."""
        if not callbacks:
            return
        now = to_ms(self.clock.now())
        rows = []
        withheld: dict[str, int] = {}
        for callback_id, record, delivery in callbacks:
            error = record.pop("error", None)
            state, finish = (PENDING, None) if delivery is not None else (NOT_DELIVERED, now)
            rows.append(
                (
                    callback_id,
                    json.dumps(record, ensure_ascii=False, separators=(",", ":")),
                    state,
                    error,
                    finish,
                )
            )
            if delivery is None:
                withheld[str(error)] = withheld.get(str(error), 0) + 1
        with self.store.write() as tx:
            tx.insert_callbacks(job_id, rows)
        for error, count in withheld.items():
            log.info("emulator: %d callback(s) of job %s not sent: %s", count, job_id, error)
        for _, _, delivery in callbacks:
            if delivery is not None:
                self._submit(delivery)

    def _submit(self, delivery: Delivery) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # No event loop (the backend driven directly, outside any server): deliver now, in line.
            asyncio.run(self._send_alone(delivery))
            return
        queue = self._queues.setdefault(delivery.job_id, deque())
        queue.append(delivery)
        if delivery.job_id not in self._workers:
            self._workers[delivery.job_id] = loop.create_task(
                self._work(delivery.job_id, queue), name=f"smartlive-callbacks-{delivery.job_id}"
            )

    # ------------------------------------------------------------------------------------------------
    # Sending (asynchronous)
    # ------------------------------------------------------------------------------------------------

    def _transport(self) -> httpx.AsyncHTTPTransport:
        import httpx  # imported when a callback is sent, not at every emulator start

        # The transport itself, not an AsyncClient: no proxy from the environment, no redirects, and
        # no "HTTP Request: POST <url>" log line (httpx's client logs URLs, and these carry secrets).
        # Certificates are not verified: the receiver is on this machine (nothing else is contacted), and
        # a test receiver's certificate is self-signed (the service wants https callback URLs).
        return httpx.AsyncHTTPTransport(retries=0, verify=False)

    async def _send_alone(self, delivery: Delivery) -> None:
        async with self._transport() as transport:
            await self._send(transport, delivery)

    async def _work(self, job_id: str, queue: deque[Delivery]) -> None:
        transport = self._transport()
        try:
            while queue:
                delivery = queue.popleft()
                try:
                    await self._send(transport, delivery)
                except asyncio.CancelledError:
                    # The loop is going away (an in-process CLI run ending): say so rather than stay pending.
                    for left in (delivery, *queue):
                        self._finish(left, FAILED, None, "not delivered: the emulator stopped first")
                    queue.clear()
                    raise
        finally:
            # No await between the last `while queue` test and these: a new submit starts a new worker.
            if self._workers.get(job_id) is asyncio.current_task():
                del self._workers[job_id]
            if self._queues.get(job_id) is queue and not queue:
                del self._queues[job_id]
            try:
                await transport.aclose()
            except Exception:  # closing a pool must not hide what happened before
                log.debug("emulator: closing the callback transport failed", exc_info=True)

    async def _send(self, transport: httpx.AsyncHTTPTransport, delivery: Delivery) -> None:
        import httpx

        request = httpx.Request(
            "POST",
            delivery.url,
            content=delivery.body,
            headers={"user-agent": USER_AGENT, **delivery.headers},
            extensions={"timeout": httpx.Timeout(self.timeout).as_dict()},
        )
        try:
            async with asyncio.timeout(self.timeout):  # the whole exchange, not each phase
                response = await transport.handle_async_request(request)
                try:
                    await response.aread()
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            self._finish(delivery, FAILED, None, f"timed out after {self.timeout:g} s")
            return
        except httpx.HTTPError as exc:
            # The exception's text may quote the URL (secrets included): the class name says enough.
            self._finish(delivery, FAILED, None, f"{type(exc).__name__}: the request did not complete")
            return
        status = response.status_code
        if 200 <= status < 300:
            self._finish(delivery, DELIVERED, status, None)
        else:
            self._finish(delivery, FAILED, status, f"the receiver answered HTTP {status}")

    def _finish(self, delivery: Delivery, state: str, status: int | None, error: str | None) -> None:
        try:
            with self.store.write() as tx:
                tx.finish_callback(delivery.callback_id, state, status, error, to_ms(self.clock.now()))
        except sqlite3.ProgrammingError:  # the database was closed (the emulator stopped)
            return
        if error:
            log.info(
                "emulator: callback %s of job %s %s: %s", delivery.callback_id, delivery.job_id, state, error
            )

    # ------------------------------------------------------------------------------------------------
    # Waiting and reading
    # ------------------------------------------------------------------------------------------------

    def pending(self, job_id: str | None = None) -> int:
        if job_id is not None:
            queue = self._queues.get(job_id)
            return (len(queue) if queue else 0) + (1 if job_id in self._workers else 0)
        return sum(len(q) for q in self._queues.values()) + len(self._workers)

    async def drain(self, job_id: str | None = None, timeout: float | None = None) -> bool:
        """Wait until the deliveries under way (of one job, or all) are done; False if `timeout` came
        first. Only deliveries of this event loop can be waited for."""
        tasks = [task for key, task in self._workers.items() if job_id is None or key == job_id]
        if not tasks:
            return True
        _, waiting = await asyncio.wait(tasks, timeout=timeout)
        return not waiting

    async def aclose(self, timeout: float) -> None:
        """On shutdown: give deliveries under way `timeout` seconds, then cancel the rest."""
        if not await self.drain(timeout=timeout):
            for task in list(self._workers.values()):
                task.cancel()
            await asyncio.gather(*self._workers.values(), return_exceptions=True)

    def records(self, job_id: str) -> list[dict[str, Any]]:
        with self.store.read() as tx:
            rows = tx.callbacks(job_id)
        shown = []
        for record, state, status, error, finish_ms in rows:
            item = json.loads(record)
            item.update(
                state=state,
                status_code=status,
                error=error,
                finish_time=rfc3339(finish_ms) if finish_ms is not None else None,
            )
            shown.append(item)
        return shown
