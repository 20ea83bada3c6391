"""The one pacing mechanism: per API operation, calls are spaced evenly below the tenant's rate, shared
by every request of a run (the HTTP client holds one `Pacing`; apply's executor takes its slots from it).

Adaptive (AIMD): a throttling answer (429) to a request the pacer spaced halves that operation's rate,
down to MIN_RATE_FRACTION of the configured one, and holds its next call back; each answer that is not
throttled adds back RECOVERY_FRACTION of the configured rate, never above it. So another client of the
same tenant using up part of the limit costs a few 429s, not one per request.

Rates, calls per second: Huawei's published per-tenant limits where known (DEFAULT_RATES), and what is
configured (`--rate-limit OP=N`, SMARTLIVE_RATE_LIMITS). Other operations are not paced until the gateway
throttles one: its 429 states the limit (`limit:20,time:1 second`, error_body.stated_rate), and `learn`
gives the operation a pacer at that rate (UNSTATED_LIMIT_RATE when the answer states none), which AIMD
then adjusts as any other. A stated limit below a configured rate lowers that rate to it: the service
knows the tenant's limit; a stated one above is ignored, the user's figure is never raised. So the first
burst of an unpaced operation may meet a few 429s (as many as were in flight when the first came back):
they are waited out and sent again by the retry rules (http.py), never shown.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Final

#: Huawei's published per-tenant limits (cn-north-4; StartSmartLive is 3/s in cn-east-3).
DEFAULT_RATES: Final[Mapping[str, float]] = MappingProxyType(
    {"StartSmartLive": 4.0, "CreateSmartLiveRoom": 1.0, "UpdateSmartLiveRoom": 1.0}
)
#: Paced calls are spaced this much wider than 1/rate, so that jitter on the way (up to 40 ms at 4/s)
#: never lands rate+1 calls in one second of the service's window: 100 starts at 4/s take 25.7 s, not 25.
SPACING_MARGIN: Final = 0.04
#: A 429 never slows an operation below this share of its configured rate: the limit is the tenant's,
#: and whoever else uses it eventually stops.
MIN_RATE_FRACTION: Final = 1 / 16
#: Each answer that is not throttled gives back this share of the configured rate.
RECOVERY_FRACTION: Final = 1 / 20
#: The rate of an operation first throttled by an answer that states no limit. Huawei's throttling tables
#: give "many query APIs" 10-20/s (API.md): the lower figure is the safe one, since a rate too high costs
#: 429s and halvings while one too low only costs time; AIMD lowers it if needed, never raises it.
UNSTATED_LIMIT_RATE: Final = 10.0
#: `--rate-limit`'s range, calls per second: below it a call waits for ever, above it a typo removes the
#: pacing that keeps the tenant under its limit.
RATE_RANGE: Final = (0.01, 1000.0)
#: The environment variable of configured rates, `Op=N,Op=N`.
RATE_LIMITS_VARIABLE: Final = "SMARTLIVE_RATE_LIMITS"

#: The operation whose slot this task already took (apply takes it before its lookups, so that the start
#: goes out right after them); the HTTP client then sends that operation's next request without a second.
_slot_taken: contextvars.ContextVar[str | None] = contextvars.ContextVar("slot_taken", default=None)


class Pacer:
    """One operation's pace (see the module doc). Even spacing, rather than bursts of `rate` per second,
    stays under the limit whatever window the gateway counts in: sliding, fixed or a token bucket. The
    next slot is measured from when a call was actually let go, so a late wake-up delays the calls after
    it instead of squeezing them together."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        margin: float = SPACING_MARGIN,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        operation: str = "",
    ) -> None:
        self.configured = per_second
        self.rate = per_second
        self.operation = operation
        self._margin = margin
        self._next = 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()

    @property
    def interval(self) -> float:
        return (1.0 + self._margin) / self.rate if self.rate > 0 else 0.0

    async def wait(self) -> None:
        """Wait for this operation's next slot; the task's next request of the operation uses it."""
        await self.take()
        _slot_taken.set(self.operation or None)

    async def take(self) -> None:
        # One call at a time through here: the lock is held across the sleep on purpose.
        async with self._lock:
            delay = self._next - self._clock()
            if delay > 0:
                await self._sleep(delay)
            self._next = max(self._next, self._clock() + self.interval)

    def pause(self, seconds: float) -> None:
        """Hold every call of the operation back `seconds` (the service throttled one anyway)."""
        self._next = max(self._next, self._clock() + seconds)

    def throttled(self, seconds: float) -> None:
        """A 429: the multiplicative decrease, and every call held back `seconds`."""
        self.rate = max(self.configured * MIN_RATE_FRACTION, self.rate / 2)
        self.pause(seconds)

    def answered(self) -> None:
        """An answer that was not throttled: the additive increase."""
        self.rate = min(self.configured, self.rate + self.configured * RECOVERY_FRACTION)

    def limit_to(self, per_second: float) -> None:
        """The service stated this limit: the configured rate drops to it, never rises (the user's figure
        may be kept for a share of the tenant's limit left to other clients)."""
        if per_second < self.configured:
            self.configured = per_second
            self.rate = min(self.rate, per_second)


class Pacing:
    """The run's pacers: one per configured operation, and one per operation whose limit a 429 taught."""

    def __init__(
        self,
        rates: Mapping[str, float] = DEFAULT_RATES,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self.pacers = {op: self._pacer(op, rate) for op, rate in rates.items()}

    def _pacer(self, operation: str, per_second: float) -> Pacer:
        return Pacer(per_second, self._clock, sleep=self._sleep, operation=operation)

    def get(self, operation: str) -> Pacer | None:
        return self.pacers.get(operation)

    def learn(self, operation: str, stated: float | None) -> Pacer:
        """A throttling answer to `operation` stating `stated` calls per second (None: no limit stated):
        the operation's pacer, made at that limit (UNSTATED_LIMIT_RATE when none) if it had none, or
        lowered to it.
        The caller then holds its calls back (Pacer.throttled, or Pacer.pause if the throttled request was
        not paced by this pacer: it says nothing of the pacer's rate)."""
        pacer = self.pacers.get(operation)
        if pacer is None:
            pacer = self.pacers[operation] = self._pacer(operation, _in_range(stated or UNSTATED_LIMIT_RATE))
        elif stated is not None:
            pacer.limit_to(_in_range(stated))
        return pacer

    async def before(self, operation: str) -> Pacer | None:
        """Wait for the operation's slot before one request of it (unless this task already took it)."""
        pacer = self.pacers.get(operation)
        if pacer is None:
            return None
        if _slot_taken.get() == operation:
            _slot_taken.set(None)
        else:
            await pacer.take()
        return pacer


def _in_range(per_second: float) -> float:
    """A stated limit within RATE_RANGE, as a configured one must be: below it a call would wait past any
    run; above it the spacing (under a millisecond) is nothing a run would notice."""
    low, high = RATE_RANGE
    return min(max(per_second, low), high)


def parse_rate(text: str) -> tuple[str, float]:
    """`OP=N` (calls per second) as (OP, N); ValueError with a message fit for the user."""
    op, sep, number = text.partition("=")
    op = op.strip()
    if not sep or not op or not op.isidentifier():
        raise ValueError(f"{text!r} is not OP=N (an API operation name, = and calls per second)")
    try:
        rate = float(number)
    except ValueError:
        raise ValueError(f"{text!r}: {number.strip()!r} is not a number") from None
    low, high = RATE_RANGE
    if not math.isfinite(rate) or not low <= rate <= high:
        raise ValueError(f"{text!r}: the rate must be {low:g}-{high:g} (calls per second)")
    return op, rate


def parse_rates(items: Iterable[str]) -> dict[str, float]:
    """Several `OP=N`, the later one for an operation winning."""
    return dict(parse_rate(item) for item in items)


def configured_rates(given: Iterable[str], variable: str = "") -> dict[str, float]:
    """DEFAULT_RATES, then SMARTLIVE_RATE_LIMITS (`variable`, "Op=N,Op=N"), then --rate-limit (`given`)."""
    from_env = parse_rates(part for part in variable.split(",") if part.strip())
    return {**DEFAULT_RATES, **from_env, **parse_rates(given)}
