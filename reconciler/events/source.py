"""Where `smartlive events report` reads its lines: a file, or standard input, read ahead in a thread.

Standard input in `--follow` mode is read by a thread, because a blocking read must not stop the event
loop from flushing a batch on time. The thread hands each parsed line to the loop through a bounded
queue: when the service is slower than the platform, the bridge stops reading (and the platform's pipe
fills) instead of holding an ever-growing backlog in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final

from reconciler.errors import ConfigError
from reconciler.events.jsonl import Line, now_ms, parse_line

STDIN: Final = "-"
#: Lines read ahead of the sender in --follow mode (ten full batches).
QUEUE_SIZE: Final = 10_000


@dataclass
class Input:
    stream: BinaryIO
    #: How lines are named in messages: the file's path, or <stdin>.
    name: str
    #: A regular file can be read twice (--strict checks it whole before sending anything).
    rewindable: bool

    def close(self) -> None:
        if self.stream is not sys.stdin.buffer:
            self.stream.close()


def open_input(path: str) -> Input:
    if path == STDIN:
        stream = sys.stdin.buffer
        return Input(stream, "<stdin>", _is_regular(stream))
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by Input.close
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    return Input(handle, path, _is_regular(handle))


def _is_regular(stream: BinaryIO) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode) and stream.seekable()
    except (OSError, ValueError):
        return False


def raw_lines(fd: int, chunk: int = 65536) -> Iterator[bytes]:
    """The lines of a file descriptor, each as soon as its newline arrives (the last one may lack it).

    Reads the descriptor itself, not sys.stdin.buffer: a thread blocked inside a BufferedReader holds its
    lock, and the interpreter then cannot finish at exit (a fatal error at shutdown)."""
    rest = b""
    while True:
        data = os.read(fd, chunk)
        if not data:
            break
        rest += data
        *lines, rest = rest.split(b"\n")
        yield from lines
    if rest:
        yield rest


def start_reader(
    stream: BinaryIO,
    loop: asyncio.AbstractEventLoop,
    queue: asyncio.Queue[Line | None],
    clock: Callable[[], int] = now_ms,
) -> threading.Thread:
    """Read `stream` in a daemon thread, putting each parsed line on `queue`, then None at the end."""

    def put(item: Line | None) -> None:
        pending = queue.put(item)
        try:
            future = asyncio.run_coroutine_threadsafe(pending, loop)
        except RuntimeError:  # the loop is closed: the run is over
            pending.close()
            raise
        future.result()  # waits while the queue is full: the backpressure

    def work() -> None:
        try:
            for number, raw in enumerate(raw_lines(stream.fileno()), start=1):
                line = parse_line(number, raw, clock=clock)
                if line is not None:
                    put(line)
            put(None)
        except Exception:  # a closed stream, or a loop that is gone: nobody is waiting for more
            with contextlib.suppress(Exception):
                put(None)

    # Daemon: a read blocked on a silent stdin must not keep the process alive after a stop.
    thread = threading.Thread(target=work, name="events-reader", daemon=True)
    thread.start()
    return thread
