"""Standard output that a closed pipe cannot stop: `smartlive apply ... | head -1`.

When the reader of a pipe goes away, the next write raises BrokenPipeError. Raised from inside an apply,
it would end the run with work half done, and at exit Python would complain again ("Exception ignored
... BrokenPipeError") when it flushes what is left. Output is only a report of the work, so losing the
reader must not change the work: the guard swallows the error, points the file descriptor at /dev/null
(so Python's own last flush has somewhere to go) and drops everything written after that. The exit code
still says how the work went.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO, cast


class PipeGuard:
    """A text stream that writes through to `stream` until its reader has gone, then silently nowhere."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        #: The reader went away: nothing more is written.
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._silence()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._silence()

    def _silence(self) -> None:
        self.broken = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self._stream.fileno())
            finally:
                os.close(devnull)
            self._stream.flush()  # what the failed write left in the buffer goes to /dev/null now
        except (OSError, ValueError, io.UnsupportedOperation):
            pass  # not a real file descriptor (a test's StringIO): nothing is flushed at exit anyway

    def __getattr__(self, name: str) -> Any:
        # isatty, fileno, encoding, ...: the stream's own.
        return getattr(self._stream, name)


@contextmanager
def guarded_stdout() -> Iterator[PipeGuard]:
    """sys.stdout behind a PipeGuard for the duration."""
    original = sys.stdout
    guard = PipeGuard(original)
    sys.stdout = cast(TextIO, guard)
    try:
        yield guard
    finally:
        sys.stdout = original
