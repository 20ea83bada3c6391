"""What the client makes of the emulator's failures: timeouts, injected faults, lost writes, refused
credentials (one clear error naming what to set, no secret), tokens, and answers that are not JSON."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.api import models
from reconciler.cloud.api import MetaStudioApi
from reconciler.cloud.config import Credentials, Target
from reconciler.cloud.http import HttpClient, RetryPolicy
from reconciler.cloud.pacing import SPACING_MARGIN
from reconciler.emulator.clock import ManualClock
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import running_emulator
from reconciler.errors import AuthError, ConnectError, OutcomeUnknownError, RemoteError
from tests.cloud.conftest import (
    AK,
    ENDPOINT,
    FAST,
    PROJECT,
    SK,
    Scripted,
    Sleeps,
    client,
    emulator_app,
    emulator_client,
    run,
    set_faults,
    stats,
    target,
)

GROUPS = "GET /v1/{project_id}/smart-live-interaction-rule-groups"


def list_groups(app: Starlette, **kw: object) -> list[models.InteractionRuleGroupSummary]:
    async def go() -> list[models.InteractionRuleGroupSummary]:
        async with emulator_client(app, **kw) as (http, _):  # type: ignore[arg-type]
            return await MetaStudioApi(http).list_rule_groups()

    result: list[models.InteractionRuleGroupSummary] = run(go())
    return result


def test_a_slow_answer_times_out_and_a_read_is_retried_then_reported() -> None:
    config = EmulatorConfig(ak=AK, sk=SK, project_id=PROJECT, latency_ms=400, rate_limits={})
    policy = RetryPolicy(attempts=2, base_seconds=0.01, cap_seconds=0.01, timeout_seconds=0.1)
    with running_emulator(config) as base_url:
        tgt = Target(base_url, PROJECT, Credentials(ak=AK, sk=SK))

        async def go() -> None:
            async with client(httpx.AsyncHTTPTransport(), tgt=tgt, retry=policy) as http:
                await MetaStudioApi(http).list_rule_groups()

        with pytest.raises(ConnectError) as caught:
            run(go())
        assert not isinstance(caught.value, OutcomeUnknownError)
        # Cut by the transport's read timeout or the request's own (--request-timeout), whichever first.
        assert "no answer from" in str(caught.value)
        assert "ReadTimeout" in str(caught.value) or "--request-timeout" in str(caught.value)
        assert httpx.get(base_url + "/_emulator/stats").json()["requests"] == {GROUPS: 2}


def test_a_write_that_timed_out_may_have_happened() -> None:
    config = EmulatorConfig(ak=AK, sk=SK, project_id=PROJECT, latency_ms=400, rate_limits={})
    policy = RetryPolicy(attempts=3, timeout_seconds=0.1)
    with running_emulator(config) as base_url:
        tgt = Target(base_url, PROJECT, Credentials(ak=AK, sk=SK))

        async def go() -> None:
            async with client(httpx.AsyncHTTPTransport(), tgt=tgt, retry=policy) as http:
                await MetaStudioApi(http).create_rule_group(models.InteractionRuleGroup(group_name="slow"))

        with pytest.raises(OutcomeUnknownError, match="may or may not have been made"):
            run(go())
        requests = httpx.get(base_url + "/_emulator/stats").json()["requests"]
        assert requests == {"POST /v1/{project_id}/smart-live-interaction-rule-groups": 1}


def test_injected_5xx_on_reads_are_retried_until_they_pass(app: Starlette) -> None:
    set_faults(app, error_rate=1.0, error_statuses=[503])
    with pytest.raises(RemoteError) as caught:
        list_groups(app)
    assert (caught.value.status, caught.value.code) == (503, "APIGW.0201")
    assert stats(app) == {GROUPS: FAST.attempts}


def test_emulator_throttling_is_waited_out() -> None:
    clock = ManualClock()
    app = emulator_app(clock=clock)
    set_faults(app, throttle_per_second=2)
    # The backoff pauses move the emulator's clock: the throttling window passes without real waiting.
    sleeps = Sleeps(on_pause=clock.advance)

    async def go() -> int:
        async with emulator_client(app, sleeps=sleeps) as (http, _):
            api = MetaStudioApi(http)
            for _ in range(5):
                await api.list_rule_groups()
            return http.stats.throttled

    try:
        throttled = run(go())
    finally:
        app.state.emulator.store.close()
    # The one 429 taught the limit it states (2/s): it is waited out, and the calls after it are paced.
    assert throttled == 1
    assert sleeps.pauses[0] >= FAST.throttle_floor_seconds
    assert sleeps.pauses[1:] == pytest.approx([(1 + SPACING_MARGIN) / 2] * 2)
    assert stats(app)[GROUPS] == 5 + throttled


def test_a_dropped_write_is_an_unknown_outcome_and_did_happen(app: Starlette) -> None:
    set_faults(app, drop_after_commit_rate=1.0)

    async def go() -> None:
        async with emulator_client(app) as (http, _):
            await MetaStudioApi(http).create_rule_group(models.InteractionRuleGroup(group_name="lost"))

    with pytest.raises(OutcomeUnknownError):
        run(go())
    set_faults(app, drop_after_commit_rate=0.0)
    # Which is why the caller must look before creating again: the group exists.
    assert [g.group_name for g in list_groups(app)] == ["lost"]
    assert stats(app)["POST /v1/{project_id}/smart-live-interaction-rule-groups"] == 1


@pytest.mark.parametrize(
    ("tgt", "names"),
    [
        (target(sk="wrong-secret-value-91c3"), ["HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK", PROJECT]),
        (target(token="wrong-token-value-55e0"), ["SMARTLIVE_AUTH_TOKEN"]),
    ],
    ids=["aksk", "token"],
)
def test_refused_credentials_are_an_auth_error_naming_what_to_check_and_no_secret(
    app: Starlette, tgt: Target, names: list[str]
) -> None:
    with pytest.raises(AuthError) as caught:
        list_groups(app, tgt=tgt)
    message = str(caught.value)
    assert caught.value.status == 401 and caught.value.code == "APIGW.0301"
    for name in names:
        assert name in message
    for secret in tgt.credentials.secrets():
        assert secret not in message
    assert stats(app) == {GROUPS: 1}, "an auth failure is not retried"


def test_a_token_is_sent_as_x_auth_token_and_accepted_by_an_emulator_started_with_it() -> None:
    app = emulator_app(token="iam-token-3c9d")
    try:
        names = list_groups(app, tgt=target(ak="", sk="", token="iam-token-3c9d"))
        assert names == []
        assert stats(app) == {GROUPS: 1}
    finally:
        app.state.emulator.store.close()

    script = Scripted([httpx.Response(200, json={"count": 0})])

    async def go() -> None:
        async with client(script, tgt=target(ak="", sk="", token="iam-token-3c9d")) as http:
            await http.request("GET", "/smart-live-jobs")

    run(go())
    sent = script.requests[0].headers
    assert sent["X-Auth-Token"] == "iam-token-3c9d"
    assert "Authorization" not in sent and "X-Sdk-Date" not in sent


def test_aksk_requests_carry_the_project_and_security_token_headers() -> None:
    script = Scripted([httpx.Response(200, json={})])
    creds = Credentials(ak=AK, sk=SK, security_token="sts-token-0a1b")

    async def go() -> None:
        async with client(script, tgt=Target(ENDPOINT, PROJECT, creds)) as http:
            await http.request("GET", "/smart-live-jobs")

    run(go())
    sent = script.requests[0]
    assert sent.url.path == f"/v1/{PROJECT}/smart-live-jobs"
    assert sent.headers["X-Project-Id"] == PROJECT
    assert sent.headers["X-Security-Token"] == "sts-token-0a1b"
    assert "x-security-token" in sent.headers["Authorization"].split("SignedHeaders=")[1]


def test_a_gateway_403_is_an_auth_error_and_a_service_error_keeps_its_code() -> None:
    script = Scripted([httpx.Response(403, json={"error_code": "APIGW.0302", "error_msg": "denied"})])

    async def go() -> None:
        async with client(script) as http:
            await http.request("GET", "/smart-live-jobs")

    with pytest.raises(AuthError):
        run(go())

    script = Scripted(
        [httpx.Response(400, json={"error_code": "MSS.10001001", "error_msg": "Asset not found: x"})]
    )

    async def show() -> None:
        async with client(script) as http:
            await http.request("GET", "/smart-live-rooms/x/smart-live-jobs/y", params={"auth_key": "k-77"})

    with pytest.raises(RemoteError) as caught:
        run(show())
    assert not isinstance(caught.value, AuthError)
    assert caught.value.code == "MSS.10001001"
    assert "/smart-live-rooms/x/smart-live-jobs/y" in str(caught.value)
    assert "k-77" not in str(caught.value), "the query (which may carry auth_key) is not shown"


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="<html>captive portal</html>", headers={"content-type": "text/html"}),
        httpx.Response(200, json=["not", "an", "object"]),
        httpx.Response(502, text="<html>Bad Gateway</html>"),
    ],
    ids=["html-200", "json-array", "html-502"],
)
def test_an_answer_that_is_not_the_api_is_one_clear_error(answer: httpx.Response) -> None:
    script = Scripted([answer])

    async def go() -> None:
        async with client(script) as http:
            await http.request("GET", "/smart-live-jobs")

    with pytest.raises(RemoteError) as caught:
        run(go())
    if answer.status_code == 200:
        assert "is not a JSON object" in str(caught.value)
        assert ENDPOINT in str(caught.value)
    else:
        assert "HTTP 502" in str(caught.value) and "Bad Gateway" in str(caught.value)


def test_a_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    config = EmulatorConfig(ak=AK, sk=SK, project_id=PROJECT, rate_limits={})
    with running_emulator(config) as base_url:
        tgt = Target(base_url, PROJECT, Credentials(ak=AK, sk=SK))

        async def go() -> int:
            async with HttpClient(tgt, retry=RetryPolicy(attempts=1)) as http:
                return len(await MetaStudioApi(http).list_rule_groups())

        for name in (
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "ALL_PROXY",
            "NO_PROXY",
            "https_proxy",
            "http_proxy",
            "all_proxy",
            "no_proxy",
        ):
            monkeypatch.delenv(name, raising=False)
        assert run(go()) == 0
        # A proxy nobody listens on: the request goes there, so it cannot get through.
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
        with pytest.raises(ConnectError):
            run(go())
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert run(go()) == 0
