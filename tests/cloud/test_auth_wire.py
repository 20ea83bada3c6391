"""The client's requests as they leave httpx, against the official SDK: the same URI on the wire and the same
Authorization header for the same X-Sdk-Date; and the emulator's gateway accepts every one of them.

tests/unit/test_signing.py checks the signer alone; this checks what the Auth flow feeds it (the path httpx
encoded, the query the client built, every header httpx adds), which is where a client and a gateway drift.
"""

from __future__ import annotations

from typing import Any

import httpx
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.api import signing
from reconciler.cloud.api import _seg
from tests.cloud.conftest import AK, PROJECT, SK, Scripted, client, emulator_app, run

# Any text, reserved and unicode characters included; "." and ".." would be resolved away by any URL parser.
ident = st.text(min_size=1, max_size=12).filter(lambda s: s not in (".", ".."))
query_value = st.text(max_size=10)


@st.composite
def calls(draw: st.DrawFn) -> dict[str, Any]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"]))
    path = "/smart-live-rooms/" + _seg(draw(ident)) + "/smart-live-jobs/" + _seg(draw(ident))
    params = draw(st.dictionaries(st.text(min_size=1, max_size=8), query_value, max_size=4))
    # A POST or PUT may carry no body (StopSmartLive): its Content-Length 0 is sent, so it is signed.
    body = (
        None
        if method in ("GET", "DELETE")
        else draw(st.none() | st.dictionaries(st.text(max_size=6), st.text(max_size=12)))
    )
    headers = draw(
        st.dictionaries(
            st.sampled_from(["X-Request-Id", "X-Language", "X_Ignored"]),
            st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=10),
        )
    )
    return {"method": method, "path": path, "params": params, "body": body, "headers": headers}


def sent(call: dict[str, Any]) -> httpx.Request:
    script = Scripted([httpx.Response(200, json={})])

    async def go() -> None:
        async with client(script) as http:
            await http.request(
                call["method"],
                call["path"],
                params=call["params"],
                body=call["body"],
                headers=call["headers"],
            )

    run(go())
    return script.requests[0]


def sdk_view(request: httpx.Request) -> tuple[str, str]:
    """(Authorization, URI) as the SDK's Signer makes them for the same request and X-Sdk-Date."""
    raw_path, _, raw_query = request.url.raw_path.decode("ascii").partition("?")
    query = httpx.QueryParams(raw_query).multi_items()
    headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
    sdk = SdkRequest(
        method=request.method,
        schema="http",
        host=request.url.netloc.decode(),
        resource_path=raw_path,
        query_params=list(query),
        header_params=headers,
        body=request.content,
    )
    Signer(BasicCredentials(AK, SK, PROJECT)).sign(sdk)
    return str(sdk.header_params["Authorization"]), str(sdk.uri)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls())
def test_requests_on_the_wire_are_signed_and_addressed_as_the_sdk_would(call: dict[str, Any]) -> None:
    request = sent(call)
    authorization, uri = sdk_view(request)
    assert request.headers["Authorization"] == authorization
    assert request.url.raw_path.decode("ascii") == uri
    assert "x_ignored" not in authorization.split("SignedHeaders=")[1].split(",")[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(min_size=1, max_size=16))
def test_the_emulator_gateway_accepts_every_signed_request(name: str) -> None:
    # A group_name filter with any characters: the query as the client sends it must verify.
    app = emulator_app()
    try:

        async def go() -> dict[str, Any]:
            async with client(httpx.ASGITransport(app=app)) as http:
                return await http.request(
                    "GET", "/smart-live-interaction-rule-groups", params={"group_name": name, "limit": 5}
                )

        assert run(go()) == {"count": 0, "interaction_rule_groups": []}
    finally:
        app.state.emulator.store.close()


def test_the_signer_and_verifier_are_the_same_implementation() -> None:
    request = sent(
        {
            "method": "POST",
            "path": "/smart-live-interaction-rule-groups",
            "params": {},
            "body": {"group_name": "欢迎"},
            "headers": {},
        }
    )
    raw_path = request.url.raw_path.decode()
    assert signing.verify(
        secrets={AK: SK},
        method="POST",
        path=raw_path,
        query=[],
        headers=dict(request.headers),
        body=request.content,
    ).ok
