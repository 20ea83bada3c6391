"""Per-operation pacing (reconciler/cloud/pacing.py): even spacing, AIMD on 429, one slot per request
whoever takes it, limits learned from the 429's message, and the OP=N configuration (option, variable,
defaults)."""

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
    RATE_RANGE,
    RECOVERY_FRACTION,
    SPACING_MARGIN,
    UNSTATED_LIMIT_RATE,
    Pacer,
    Pacing,
    configured_rates,
    parse_rate,
)
from reconciler.cloud.retry import Deadline, RetryPolicy
from reconciler.commands._target import rate_limits
from reconciler.errors import ConfigError, RemoteError, TimeLimitError
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


def throttled(limit: int) -> httpx.Response:
    """The gateway's 429, stating its limit as the real one does."""
    message = (
        f"The throttling threshold has been reached: policy user over ratelimit,limit:{limit},time:1 second"
    )
    return error(429, "APIGW.0308", message)


def test_a_429_gives_an_unpaced_operation_a_pacer_at_the_stated_limit_or_the_fallback() -> None:
    pacing = Pacing({}, clock=lambda: 0.0)
    learned = pacing.learn("ShowInteractionRuleGroup", 20.0)
    assert pacing.get("ShowInteractionRuleGroup") is learned
    assert (learned.configured, learned.rate, learned.operation) == (20.0, 20.0, "ShowInteractionRuleGroup")
    assert pacing.learn("ShowInteractionRuleGroup", 20.0) is learned  # one pacer per operation
    unstated = pacing.learn("ListInteractionRuleGroups", None)
    assert unstated.configured == UNSTATED_LIMIT_RATE
    assert pacing.learn("ShowSmartLiveRoom", 1e-6).configured == RATE_RANGE[0]  # waits no day per call
    assert pacing.learn("ShowSmartLiveJob", 1e6).configured == RATE_RANGE[1]


def test_a_stated_limit_lowers_a_configured_rate_and_never_raises_it() -> None:
    pacing = Pacing({"StartSmartLive": 4.0, "CreateSmartLiveRoom": 1.0}, clock=lambda: 0.0)
    start = pacing.learn("StartSmartLive", 3.0)  # cn-east-3's limit, configured for cn-north-4's
    assert (start.configured, start.rate) == (3.0, 3.0)
    for _ in range(100):
        start.answered()
    assert start.rate == 3.0  # recovery stops at the stated limit
    room = pacing.learn("CreateSmartLiveRoom", 20.0)
    assert (room.configured, room.rate) == (1.0, 1.0)
    assert pacing.learn("CreateSmartLiveRoom", None).configured == 1.0
    room.throttled(1.0)
    pacing.learn("CreateSmartLiveRoom", 0.8)
    assert (room.configured, room.rate) == (0.8, 0.5)  # a rate already below the limit stays


def test_the_http_client_learns_an_unpaced_operations_limit_and_paces_its_retry() -> None:
    script = Scripted([throttled(5), json_response(200, {}), json_response(200, {})])
    sleeps = Sleeps()

    async def go() -> None:
        async with client(script, sleeps=sleeps) as http:
            http.pacing = Pacing({}, clock=sleeps.clock, sleep=sleeps)
            await http.request("GET", "/groups/g", name="ShowInteractionRuleGroup")
            pacer = http.pacing.get("ShowInteractionRuleGroup")
            assert pacer is not None
            # Sent before the limit was known: learned, not halved (the one answer adds nothing past it).
            assert (pacer.configured, pacer.rate) == (5.0, 5.0)
            retried_at = sleeps.clock()
            await http.request("GET", "/groups/g", name="ShowInteractionRuleGroup")
            # The retry took the pacer's slot, so the next request waits one interval after it.
            assert sleeps.clock() - retried_at == pytest.approx((1 + SPACING_MARGIN) / 5.0)

    run(go())
    assert len(script.requests) == 3
    assert sleeps.pauses[0] >= 1.0  # the 429 itself is waited out by the retry rules


def test_a_429_on_an_unpaced_operation_holds_its_next_call_back() -> None:
    script = Scripted([throttled(5), json_response(200, {})])
    sleeps = Sleeps()
    once = RetryPolicy(attempts=1)  # and no run limit: the 429 is raised, not waited out here

    async def go() -> None:
        transport = httpx.MockTransport(script)
        http = HttpClient(target(), transport=transport, retry=once, sleep=sleeps, deadline=Deadline(None))
        async with http:
            http.pacing = Pacing({}, clock=sleeps.clock, sleep=sleeps)
            with pytest.raises(RemoteError, match="HTTP 429"):
                await http.request("GET", "/groups/g", name="ShowInteractionRuleGroup")
            await http.request("GET", "/groups/g", name="ShowInteractionRuleGroup")

    run(go())
    # The gateway's window is still full of the burst that tripped it: the next call waits it out too.
    assert sleeps.pauses == [once.throttle_floor_seconds]


def test_a_429_stating_no_limit_paces_at_the_fallback() -> None:
    script = Scripted(
        [error(429, "APIGW.0308", "The throttling threshold has been reached"), json_response(200, {})]
    )
    sleeps = Sleeps()

    async def go() -> float:
        async with client(script, sleeps=sleeps) as http:
            await http.request("GET", "/groups", name="ListInteractionRuleGroups")
            pacer = http.pacing.get("ListInteractionRuleGroups")
            assert pacer is not None
            return pacer.configured

    assert run(go()) == UNSTATED_LIMIT_RATE


def test_a_paced_operation_throttled_below_its_configured_rate_drops_to_the_limit_and_halves() -> None:
    script = Scripted([throttled(20), json_response(200, {})])
    sleeps = Sleeps()

    async def go() -> tuple[float, float]:
        async with client(script, sleeps=sleeps) as http:
            http.pacing = Pacing({"ShowInteractionRuleGroup": 30.0}, clock=sleeps.clock, sleep=sleeps)
            await http.request("GET", "/groups/g", name="ShowInteractionRuleGroup")
            pacer = http.pacing.get("ShowInteractionRuleGroup")
            assert pacer is not None
            return pacer.configured, pacer.rate

    # Paced when throttled: AIMD halves the (lowered) rate, and the answer gives a twentieth back.
    assert run(go()) == pytest.approx((20.0, 10.0 + 20.0 * RECOVERY_FRACTION))


def test_requests_queued_unpaced_go_back_for_a_slot_once_a_429_taught_the_limit() -> None:
    script = Scripted([throttled(2), json_response(200, {})])
    sleeps = Sleeps()
    interval = (1 + SPACING_MARGIN) / 2.0

    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)  # as a socket would: the other requests get to queue behind this one
        return script(request)

    async def go() -> None:
        # One request in flight: the others wait for their place, unpaced, while the first is throttled.
        async with client(httpx.MockTransport(answer), sleeps=sleeps, parallelism=1) as http:
            http.pacing = Pacing({}, clock=sleeps.clock, sleep=sleeps)
            calls = [http.request("GET", f"/groups/g{i}", name="ShowInteractionRuleGroup") for i in range(4)]
            await asyncio.gather(*calls)

    run(go())
    assert len(script.requests) == 5  # the one 429, then each request once
    # The 429 held the operation back (the retry rules' wait covers it); then each of the four, the
    # retry and the three that had waited unpaced, goes out one interval after the one before.
    assert sleeps.pauses[1:] == pytest.approx([interval] * 3)


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
