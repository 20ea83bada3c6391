"""Fault injection for /_emulator/faults: latency, errors, throttling and dropped connections.

The faults a client of the real service must survive, made reproducible: set them, run the client, assert.
drop_after_commit_rate is the one that matters most for a reconciler: the write is committed, then the
connection is closed with no response, so a client that retries blindly creates a duplicate.
"""

from __future__ import annotations

import asyncio
import random
import threading
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reconciler.emulator import exceptions
from reconciler.emulator.clock import Clock
from reconciler.emulator.exceptions import ServiceError
from reconciler.emulator.ratelimit import RateLimits, SlidingWindow


class FaultSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(0, ge=0, le=600_000)
    jitter_ms: int = Field(0, ge=0, le=600_000)
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    error_statuses: list[int] = Field(default_factory=lambda: [500, 503], min_length=1)
    #: Gateway throttle over all API requests; 0 is off.
    throttle_per_second: int = Field(0, ge=0)
    drop_after_commit_rate: float = Field(0.0, ge=0.0, le=1.0)
    #: Per-operation limits (operation name -> requests per second, 0 = none), replaced as a whole.
    rate_limits: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    #: The job concurrency quota: StartSmartLive answers 403 MSS.41000012 while this many jobs of the
    #: project are WAITING or PROCESSING. None: no quota.
    max_active_jobs: int | None = Field(None, ge=0)

    @field_validator("rate_limits")
    @classmethod
    def _known_operations(cls, limits: dict[str, int]) -> dict[str, int]:
        # Imported here: routes imports the gateway, which imports this module.
        from reconciler.emulator.routes import OPERATIONS

        known = [name for name, *_ in OPERATIONS]
        for name in limits:
            if name not in known:
                raise ValueError(f"{name!r} is no operation of the API; known: {', '.join(known)}")
        return limits

    @field_validator("error_statuses")
    @classmethod
    def _server_errors(cls, statuses: list[int]) -> list[int]:
        for status in statuses:
            if not 500 <= status <= 599:
                raise ValueError(f"{status} is not a 5xx status")
        return statuses


class Faults:
    def __init__(self, initial: FaultSettings, clock: Clock, seed: int | None = None) -> None:
        self._initial = initial
        self._clock = clock
        self._seed = seed
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.rate_limits = RateLimits(dict(initial.rate_limits), clock)
        self._settings = initial
        self._throttle: SlidingWindow | None = None
        self._apply(initial)

    @property
    def settings(self) -> FaultSettings:
        return self._settings.model_copy(update={"rate_limits": self.rate_limits.limits()})

    @property
    def max_active_jobs(self) -> int | None:
        return self._settings.max_active_jobs

    def update(self, patch: dict[str, Any]) -> FaultSettings:
        """Merge the given fields into the settings in force; raises ValidationError on a bad value."""
        merged = {**self.settings.model_dump(), **patch}
        settings = FaultSettings.model_validate(merged)
        self._apply(settings)
        return self.settings

    def reset(self) -> None:
        self._random = random.Random(self._seed)
        self._apply(self._initial)

    def _apply(self, settings: FaultSettings) -> None:
        with self._lock:
            self._settings = settings
            self.rate_limits.set(dict(settings.rate_limits))
            limit = settings.throttle_per_second
            self._throttle = SlidingWindow(limit, self._clock) if limit > 0 else None

    def _chance(self, rate: float) -> bool:
        if rate <= 0.0:
            return False
        with self._lock:
            return self._random.random() < rate

    async def delay(self) -> None:
        settings = self._settings
        if settings.latency_ms == 0 and settings.jitter_ms == 0:
            return
        with self._lock:
            jitter = self._random.uniform(0, settings.jitter_ms) if settings.jitter_ms else 0.0
        await asyncio.sleep((settings.latency_ms + jitter) / 1000)

    def throttled(self) -> ServiceError | None:
        window = self._throttle
        if window is None or window.admit():
            return None
        return exceptions.gateway_throttled(window.limit)

    def rate_limited(self, operation: str) -> ServiceError | None:
        limit = self.rate_limits.admit(operation)
        return None if limit is None else exceptions.gateway_throttled(limit)

    def injected_error(self) -> ServiceError | None:
        settings = self._settings
        if not self._chance(settings.error_rate):
            return None
        with self._lock:
            status = self._random.choice(settings.error_statuses)
        return exceptions.internal_error() if status == 500 else exceptions.backend_unavailable(status)

    def drop_after_commit(self) -> bool:
        return self._chance(self._settings.drop_after_commit_rate)


__all__ = ["FaultSettings", "Faults", "ValidationError"]
