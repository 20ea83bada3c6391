"""Requests-per-second limits: the gateway's throttle and the service's per-operation limits."""

from __future__ import annotations

import threading
from collections import deque

from reconciler.emulator.clock import Clock


class SlidingWindow:
    """At most `limit` admissions in any one-second window (measured on the app clock).

    A sliding log rather than fixed buckets, so that a burst across a second boundary cannot pass twice the
    limit: a client that respects "N per second" never sees a 429, one that does not always does.
    """

    def __init__(self, limit: int, clock: Clock) -> None:
        self.limit = limit
        self._clock = clock
        self._admitted: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self) -> bool:
        now = self._clock.now()
        with self._lock:
            while self._admitted and self._admitted[0] <= now - 1.0:
                self._admitted.popleft()
            if len(self._admitted) >= self.limit:
                return False
            self._admitted.append(now)
            return True


class RateLimits:
    """One window per operation name; operations without a limit always pass."""

    def __init__(self, limits: dict[str, int], clock: Clock) -> None:
        self._clock = clock
        self._windows = {name: SlidingWindow(limit, clock) for name, limit in limits.items() if limit > 0}

    def limits(self) -> dict[str, int]:
        return {name: window.limit for name, window in self._windows.items()}

    def set(self, limits: dict[str, int]) -> None:
        self._windows = {
            name: SlidingWindow(limit, self._clock) for name, limit in limits.items() if limit > 0
        }

    def admit(self, operation: str) -> int | None:
        """None if admitted, else the limit that refused the request."""
        window = self._windows.get(operation)
        if window is None or window.admit():
            return None
        return window.limit
