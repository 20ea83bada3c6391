"""Time for the emulator, injectable so that tests move a job from WAITING to PROCESSING without sleeping.

Everything that depends on time (job states and durations, rate limits, X-Sdk-Date skew, auth_key expiry)
asks the one clock of the app, and job state is derived from stored timestamps on read rather than moved by
background tasks: it is right in-process, over a socket and after a restart alike.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (UTC), like time.time()."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told to. Starts at the real time, so SDK signatures (which carry the
    real X-Sdk-Date) still fall within the gateway's 15-minute window."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def set(self, moment: float) -> None:
        with self._lock:
            self._now = moment


def to_ms(seconds: float) -> int:
    return int(seconds * 1000)


def rfc3339(ms: int) -> str:
    """The service's time format ("2021-01-10T08:43:17Z"): UTC, whole seconds."""
    return _rfc3339_seconds(ms // 1000)


@functools.lru_cache(maxsize=8192)
def _rfc3339_seconds(seconds: int) -> str:
    # Cached: a list page formats the same few seconds dozens of times, and strftime is not cheap.
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
