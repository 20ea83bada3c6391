"""State-store writes from the async apply, off the event loop and in order.

One writer thread takes the writes in the order they were submitted and carries them out; everything
that queued up while it was busy is done as one batch, and the batch's waiters are woken with one
call into the loop. A write's waiter resumes only once the write is durable (the store's writes are
when they return), so a create still waits for its intent record. Waking the loop once per batch, not
once per write, is what keeps thousands of writes cheap: each wake-up of the loop from a thread costs
more than a SQLite write.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any

_Job = tuple[Callable[[], Any], "asyncio.Future[Any]"]
_STOP: Any = object()


class StateWriter:
    """Runs blocking calls on one thread, in submission order; `await writer.run(fn)`."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: queue.SimpleQueue[_Job | Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name="smartlive-state", daemon=True)
        self._thread.start()

    async def run(self, call: Callable[[], Any]) -> Any:
        future: asyncio.Future[Any] = self._loop.create_future()
        self._queue.put((call, future))
        return await future

    def close(self) -> None:
        """Finish what was submitted, then stop the thread."""
        self._queue.put(_STOP)
        self._thread.join()

    def _work(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(job is _STOP for job in batch)
            outcomes = [self._one(job) for job in batch if job is not _STOP]
            if outcomes:
                self._loop.call_soon_threadsafe(_settle, outcomes)
            if stop:
                return

    @staticmethod
    def _one(job: _Job) -> tuple[asyncio.Future[Any], Any, BaseException | None]:
        call, future = job
        try:
            return future, call(), None
        except BaseException as exc:  # handed to the waiter, which raises it
            return future, None, exc


def _settle(outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in outcomes:
        if future.cancelled():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
