"""Reading and parsing many manifest files on every core: forked children, results over a pipe.

Parsing is most of the time `validate` spends on a large set (10,000 rules: about 1 s of libyaml
events on one core here), and files are independent, so the files are split by size into one chunk
per core: forked children parse theirs while the parent parses its own, then each child sends its
plain results (dicts, lists, strings, numbers: exactly what ``marshal`` handles, and fast) through a
pipe. Everything after parsing (types, lint, positions) stays in the parent.

Forking is only done where it is safe and pays: on Linux, with more than one usable core, no other
thread running (a fork copies one thread and whatever locks others held), and enough bytes. A child
that fails for any reason is not an error: its files are parsed again in the parent.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, Final

#: Below this, forking costs more than it saves.
MIN_PARALLEL_BYTES: Final = 1024 * 1024
MAX_WORKERS: Final = 4

Encoded = Any  # a marshal-able value


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def fork_is_safe() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def map_encoded(
    work: Callable[[str], Encoded],
    files: Sequence[str],
    sizes: Sequence[int],
    *,
    parallel: bool | None = None,
) -> list[Encoded]:
    """``[work(f) for f in files]``, computed in forked children when worth it (``parallel`` None),
    always (True) or never (False). ``work`` must return a marshal-able value."""
    workers = min(MAX_WORKERS, usable_cores(), len(files))
    if parallel is None:
        parallel = workers > 1 and sum(sizes) >= MIN_PARALLEL_BYTES and fork_is_safe()
    if not parallel or len(files) < 2 or not hasattr(os, "fork"):
        return [work(file) for file in files]
    chunks = _split(len(files), sizes, max(workers, 2))
    children = [_Child.start(work, files[start:end]) for start, end in chunks[:-1]]
    try:
        start, end = chunks[-1]
        own = [work(file) for file in files[start:end]]
        results: list[Encoded] = []
        for child, (first, last) in zip(children, chunks[:-1], strict=True):
            collected = child.collect() if child is not None else None
            results.extend(collected if collected is not None else [work(file) for file in files[first:last]])
    finally:
        for child in children:
            if child is not None:
                child.stop()
    return results + own


def _split(count: int, sizes: Sequence[int], parts: int) -> list[tuple[int, int]]:
    """Contiguous (start, end) ranges with about equal bytes (order is kept: results are concatenated)."""
    total = sum(sizes) or 1
    bounds = [0]
    running = 0
    for index, size in enumerate(sizes):
        running += size
        if len(bounds) < parts and running >= total * len(bounds) / parts and index + 1 < count:
            bounds.append(index + 1)
    bounds.append(count)
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1) if bounds[i] < bounds[i + 1]]


class _Child:
    def __init__(self, pid: int, reader: int) -> None:
        self.pid = pid
        self.reader = reader
        self.reaped = False

    @classmethod
    def start(cls, work: Callable[[str], Encoded], files: Sequence[str]) -> _Child | None:
        try:
            reader, writer = os.pipe()
            pid = os.fork()
        except OSError:
            return None
        if pid == 0:  # pragma: no cover - runs in the child; its result is checked by the parent
            status = 1
            try:
                os.close(reader)
                payload = marshal.dumps([work(file) for file in files])
                with os.fdopen(writer, "wb") as out:
                    out.write(payload)
                status = 0
            finally:
                # No cleanup handlers, no buffered output of the parent flushed twice: just leave.
                os._exit(status)
        os.close(writer)
        return cls(pid, reader)

    def collect(self) -> list[Encoded] | None:
        """The child's results, or None if it failed in any way."""
        try:
            with os.fdopen(self.reader, "rb") as stream:
                payload = stream.read()
            _, status = os.waitpid(self.pid, 0)
            self.reaped = True
            if status != 0:
                return None
            results = marshal.loads(payload)
        except (OSError, EOFError, ValueError, TypeError):
            return None
        return results if isinstance(results, list) else None

    def stop(self) -> None:
        """Make sure the child is gone (after an interrupt in the parent, say)."""
        if self.reaped:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass
        with contextlib.suppress(OSError):  # collect() may have closed it already
            os.close(self.reader)
        self.reaped = True
