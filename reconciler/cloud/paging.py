"""Offset paging of a list operation, bounded by what the pages return rather than by what they claim.

Page 1 (offset 0) comes first, alone. Its `count` says how many pages to expect, but a count is only a
claim: a service (or whatever answers in its place) may report 10^8 and hold three pages. So the other
pages are read through a window of at most `window` requests scheduled at once, in order, and the list
ends at the first short page (fewer items than asked for) or where `count` says it ends, whichever comes
first. A list whose pages stay full past `max_pages` is refused with an error rather than read forever.

Every page is checked before anything reads it: `count` a whole number, the items a list of objects.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import UnexpectedAnswerError

Json = dict[str, Any]


@dataclass(frozen=True)
class Page:
    items: list[Json]
    #: The list's length as this page reports it; None when it reports none.
    count: int | None


def describe(value: object) -> str:
    """What a JSON value is, for an error message: its type, never the value itself."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a negative number" if value < 0 else "a number"
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else "infinite" if math.isinf(value) else "a fraction"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def read_page(body: Json, items_key: str, operation: str) -> Page:
    """The page in `body`, or UnexpectedAnswerError naming what is wrong with it."""
    count = body.get("count")
    # type() rather than isinstance(): true/false is an int to Python, not a count.
    if count is not None and (type(count) is not int or count < 0):
        raise UnexpectedAnswerError(200, f"count is {describe(count)}, not a whole number", operation)
    items = body.get(items_key)
    if items is None:
        items = []
    if not isinstance(items, list):
        raise UnexpectedAnswerError(200, f"{items_key} is {describe(items)}, not a list", operation)
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problem = f"{items_key}[{index}] is {describe(item)}, not an object"
            raise UnexpectedAnswerError(200, problem, operation)
    return Page(items, count)


@dataclass
class _Reading:
    """The pages read so far, in order: their items, whether they agree, and whether the list ended."""

    limit: int
    count: int | None
    items: list[Json] = field(default_factory=list)
    consistent: bool = True

    def add(self, offset: int, page: Page) -> bool:
        """Take the page at `offset`; True when the list ends with it."""
        self.items.extend(page.items)
        if page.count != self.count:
            self.consistent = False  # the list moved under us (see HttpClient.list_all)
        short = len(page.items) < self.limit
        if short and self.count is not None and offset + len(page.items) < self.count:
            self.consistent = False  # fewer items than the count promised: shrunk while read
        return short or (self.count is not None and offset + self.limit >= self.count)

    def horizon(self, last_offset: int) -> int:
        """The offset past which no page is scheduled yet: the count's end, or (with no count) the page
        after the last one read, so that a list without a count is read one page at a time."""
        return self.count if self.count is not None else last_offset + 2 * self.limit


async def read_pages(
    fetch: Callable[[int], Awaitable[Page]],
    *,
    limit: int,
    window: int,
    max_pages: int,
    operation: str,
) -> tuple[list[Json], bool]:
    """Every item of the list `fetch(offset)` pages through, and whether the pages agreed."""
    first = await fetch(0)
    reading = _Reading(limit, first.count)
    if reading.add(0, first):
        return reading.items, reading.consistent
    pending: deque[tuple[int, asyncio.Task[Page]]] = deque()
    next_offset, last_offset = limit, 0
    try:
        while True:
            while (
                len(pending) < max(1, window)
                and next_offset < reading.horizon(last_offset)
                and next_offset < max_pages * limit
            ):
                pending.append((next_offset, asyncio.ensure_future(fetch(next_offset))))
                next_offset += limit
            if not pending:
                raise UnexpectedAnswerError(
                    200,
                    f"more than {max_pages} full pages ({max_pages * limit} items); not reading on",
                    operation,
                )
            last_offset, task = pending.popleft()
            if reading.add(last_offset, await task):
                return reading.items, reading.consistent
    finally:
        await _abandon(task for _, task in pending)


async def _abandon(tasks: Iterable[asyncio.Task[Page]]) -> None:
    """Cancel pages no longer needed and collect them, so that none is left running or unobserved."""
    waiting = list(tasks)
    for task in waiting:
        task.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)
