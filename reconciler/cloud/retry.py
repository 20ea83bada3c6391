"""The one retry mechanism: a policy (how many tries, how long between them, how long in all) and
`retrying`, which runs an attempt again while the caller's verdict on its failure and the policy allow.

It knows nothing of HTTP, of live events or of the engine. The caller classifies each failure:

- `GIVE_UP` (None): trying again cannot help, or is not safe; the failure is raised as it is;
- a number of seconds (`BACKOFF`, 0, for "whenever the backoff says"): try again, after the policy's
  backoff and no sooner than that;
- `WaitOut(seconds)`: the service asked to be asked again later (a throttling answer, refused before the
  service saw the request). That is no failed try: it does not count against `attempts`, and is waited
  out with growing pauses of at least `seconds` for as long as a `Deadline` (the run's time limit) or the
  policy's patience allows. Without either bound it counts as a try, so nothing retries forever.

When the tries, the patience or the deadline run out, the last failure is raised as it is: the attempt
raises the error that should reach the user, and the caller rewords it if it wants (see http.py,
report.py).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class WaitOut:
    """A verdict: come back after at least `at_least` seconds, and it was not a failed try (see above)."""

    at_least: float


#: A verdict on one failure: None gives up; a number retries, waiting at least that many seconds;
#: WaitOut retries without spending a try.
Verdict = float | WaitOut | None
GIVE_UP: Final[Verdict] = None
BACKOFF: Final[Verdict] = 0.0

#: Defaults of --request-timeout (one HTTP request, its answer read in full) and --timeout (a whole run).
DEFAULT_REQUEST_TIMEOUT_SECONDS: Final = 60.0
DEFAULT_RUN_TIMEOUT_SECONDS: Final = 1800.0
#: The jitter's source when a caller brings none: one per process (seeding a Random per call costs more
#: than the request it spaces).
_SHARED_RNG: Final = random.Random()
#: 2**64 times any base is past every cap: a larger exponent would only overflow the float.
_MAX_DOUBLINGS: Final = 64


@dataclass(frozen=True)
class RetryPolicy:
    #: Tries in all, the first included (fewer than 1 means 1); None: only `patience_seconds` bounds them.
    attempts: int | None = 5
    #: Full-jitter exponential backoff: the n-th retry waits uniform(0, min(cap, base * 2**n)).
    base_seconds: float = 0.25
    cap_seconds: float = 8.0
    #: Huawei advises waiting 2-5 s after a throttling answer; a throttled call waits at least this.
    throttle_floor_seconds: float = 1.0
    #: One HTTP attempt's time limit, its answer read in full, applied by the HTTP client (`retrying` never
    #: cuts an attempt short).
    timeout_seconds: float = DEFAULT_REQUEST_TIMEOUT_SECONDS
    #: No new try once this long has passed since the first began; None: only `attempts` bounds them.
    patience_seconds: float | None = None
    #: Without jitter the pause is the backoff window's top and the verdict's floor exactly: a steady
    #: rhythm, for a caller that spaces its calls itself (pacing.py's pacers, through apply).
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.attempts is None and self.patience_seconds is None:
            raise ValueError("a retry policy needs attempts or patience_seconds: it would retry forever")

    def exhausted(self, failures: int, started: float, now: float) -> bool:
        """True when no try is left after `failures` failed ones, the first having begun at `started`."""
        if self.attempts is not None and failures >= self.attempts:
            return True
        return self.patience_seconds is not None and now >= started + self.patience_seconds

    def pause(self, retry: int, at_least: float, rng: random.Random) -> float:
        """The wait before retry number `retry` (0 for the first), never under `at_least` seconds.

        With jitter, the floor is itself spread over [at_least, 1.5 * at_least]: clients throttled in the
        same second must not all come back in the same second."""
        ceiling = min(self.cap_seconds, self.base_seconds * (2.0 ** min(retry, _MAX_DOUBLINGS)))
        if not self.jitter:
            return max(ceiling, at_least)
        pause = rng.uniform(0, ceiling)
        return max(pause, at_least * rng.uniform(1.0, 1.5)) if at_least > 0 else pause

    def delay(self, attempt: int, throttled: bool, rng: random.Random) -> float:
        """`pause` for a failure that is (or is not) a throttling answer."""
        return self.pause(attempt, self.throttle_floor_seconds if throttled else 0.0, rng)


class Deadline:
    """A moment after which nothing new is tried: the time limit of a whole run (`--timeout`).

    `seconds` None is no limit. `paused()` keeps time spent outside the run (a person reading the plan
    before typing `yes`) off the clock."""

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._at = None if seconds is None else clock() + seconds

    def remaining(self) -> float:
        """Seconds left (infinite without a limit; 0 or less once it has passed)."""
        return math.inf if self._at is None else self._at - self._clock()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    @contextmanager
    def paused(self) -> Iterator[None]:
        started = self._clock()
        try:
            yield
        finally:
            if self._at is not None:
                self._at += self._clock() - started


async def retrying(
    attempt: Callable[[], Awaitable[T]],
    classify: Callable[[Exception], Verdict],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
    on_retry: Callable[[Exception, float], None] | None = None,
    deadline: Deadline | None = None,
) -> T:
    """`await attempt()` until it returns, `classify` gives up on its failure, or `policy` runs out.

    sleep: waits between tries (default asyncio.sleep); a caller may make it a hook (hold back a rate limiter
    rather than sleep).
    clock: monotonic seconds, for `policy.patience_seconds`.
    on_retry: told of each failure that will be retried, with the pause about to be taken (for counts).
    deadline: no pause reaches past it (the failure is raised instead); it bounds `WaitOut` verdicts.

    Only Exception is caught: a cancellation goes through at once.
    """
    if sleep is None:
        # Imported here, not at the top: every command that takes --timeout imports this module for its
        # defaults, and `smartlive plan --help` has no use for asyncio (tests/unit/test_startup.py).
        import asyncio

        sleep = asyncio.sleep
    draw = rng if rng is not None else _SHARED_RNG
    # A WaitOut spends no try only where something else bounds the waiting.
    bounded = policy.patience_seconds is not None or (deadline is not None and deadline.seconds is not None)
    started = clock()
    failures = 0
    retries = 0
    while True:
        try:
            return await attempt()
        except Exception as exc:
            verdict = classify(exc)
            if verdict is None:
                raise
            waited_out = isinstance(verdict, WaitOut) and bounded
            failures += 0 if waited_out else 1
            at_least = verdict.at_least if isinstance(verdict, WaitOut) else verdict
            if policy.exhausted(failures, started, clock()):
                raise
            pause = policy.pause(retries, at_least, draw)
            if deadline is not None and pause >= deadline.remaining():
                raise  # the next try could not even begin in time
            retries += 1
            if on_retry is not None:
                on_retry(exc, pause)
        # Outside the except block: a failure of the next try must not carry this one as its context.
        if pause > 0:
            await sleep(pause)
