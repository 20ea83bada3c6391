"""Per-operation pacing (reconciler/cloud/pacing.py): even spacing, AIMD on 429, one slot per request
whoever takes it, and the OP=N configuration (option, variable, defaults)."""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
import pytest

from reconciler.cloud.http import HttpClient
from reconciler.cloud.pacing import (
    DEFAULT_RATES,
    MIN_RATE_FRACTION,
    RECOVERY_FRACTION,
    SPACING_MARGIN,
    Pacer,
    Pacing,
    configured_rates,
    parse_rate,
)
from reconciler.cloud.retry import Deadline
from reconciler.commands._target import rate_limits
from reconciler.errors import ConfigError, TimeLimitError
from tests.cloud.conftest import Scripted, Sleeps, client, error, json_response, run, target


def test_a_429_halves_the_rate_down_to_its_floor_and_answers_give_it_back() -> None:
    pacer = Pacer(16.0, clock=lambda: 0.0)
    pacer.throttled(1.0)
    assert pacer.rate == 8.0
    for _ in range(10):
        pacer.throttled(1.0)
    assert pacer.rate == 16.0 * MIN_RATE_FRACTION
    for _ in range(round(1 / RECOVERY_FRACTION) + 5):
        pacer.answered()
    assert pacer.rate == 16.0  # never above the configured rate
    assert pacer.interval == pytest.approx((1 + SPACING_MARGIN) / 16.0)


def test_calls_are_spaced_and_a_429_holds_the_next_back() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    async def go() -> None:
        pacer = Pacer(10.0, clock=lambda: now[0], sleep=sleep)
        for _ in range(3):
            await pacer.take()
        assert now[0] == pytest.approx(2 * (1 + SPACING_MARGIN) / 10)
        pacer.throttled(1.0)
        before = now[0]
        await pacer.take()
        assert now[0] - before == pytest.approx(1.0)

    asyncio.run(go())


def test_a_slot_taken_ahead_is_the_requests_own_not_a_second_one() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    async def go() -> None:
        pacing = Pacing({"StartSmartLive": 1.0}, clock=lambda: now[0], sleep=sleep)
        pacer = pacing.get("StartSmartLive")
        assert pacer is not None
        await pacer.wait()  # apply takes the slot before its lookups
        assert await pacing.before("ShowSmartLive") is None  # not paced: no slot used
        await pacing.before("StartSmartLive")  # the request goes out in the slot taken
        assert now[0] == 0.0
        await pacing.before("StartSmartLive")  # the next one waits its turn
        assert now[0] == pytest.approx(1 + SPACING_MARGIN)

    asyncio.run(go())


def test_the_http_client_lowers_a_throttled_operations_rate_and_sends_it_again() -> None:
    script = Scripted([error(429, "APIGW.0308"), json_response(200, {"group_id": "g-1"})])
    sleeps = Sleeps()

    async def go() -> float:
        async with client(script, sleeps=sleeps) as http:
            http.pacing = Pacing({"CreateInteractionRuleGroup": 10.0}, sleep=sleeps)
            await http.request("POST", "/groups", name="CreateInteractionRuleGroup", body={})
            pacer = http.pacing.get("CreateInteractionRuleGroup")
            assert pacer is not None
            return pacer.rate

    rate = run(go())
    assert len(script.requests) == 2
    assert rate == pytest.approx(5.0 + 10.0 * RECOVERY_FRACTION)  # halved by the 429, one answer back


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("StartSmartLive", "is not OP=N"),
        ("=4", "is not OP=N"),
        ("Start Live=4", "is not OP=N"),
        ("StartSmartLive=fast", "is not a number"),
        ("StartSmartLive=0", "must be 0.01-1000"),
        ("StartSmartLive=nan", "must be 0.01-1000"),
        ("StartSmartLive=1e9", "must be 0.01-1000"),
    ],
)
def test_a_malformed_rate_is_refused_with_its_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_rate(text)


def test_rates_are_the_defaults_then_the_variable_then_the_option() -> None:
    rates = configured_rates(["StartSmartLive=2"], "StartSmartLive=3, ShowInteractionRuleGroup=20")
    assert rates == {**DEFAULT_RATES, "StartSmartLive": 2.0, "ShowInteractionRuleGroup": 20.0}
    assert configured_rates([], "") == DEFAULT_RATES


def test_start_rate_is_an_alias_that_rate_limit_overrides() -> None:
    alias = argparse.Namespace(start_rate=2.5, rate_limit=[])
    assert rate_limits(alias, {})["StartSmartLive"] == 2.5
    both = argparse.Namespace(start_rate=2.5, rate_limit=["StartSmartLive=1"])
    assert rate_limits(both, {})["StartSmartLive"] == 1.0


def test_a_bad_variable_names_itself() -> None:
    with pytest.raises(ConfigError, match="SMARTLIVE_RATE_LIMITS: 'Show=-1'"):
        rate_limits(argparse.Namespace(), {"SMARTLIVE_RATE_LIMITS": "Show=-1"})


def test_waiting_for_a_slot_ends_with_the_runs_time_limit() -> None:
    script = Scripted([json_response(200, {}), json_response(200, {})])

    async def go() -> None:
        http = HttpClient(target(), transport=httpx.MockTransport(script), deadline=Deadline(0.3))
        async with http:
            http.pacing = Pacing({"ShowInteractionRuleGroup": 0.01})
            await http.request("GET", "/groups/g", name="ShowInteractionRuleGroup")
            with pytest.raises(TimeLimitError, match=r"the run's time limit of 0\.3 s ran out"):
                await http.request("GET", "/groups/g", name="ShowInteractionRuleGroup")

    started = time.monotonic()
    asyncio.run(go())
    assert time.monotonic() - started < 5  # not the 104 s the next slot is away
    assert len(script.requests) == 1
