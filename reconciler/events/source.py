"""Where `smartlive events report` reads its lines: a file, or standard input, read ahead in a thread.

Standard input in `--follow` mode is read by a thread, because a blocking read must not stop the event
loop from flushing a batch on time. The thread hands each parsed line to the loop through a bounded
queue: when the service is slower than the platform, the bridge stops reading (and the platform's pipe
fills) instead of holding an ever-growing backlog in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final

from reconciler.errors import ConfigError
from reconciler.events.jsonl import MAX_LINE_BYTES, Line, now_ms, parse_line
from reconciler.events.report import ReportStopped
from reconciler.manifest.files import file_type, format_size

STDIN: Final = "-"
#: Lines read ahead of the sender in --follow mode (ten full batches).
QUEUE_SIZE: Final = 10_000
#: Bytes read at a time.
CHUNK: Final = 65536
#: Bytes of one line skipped (past MAX_LINE_BYTES) before the input is taken for something else.
GIVE_UP_BYTES: Final = 64 * MAX_LINE_BYTES


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
        _refuse_devices(stream, "standard input")
        return Input(stream, "<stdin>", _is_regular(stream))
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by Input.close
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        _refuse_devices(handle, path)
    except ConfigError:
        handle.close()
        raise
    return Input(handle, path, _is_regular(handle))


def _refuse_devices(stream: BinaryIO, name: str) -> None:
    """A device other than a terminal never ends (/dev/zero, /dev/urandom): the run would read it for
    ever. Files, pipes (a platform's FIFO, a shell's |), a terminal someone types into and /dev/null
    (standard input of a job with nothing to say) are read."""
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError):  # no descriptor (a test's stream): nothing to refuse
        return
    if not (stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)) or stream.isatty():
        return
    if stat.S_ISCHR(info.st_mode) and info.st_rdev == _null_device():
        return
    raise ConfigError(f"cannot read {name}: {file_type(info.st_mode)}, not a file, a pipe or a terminal")


def _null_device() -> int | None:
    try:
        return os.stat(os.devnull).st_rdev
    except OSError:
        return None


def _is_regular(stream: BinaryIO) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode) and stream.seekable()
    except (OSError, ValueError):
        return False


def raw_lines(fd: int, chunk: int = CHUNK) -> Iterator[bytes]:
    """The lines of a file descriptor, each as soon as its newline arrives (the last one may lack it),
    cut as `split_lines` cuts them.

    Reads the descriptor itself, not sys.stdin.buffer: a thread blocked inside a BufferedReader holds its
    lock, and the interpreter then cannot finish at exit (a fatal error at shutdown)."""
    return split_lines(iter(functools.partial(os.read, fd, chunk), b""))


def stream_lines(stream: BinaryIO, chunk: int = CHUNK) -> Iterator[bytes]:
    """The lines of a file or a finished stream, cut as `split_lines` cuts them."""
    return split_lines(iter(functools.partial(stream.read, chunk), b""))


class NotJsonLines(ReportStopped):
    """Input without a line break for far longer than a line may be (`cat /dev/zero | ...`): reading
    stops, as skipping it would take for ever and keep the event loop (and Ctrl-C) waiting."""


def split_lines(
    chunks: Iterable[bytes], limit: int = MAX_LINE_BYTES, give_up: int = GIVE_UP_BYTES
) -> Iterator[bytes]:
    """The lines in a sequence of byte chunks, without their newline; each as soon as it is complete.

    Memory stays bounded whatever the input: a line longer than `limit` is yielded as its first
    `limit + 1` bytes (parse_line refuses it as too long, and its number still counts) and the rest of
    it is skipped as it arrives, up to its newline; NotJsonLines when `give_up` bytes go by first."""
    rest = b""
    skipping = False
    skipped = 0
    for data in chunks:
        if skipping:
            end = data.find(b"\n")
            if end < 0:
                skipped += len(data)
                if skipped > give_up:
                    raise NotJsonLines(f"no line break in {format_size(give_up)}: this is not JSON Lines")
                continue
            data, skipping, skipped = data[end + 1 :], False, 0
        rest += data
        *lines, rest = rest.split(b"\n")
        yield from lines
        if len(rest) > limit:
            yield rest[: limit + 1]
            rest, skipping = b"", True
    if rest:
        yield rest


def start_reader(
    stream: BinaryIO,
    loop: asyncio.AbstractEventLoop,
    queue: asyncio.Queue[Line | None],
    clock: Callable[[], int] = now_ms,
    stopped: list[NotJsonLines] | None = None,
) -> threading.Thread:
    """Read `stream` in a daemon thread, putting each parsed line on `queue`, then None at the end.
    Input that is no JSON Lines ends it too, its NotJsonLines appended to `stopped`."""

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
        except NotJsonLines as reason:  # the end of input, and the run's error once what was read is sent
            if stopped is not None:
                stopped.append(reason)
            with contextlib.suppress(Exception):
                put(None)
        except Exception:  # a closed stream, or a loop that is gone: nobody is waiting for more
            with contextlib.suppress(Exception):
                put(None)

    # Daemon: a read blocked on a silent stdin must not keep the process alive after a stop.
    thread = threading.Thread(target=work, name="events-reader", daemon=True)
    thread.start()
    return thread
