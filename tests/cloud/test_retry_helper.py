"""The one retry mechanism (reconciler/cloud/retry.py) on its own: tries counted, pauses checked against a
fake clock, the patience deadline, and the caller's verdicts (give up, back off, wait at least N s)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from reconciler.cloud import http
from reconciler.cloud.retry import BACKOFF, GIVE_UP, Deadline, RetryPolicy, Verdict, WaitOut, retrying


class Flaky(Exception):
    pass


class Fatal(Exception):
    pass


@dataclass
class Clock:
    """A monotonic clock that only moves when the code under test sleeps (or a test moves it)."""

    now: float = 0.0
    pauses: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


@dataclass
class Script:
    """An attempt that fails `failures` times (with the exceptions `make` builds), then returns "ok"."""

    failures: int
    make: Callable[[int], BaseException] = lambda n: Flaky(f"failure {n}")
    calls: int = 0
    raised: list[BaseException] = field(default_factory=list)

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            exc = self.make(self.calls)
            self.raised.append(exc)
            raise exc
        return "ok"


def flaky_backs_off(exc: Exception) -> Verdict:
    return BACKOFF if isinstance(exc, Flaky) else GIVE_UP


def run(
    script: Script,
    policy: RetryPolicy,
    clock: Clock,
    classify: Callable[[Exception], Verdict] = flaky_backs_off,
    on_retry: Callable[[Exception, float], None] | None = None,
) -> str:
    return asyncio.run(
        retrying(
            script, classify, policy, sleep=clock.sleep, clock=clock, rng=random.Random(3), on_retry=on_retry
        )
    )


def test_a_first_success_is_returned_without_a_pause() -> None:
    clock, script = Clock(), Script(failures=0)
    assert run(script, RetryPolicy(attempts=5), clock) == "ok"
    assert (script.calls, clock.pauses) == (1, [])


def test_failures_are_retried_with_full_jitter_exponential_backoff() -> None:
    clock, script = Clock(), Script(failures=3)
    policy = RetryPolicy(attempts=5, base_seconds=0.5, cap_seconds=1.5)
    assert run(script, policy, clock) == "ok"
    assert script.calls == 4 and len(clock.pauses) == 3
    ceilings = [0.5, 1.0, 1.5]  # base * 2**n, capped
    assert all(0 <= p <= c for p, c in zip(clock.pauses, ceilings, strict=True))


def test_the_pauses_are_the_http_layers_old_formula_draw_for_draw() -> None:
    """Same seed, same waits as before the mechanism was shared: uniform(0, ceiling), then a jittered
    floor drawn only for a throttled failure."""
    policy = RetryPolicy(base_seconds=0.25, cap_seconds=8.0, throttle_floor_seconds=1.0)
    old_rng, new_rng = random.Random(11), random.Random(11)
    for attempt in range(10):
        for throttled in (False, True):
            ceiling = min(8.0, 0.25 * 2**attempt)
            pause = old_rng.uniform(0, ceiling)
            old = max(pause, 1.0 * old_rng.uniform(1.0, 1.5)) if throttled else pause
            assert policy.delay(attempt, throttled, new_rng) == old


def test_the_tries_run_out_and_the_last_failure_is_raised_as_it_is() -> None:
    clock, script = Clock(), Script(failures=100)
    with pytest.raises(Flaky) as caught:
        run(script, RetryPolicy(attempts=4), clock)
    assert script.calls == 4 and len(clock.pauses) == 3
    assert caught.value is script.raised[-1]
    # Each try fails on its own: the last failure does not drag the earlier ones along as its context.
    assert caught.value.__context__ is None


@pytest.mark.parametrize("attempts", [0, 1])
def test_a_policy_of_one_attempt_or_fewer_tries_once(attempts: int) -> None:
    clock, script = Clock(), Script(failures=100)
    with pytest.raises(Flaky):
        run(script, RetryPolicy(attempts=attempts), clock)
    assert (script.calls, clock.pauses) == (1, [])


def test_a_failure_the_caller_gives_up_on_is_raised_at_once() -> None:
    clock = Clock()
    script = Script(failures=2, make=lambda n: Flaky("again") if n == 1 else Fatal("refused"))
    with pytest.raises(Fatal, match="refused"):
        run(script, RetryPolicy(attempts=10), clock)
    assert script.calls == 2 and len(clock.pauses) == 1


def test_an_exception_nobody_classified_is_not_retried() -> None:
    seen: list[Exception] = []

    def classify(exc: Exception) -> Verdict:
        seen.append(exc)
        return GIVE_UP

    clock, script = Clock(), Script(failures=1, make=lambda n: KeyError("bug"))
    with pytest.raises(KeyError):
        run(script, RetryPolicy(attempts=5), clock, classify=classify)
    assert script.calls == 1 and len(seen) == 1


def test_a_cancellation_goes_through_without_a_verdict() -> None:
    def classify(exc: Exception) -> Verdict:
        raise AssertionError("a cancellation must not be classified")

    clock, script = Clock(), Script(failures=1, make=lambda n: asyncio.CancelledError())
    with pytest.raises(asyncio.CancelledError):
        run(script, RetryPolicy(attempts=5), clock, classify=classify)
    assert script.calls == 1


@pytest.mark.parametrize("floor", [1.0, 2.5])
def test_a_verdict_of_at_least_n_seconds_is_a_floor_spread_up_to_half_as_much_again(floor: float) -> None:
    clock, script = Clock(), Script(failures=5)
    policy = RetryPolicy(attempts=6, base_seconds=0.01, cap_seconds=0.02)
    assert run(script, policy, clock, classify=lambda exc: floor) == "ok"
    assert len(clock.pauses) == 5
    assert all(floor <= p <= 1.5 * floor for p in clock.pauses)
    assert len(set(clock.pauses)) > 1, "jittered, not one fixed pause"


def test_without_jitter_the_pauses_are_exact() -> None:
    clock, script = Clock(), Script(failures=4)
    policy = RetryPolicy(attempts=5, base_seconds=0.5, cap_seconds=3.0, jitter=False)
    assert run(script, policy, clock) == "ok"
    assert clock.pauses == [0.5, 1.0, 2.0, 3.0]
    clock, script = Clock(), Script(failures=2)
    assert run(script, policy, clock, classify=lambda exc: 1.25) == "ok"
    assert clock.pauses == [1.25, 1.25]  # the floor exactly, above the first two windows' tops


def test_no_pause_means_no_sleep_call() -> None:
    """The shape of "send again at once" (apply's writes whose outcome was unknown)."""
    clock, script = Clock(), Script(failures=3)
    policy = RetryPolicy(attempts=4, base_seconds=0.0, cap_seconds=0.0, jitter=False)
    assert run(script, policy, clock) == "ok"
    assert (script.calls, clock.pauses) == (4, [])


def test_patience_stops_the_tries_once_the_deadline_has_passed() -> None:
    """apply's throttle patience: sent again 1 s apart, given up once 120 s have passed since the first."""
    clock, script = Clock(now=1000.0), Script(failures=10_000)
    policy = RetryPolicy(
        attempts=None,
        base_seconds=0.0,
        cap_seconds=0.0,
        jitter=False,
        throttle_floor_seconds=1.0,
        patience_seconds=120.0,
    )
    with pytest.raises(Flaky):
        run(script, policy, clock, classify=lambda exc: policy.throttle_floor_seconds)
    # Failures at 1000, 1001, ..., 1120 s: the one at 1120 finds the deadline reached.
    assert script.calls == 121 and clock.pauses == [1.0] * 120 and clock.now == 1120.0


def test_patience_and_attempts_together_stop_at_whichever_comes_first() -> None:
    clock, script = Clock(), Script(failures=100)
    policy = RetryPolicy(attempts=3, base_seconds=5.0, cap_seconds=5.0, jitter=False, patience_seconds=60.0)
    with pytest.raises(Flaky):
        run(script, policy, clock)
    assert script.calls == 3
    clock, script = Clock(), Script(failures=100)
    policy = RetryPolicy(attempts=50, base_seconds=5.0, cap_seconds=5.0, jitter=False, patience_seconds=12.0)
    with pytest.raises(Flaky):
        run(script, policy, clock)
    assert script.calls == 4 and clock.now == 15.0  # failures at 0, 5, 10 (< 12) and 15 (>= 12)


def test_a_policy_with_no_bound_at_all_is_refused() -> None:
    with pytest.raises(ValueError, match="retry forever"):
        RetryPolicy(attempts=None)


def test_on_retry_hears_of_each_retried_failure_and_its_pause_and_not_of_the_last() -> None:
    heard: list[tuple[Exception, float]] = []
    clock, script = Clock(), Script(failures=10)
    with pytest.raises(Flaky):
        run(script, RetryPolicy(attempts=3), clock, on_retry=lambda exc, pause: heard.append((exc, pause)))
    assert [exc for exc, _ in heard] == script.raised[:2]
    assert [pause for _, pause in heard] == clock.pauses


def test_the_sleep_may_be_a_hook_that_does_not_wait() -> None:
    """apply's throttled starts: the pause holds a rate limiter back instead of sleeping here."""
    held: list[float] = []

    async def hold_back(seconds: float) -> None:
        held.append(seconds)

    script = Script(failures=2)
    policy = RetryPolicy(attempts=None, jitter=False, base_seconds=0, cap_seconds=0, patience_seconds=120.0)
    result = asyncio.run(retrying(script, lambda exc: 1.0, policy, sleep=hold_back, clock=lambda: 0.0))
    assert result == "ok" and held == [1.0, 1.0]


def test_huge_retry_counts_stay_at_the_cap() -> None:
    policy = RetryPolicy(base_seconds=0.25, cap_seconds=8.0, jitter=False)
    assert policy.pause(10_000, 0.0, random.Random(0)) == 8.0


def test_the_http_module_re_exports_the_policy() -> None:
    assert http.RetryPolicy is RetryPolicy


class Throttled(Exception):
    pass


def throttling_waits(exc: Exception) -> Verdict:
    return WaitOut(1.0) if isinstance(exc, Throttled) else flaky_backs_off(exc)


def run_until(script: Script, policy: RetryPolicy, clock: Clock, deadline: Deadline | None) -> str:
    return asyncio.run(
        retrying(
            script,
            throttling_waits,
            policy,
            sleep=clock.sleep,
            clock=clock,
            rng=random.Random(3),
            deadline=deadline,
        )
    )


def test_waiting_out_throttling_spends_no_try_while_a_deadline_bounds_it() -> None:
    clock = Clock()
    script = Script(failures=12, make=lambda n: Throttled() if n % 4 else Flaky())  # 9 throttled, 3 flaky
    assert run_until(script, RetryPolicy(attempts=4), clock, Deadline(600, clock=clock)) == "ok"
    assert script.calls == 13
    assert sum(1 for p in clock.pauses if p >= 1.0) >= 9, "each throttled failure waits at least the floor"


def test_waiting_out_throttling_ends_before_the_deadline_with_the_last_failure() -> None:
    clock = Clock()
    script = Script(failures=10_000, make=lambda n: Throttled())
    with pytest.raises(Throttled):
        run_until(script, RetryPolicy(attempts=4, cap_seconds=8.0), clock, Deadline(60, clock=clock))
    assert script.calls > 4
    assert clock.now <= 60, "no pause reaches past the deadline"


def test_without_a_deadline_or_patience_throttling_spends_tries() -> None:
    # Nothing else bounds the waiting, so it must not go on forever.
    clock, script = Clock(), Script(failures=100, make=lambda n: Throttled())
    with pytest.raises(Throttled):
        run_until(script, RetryPolicy(attempts=4), clock, None)
    assert script.calls == 4
    clock, script = Clock(), Script(failures=100, make=lambda n: Throttled())
    with pytest.raises(Throttled):
        run_until(script, RetryPolicy(attempts=4), clock, Deadline(None, clock=clock))
    assert script.calls == 4


def test_a_deadline_cuts_ordinary_backoff_too() -> None:
    clock, script = Clock(), Script(failures=100)
    policy = RetryPolicy(attempts=100, base_seconds=1.0, cap_seconds=1.0, jitter=False)
    with pytest.raises(Flaky):
        run_until(script, policy, clock, Deadline(5.5, clock=clock))
    assert clock.now <= 5.5 and script.calls == 6


def test_time_spent_paused_is_not_counted_against_a_deadline() -> None:
    clock = Clock()
    deadline = Deadline(10, clock=clock)
    clock.now = 4
    with deadline.paused():  # a person reading the plan before typing `yes`
        clock.now = 1000
    assert deadline.remaining() == 6 and not deadline.expired
    clock.now = 1006
    assert deadline.expired
    assert Deadline(None, clock=clock).remaining() == float("inf")
