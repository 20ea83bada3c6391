"""Retry rules of the HTTP layer (reconciler/cloud/http.py), one behaviour per test.

Throttling is retried for every method; 5xx, timeouts and dropped connections only for reads; a write
that may have reached the service raises OutcomeUnknownError; a connection that never opened is retried.
"""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from reconciler.cloud.http import RetryPolicy
from reconciler.errors import ConnectError, OutcomeUnknownError, RemoteError
from tests.cloud.conftest import FAST, RUN_SECONDS, Scripted, Sleeps, client, error, json_response, run

OK = json_response(200, {"group_id": "g-1"})


def send(script: Scripted, method: str, sleeps: Sleeps | None = None) -> tuple[dict[str, Any], int]:
    """One call through a fresh client; returns the body and the number of attempts made."""

    async def go() -> tuple[dict[str, Any], int]:
        async with client(script, sleeps=sleeps) as http:
            body = await http.request(
                method, "/smart-live-interaction-rule-groups", body=None if method == "GET" else {}
            )
            return body, http.stats.total

    result: tuple[dict[str, Any], int] = run(go())
    return result


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
@pytest.mark.parametrize(
    "throttled",
    [
        error(
            429, "APIGW.0308", "The throttling threshold has been reached: policy user over ratelimit,limit:4"
        ),
        error(429, "APIG.0308", "The throttling threshold has been reached"),
        error(429, "", "Too Many Requests"),
        # The code alone marks throttling, whatever status a gateway pairs it with.
        error(403, "APIGW.0308", "The throttling threshold has been reached"),
    ],
    ids=["APIGW.0308", "APIG.0308", "429-no-code", "APIGW.0308-on-403"],
)
def test_throttling_is_retried_for_every_method(method: str, throttled: httpx.Response) -> None:
    script = Scripted([throttled, throttled, OK])
    sleeps = Sleeps()
    body, attempts = send(script, method, sleeps)
    assert body == {"group_id": "g-1"}
    assert attempts == 3 and len(script.requests) == 3
    # Huawei advises waiting after a throttling answer: never less than the floor.
    assert len(sleeps.pauses) == 2 and all(p >= FAST.throttle_floor_seconds for p in sleeps.pauses)


def test_throttling_that_never_ends_is_waited_out_until_the_runs_time_limit_then_shows_the_code() -> None:
    # A throttling answer is no failed try: it does not spend FAST.attempts, only the run's time.
    script = Scripted([error(429, "APIGW.0308")])
    sleeps = Sleeps()
    with pytest.raises(RemoteError) as caught:
        send(script, "POST", sleeps)
    assert caught.value.status == 429 and caught.value.code == "APIGW.0308"
    assert len(script.requests) > 2 * FAST.attempts
    assert sum(sleeps.pauses) <= RUN_SECONDS, "no pause reaches past the time limit"
    assert sum(sleeps.pauses) + max(sleeps.pauses) * 1.5 > RUN_SECONDS, "it waited as long as it could"


def test_throttling_does_not_spend_the_tries_of_other_failures() -> None:
    # Three 429s and three 503s on a read: six failures, but only three tries of FAST's four spent.
    throttled, failing = error(429, "APIGW.0308"), error(503, "MSS.00000004")
    script = Scripted([throttled, failing, throttled, failing, throttled, failing, OK])
    body, attempts = send(script, "GET")
    assert body == {"group_id": "g-1"} and attempts == 7


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_read_answered_5xx_is_retried(status: int) -> None:
    script = Scripted([error(status, "MSS.00000004"), OK])
    body, attempts = send(script, "GET")
    assert body == {"group_id": "g-1"} and attempts == 2


def test_a_read_failing_every_time_ends_in_the_service_error_after_the_attempts() -> None:
    script = Scripted([error(503, "APIGW.0201", "Backend unavailable")])
    with pytest.raises(RemoteError) as caught:
        send(script, "GET")
    assert (caught.value.status, caught.value.code) == (503, "APIGW.0201")
    assert len(script.requests) == FAST.attempts


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_a_write_answered_5xx_is_not_retried_its_outcome_is_unknown(method: str) -> None:
    script = Scripted([error(500, "MSS.00000004", "Internal Error"), OK])
    with pytest.raises(OutcomeUnknownError, match="may or may not have been made"):
        send(script, method)
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.RemoteProtocolError("Server disconnected without sending a response"),
        httpx.ReadError("connection reset by peer"),
        httpx.ReadTimeout("timed out"),
        httpx.WriteTimeout("timed out"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_read_whose_connection_dropped_is_retried(failure: Exception) -> None:
    script = Scripted([failure, OK])
    body, attempts = send(script, "GET")
    assert body == {"group_id": "g-1"} and attempts == 2


def test_a_dropped_read_is_tried_up_to_the_attempts_but_a_timed_out_one_twice() -> None:
    # A timeout cost the whole --request-timeout: an endpoint that never answers must not cost five.
    dropped = httpx.RemoteProtocolError("Server disconnected without sending a response")
    script = Scripted([dropped, dropped, dropped, OK])
    assert send(script, "GET") == ({"group_id": "g-1"}, 4)
    script = Scripted([httpx.ReadTimeout("timed out"), dropped, httpx.ReadTimeout("timed out"), OK])
    with pytest.raises(ConnectError, match="ReadTimeout"):
        send(script, "GET")
    assert len(script.requests) == 3


@pytest.mark.parametrize(
    "failure",
    [
        httpx.RemoteProtocolError("Server disconnected without sending a response"),
        httpx.ReadError("connection reset by peer"),
        httpx.ReadTimeout("timed out"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_write_whose_connection_dropped_has_an_unknown_outcome(failure: Exception) -> None:
    script = Scripted([failure, OK])
    with pytest.raises(OutcomeUnknownError) as caught:
        send(script, "POST")
    assert len(script.requests) == 1
    assert "POST /smart-live-interaction-rule-groups" in str(caught.value)


@pytest.mark.parametrize(
    "refusal",
    [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.PoolTimeout(""),
    ],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_connection_that_never_opened_is_retried_even_for_a_write(method: str, refusal: Exception) -> None:
    script = Scripted([refusal, refusal, OK])
    body, attempts = send(script, method)
    assert body == {"group_id": "g-1"} and attempts == 3


def test_an_endpoint_that_stays_unreachable_is_one_clear_error() -> None:
    script = Scripted([httpx.ConnectError("[Errno 111] Connection refused")])
    with pytest.raises(ConnectError) as caught:
        send(script, "POST")
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert str(caught.value).startswith("cannot reach http://metastudio.test: [Errno 111] Connection refused")
    assert "--endpoint" in str(caught.value)
    assert len(script.requests) == FAST.attempts


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_client_errors_are_never_retried(status: int) -> None:
    script = Scripted([error(status, "MSS.00000003"), OK])
    with pytest.raises(RemoteError):
        send(script, "GET")
    assert len(script.requests) == 1


def test_backoff_is_full_jitter_exponential_and_bounded() -> None:
    policy = RetryPolicy(base_seconds=0.25, cap_seconds=8.0, throttle_floor_seconds=1.0)
    rng = random.Random(1)
    for attempt in range(12):
        ceiling = min(8.0, 0.25 * 2**attempt)
        pauses = [policy.delay(attempt, False, rng) for _ in range(200)]
        assert all(0 <= p <= ceiling for p in pauses)
        # Full jitter: spread over the whole window, not clustered at its top.
        assert min(pauses) < ceiling * 0.1 and max(pauses) > ceiling * 0.9
        throttled = [policy.delay(attempt, True, rng) for _ in range(200)]
        assert all(1.0 <= p <= max(ceiling, 1.5) for p in throttled)


def test_a_retried_request_waits_between_attempts_and_counts_each_attempt() -> None:
    script = Scripted([error(503, "APIGW.0201"), error(503, "APIGW.0201"), error(503, "APIGW.0201"), OK])
    sleeps = Sleeps()

    async def go() -> tuple[int, int, int]:
        async with client(script, sleeps=sleeps) as http:
            await http.request("GET", "/smart-live-jobs", template="/smart-live-jobs")
            return http.stats.total, http.stats.retries, http.stats.by_operation["GET /smart-live-jobs"]

    assert run(go()) == (4, 3, 4)
    assert len(sleeps.pauses) == 3
    ceilings = [min(FAST.cap_seconds, FAST.base_seconds * 2**n) for n in range(3)]
    assert all(0 <= p <= c for p, c in zip(sleeps.pauses, ceilings, strict=True))


def test_each_attempt_is_signed_afresh() -> None:
    script = Scripted([error(503, "APIGW.0201"), OK])
    send(script, "GET")
    first, second = script.requests
    assert first.headers["Authorization"].startswith("SDK-HMAC-SHA256 Access=cloud-ak")
    assert second.headers["Authorization"].startswith("SDK-HMAC-SHA256 Access=cloud-ak")
    assert second.headers.get_list("X-Sdk-Date") == [second.headers["X-Sdk-Date"]]
    assert second.headers.get_list("Authorization") == [second.headers["Authorization"]]
