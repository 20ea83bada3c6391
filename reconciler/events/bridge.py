"""The loop of `smartlive events report`: read lines, batch the valid events, deliver, keep count.

Two ways in:

- `run(lines)`: lines from a file or a finished stream; a batch goes when it is full, the rest at the
  end of input.
- `follow(queue)`: lines as a platform bridge produces them (`--follow`): a batch also goes when its
  oldest event has waited `flush_interval` seconds, so a quiet room still sees its events within a
  second, and a busy one gets full batches.

A bad line is reported (`on_reject`) and skipped, or ends the run with `strict`. A batch the service
refuses with a 400 is split in halves until the refused events are isolated: they are rejected like bad
lines and every other event is delivered, in order (with `strict`, the first refusal ends the run).
When the service refuses event after event, the problem is not the events: the run stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from reconciler.api.models import LiveEvent
from reconciler.events.jsonl import Line
from reconciler.events.report import MAX_BATCH, BatchRefused, BatchSender, ReportStopped, Summary

#: The service refusing this many single events in a row means the request, not the events, is wrong.
MAX_REFUSED_IN_A_ROW: Final = 3
#: While a batch is in flight, the parsing loop lets it progress every this many lines.
YIELD_EVERY: Final = 64
#: Marks the end of input in a follow queue (a reader thread puts it there at EOF, or a signal handler).
END: Final = None


class StrictStop(ReportStopped):
    """--strict: a line (or an event the service refused) ends the run."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A line that was not delivered, and why (shown as `NAME:LINE: message`)."""

    line: int
    message: str


class Bridge:
    """Batches events and delivers them through a sender (None: check and count only, `--dry-run`)."""

    def __init__(
        self,
        sender: BatchSender | None,
        *,
        batch_size: int = MAX_BATCH,
        strict: bool = False,
        flush_interval: float = 1.0,
        on_reject: Callable[[Rejection], None] = lambda rejection: None,
        summary: Summary | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be 1-{MAX_BATCH}")
        self.sender = sender
        self.batch_size = batch_size
        self.strict = strict
        self.flush_interval = flush_interval
        self.on_reject = on_reject
        self.summary = sender.summary if sender is not None else (summary or Summary())
        self._pending: list[tuple[int, LiveEvent]] = []
        self._refused_in_a_row = 0
        # The batch being delivered, and how many of its events are settled (sent or rejected), in order.
        self._inflight: list[tuple[int, LiveEvent]] = []
        self._settled = 0
        self._stopping = False
        self._queue: asyncio.Queue[Line | None] | None = None
        self._sending: asyncio.Task[None] | None = None

    def stop(self) -> None:
        """Stop reading (a signal): what was read is still delivered, then the run ends."""
        self._stopping = True
        if self._queue is not None:  # wake `follow` if it waits for a line
            with contextlib.suppress(asyncio.QueueFull):
                self._queue.put_nowait(END)

    # Input ------------------------------------------------------------------------------------------

    def _take(self, line: Line) -> None:
        self.summary.read += 1
        if line.event is None:
            self._reject(line.number, line.error or "invalid")
            if self.strict:
                self.summary.resume_line = line.number
                raise StrictStop(f"line {line.number}: {line.error} (--strict)")
            return
        self._pending.append((line.number, line.event))

    def _reject(self, number: int, message: str) -> None:
        self.summary.rejected += 1
        self.on_reject(Rejection(number, message))

    async def run(self, lines: Iterable[Line]) -> Summary:
        """Deliver every valid event of `lines`; returns the summary (ReportStopped propagates after
        the summary has counted what was not sent)."""
        try:
            for count, line in enumerate(lines, start=1):
                if self._stopping:
                    break
                self._take(line)
                if len(self._pending) >= self.batch_size:
                    await self._flush()
                elif count % YIELD_EVERY == 0 and self._sending is not None:
                    await asyncio.sleep(0)  # let the batch in flight go out while lines are parsed
            await self._flush()
            await self._settle()
        except ReportStopped:
            await self._stopped()
            raise
        finally:
            self._abandon()
        return self.summary

    async def follow(self, queue: asyncio.Queue[Line | None]) -> Summary:
        """As `run`, from a queue that a reader fills as lines arrive; `END` (None) ends it."""
        oldest = 0.0
        self._queue = queue
        try:
            while True:
                timeout = None
                if self._pending:
                    timeout = max(0.0, oldest + self.flush_interval - time.monotonic())
                try:
                    line = await asyncio.wait_for(queue.get(), timeout)
                except TimeoutError:
                    await self._flush()
                    continue
                if line is END:
                    break
                had_pending = bool(self._pending)
                self._take(line)
                if self._pending and not had_pending:
                    oldest = time.monotonic()
                if len(self._pending) >= self.batch_size:
                    await self._flush()
                if self._stopping:
                    break
            await self._flush()
            await self._settle()
        except ReportStopped:
            await self._stopped()
            raise
        finally:
            self._abandon()
        return self.summary

    # Delivery ---------------------------------------------------------------------------------------
    #
    # One batch is in flight at a time, and the next is formed while it is: the client parses and
    # checks lines while the service stores the previous batch, and the service still sees one request
    # after the other, in input order.

    async def _flush(self) -> None:
        """Send the pending events as the next batch, once the batch in flight has been answered."""
        await self._settle()
        batch, self._pending = self._pending, []
        if not batch:
            return
        self._inflight, self._settled = batch, 0
        self.summary.batches += 1
        if self.sender is None:  # --dry-run: checked and counted, nothing sent
            self._settled = len(batch)
            return
        self._sending = asyncio.create_task(self._deliver(batch))

    async def _settle(self) -> None:
        """Wait for the batch in flight; its ReportStopped surfaces here."""
        task, self._sending = self._sending, None
        if task is not None:
            await task

    async def _stopped(self) -> None:
        # The run stops (a strict line, or the batch in flight failed): let a batch still in flight end
        # either way, then count what was read and not delivered.
        with contextlib.suppress(ReportStopped):
            await self._settle()
        self._count_unsent()

    def _abandon(self) -> None:
        if self._sending is not None and not self._sending.done():
            self._sending.cancel()  # an unexpected error or a cancellation: nothing waits for it
        self._sending = None

    async def _deliver(self, batch: list[tuple[int, LiveEvent]]) -> None:
        assert self.sender is not None
        try:
            await self.sender.post([event for _, event in batch])
        except BatchRefused as refused:
            if self.strict:
                lines = f"line {batch[0][0]}" if len(batch) == 1 else f"lines {batch[0][0]}-{batch[-1][0]}"
                raise StrictStop(f"the service refused the batch of {lines}: {refused} (--strict)") from None
            if len(batch) > 1:
                middle = len(batch) // 2
                await self._deliver(batch[:middle])
                await self._deliver(batch[middle:])
                return
            self._refused_in_a_row += 1
            self._reject(batch[0][0], f"refused by the service: {refused}")
            self._settled += 1
            if self._refused_in_a_row >= MAX_REFUSED_IN_A_ROW:
                raise ReportStopped(
                    f"the service refused {self._refused_in_a_row} events in a row, each on its own "
                    f"({refused}); the request, not the events, seems to be at fault"
                ) from None
            return
        self._refused_in_a_row = 0
        self.summary.sent += len(batch)
        self._settled += len(batch)

    def _count_unsent(self) -> None:
        remaining = self._inflight[self._settled :] + self._pending
        # The strict stop on a bad line leaves earlier events pending: they are not sent either.
        self.summary.unsent += len(remaining)
        if remaining:
            self.summary.resume_line = remaining[0][0]
        self._pending = []
        self._inflight = []
