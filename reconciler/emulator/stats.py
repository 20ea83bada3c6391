"""Request counters for /_emulator/stats: what a test asserts about the calls a command made."""

from __future__ import annotations

import threading
from collections import Counter


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._commands: Counter[str] = Counter()

    def record(self, method: str, template: str) -> None:
        """Count one API request, keyed like "GET /v1/{project_id}/smart-live-jobs"."""
        with self._lock:
            self._requests[f"{method} {template}"] += 1

    def record_command(self, command: str) -> None:
        """Count one ExecuteSmartLiveCommand by its command: a test tells a read (GET_LIVE_JOB_CONFIG_INFO)
        from a change, which the request counts (all POSTs) cannot."""
        with self._lock:
            self._commands[command] += 1

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            requests = dict(sorted(self._requests.items()))
            commands = dict(sorted(self._commands.items()))
        return {"total": sum(requests.values()), "requests": requests, "commands": commands}

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._commands.clear()
