"""The project's signer against huaweicloudsdkcore's Signer: identical Authorization headers for the
same request and the same fixed X-Sdk-Date, over generated requests; and the emulator-side verify."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.api import signing

AK, SK = "AKEXAMPLE0000000", "sk-example-secret-0000000000000000"
DATE = "20261121T101500Z"
HOST = "metastudio.cn-north-4.myhuaweicloud.com"

#: RFC 3986 reserved characters, space, `%` and `~` (the one character the signer leaves unescaped), drawn
#: often so that every example is likely to hold some; the rest is any Unicode text.
RESERVED = ":/?#[]@!$&'()*+,;= %~"
tricky = st.text(RESERVED + "aZ09-_.é中文😀", max_size=10)
segment = st.one_of(st.text(min_size=1, max_size=12), tricky).filter(lambda s: s not in ("", ".", ".."))
# Empty keys and values included; a key drawn twice gives a repeated parameter.
query_text = st.one_of(st.text(max_size=10), tricky)
header_name = st.from_regex(r"\AX-[A-Za-z][A-Za-z0-9_-]{0,14}\Z")
header_value = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, object]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    # The SDK quotes each path parameter with safe='' before signing; the signer decodes and re-encodes.
    path = "/v1/" + "/".join(quote(s, safe="") for s in draw(st.lists(segment, min_size=1, max_size=4)))
    keys = draw(st.lists(query_text, max_size=3))
    query = [(k, draw(query_text)) for k in keys for _ in range(draw(st.integers(1, 2)))]
    extra = draw(st.dictionaries(header_name, header_value, max_size=3))
    lowered: set[str] = set()
    headers = {"Host": HOST, "X-Sdk-Date": DATE, "X-Project-Id": "p1"}
    for name, value in extra.items():
        if name.lower() not in lowered | {h.lower() for h in headers}:
            lowered.add(name.lower())
            headers[name] = value
    if draw(st.booleans()):
        headers["Content-Type"] = draw(
            st.sampled_from(["application/json", "text/plain", "application/json;charset=UTF-8"])
        )
    body = draw(st.one_of(st.just(b""), st.binary(max_size=64), st.text(max_size=40).map(str.encode)))
    return {"method": method, "path": path, "query": query, "headers": headers, "body": body}


def sdk_authorization(req: dict[str, object]) -> str:
    sdk_req = SdkRequest(
        method=req["method"],  # type: ignore[arg-type]
        schema="https",
        host=HOST,
        resource_path=req["path"],  # type: ignore[arg-type]
        query_params=list(req["query"]),  # type: ignore[call-overload]
        header_params=dict(req["headers"]),  # type: ignore[call-overload]
        body=req["body"],
    )
    Signer(BasicCredentials(AK, SK, "p1")).sign(sdk_req)
    return str(sdk_req.header_params["Authorization"])


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_authorization_matches_official_sdk(req: dict[str, object]) -> None:
    ours = signing.sign_headers(
        ak=AK,
        sk=SK,
        method=req["method"],  # type: ignore[arg-type]
        path=req["path"],  # type: ignore[arg-type]
        query=req["query"],  # type: ignore[arg-type]
        headers=req["headers"],  # type: ignore[arg-type]
        body=req["body"],  # type: ignore[arg-type]
    )
    assert ours["Authorization"] == sdk_authorization(req)


def _signed(**overrides: object) -> dict[str, object]:
    req: dict[str, object] = {
        "method": "POST",
        "path": "/v1/p1/smart-live-interaction-rule-groups",
        "query": [("limit", "10")],
        "headers": {"Host": HOST, "Content-Type": "application/json", "X-Project-Id": "p1"},
        "body": b'{"group_name": "welcome"}',
    }
    req.update(overrides)
    added = signing.sign_headers(
        ak=AK,
        sk=SK,
        date=signing.format_date(datetime.now(UTC)),
        **req,  # type: ignore[arg-type]
    )
    req["headers"] = {**req["headers"], **added}  # type: ignore[dict-item]
    return req


def _verify(req: dict[str, object], now: datetime | None = None) -> signing.VerifyResult:
    return signing.verify(secrets={AK: SK}, now=now, **req)  # type: ignore[arg-type]


def test_verify_accepts_own_signature() -> None:
    assert _verify(_signed()).ok


def test_verify_rejects_tampered_body_unknown_key_and_stale_date() -> None:
    req = _signed()
    assert not _verify({**req, "body": b'{"group_name": "other"}'}).ok
    assert _verify({**req, "method": "PUT"}).reason == "signature does not match"
    assert signing.verify(secrets={"OTHER": SK}, **req).reason == "unknown access key"  # type: ignore[arg-type]
    later = datetime.now(UTC) + timedelta(minutes=16)
    assert "15 minutes" in _verify(req, now=later).reason
    assert _verify(req, now=datetime.now(UTC) + timedelta(minutes=14)).ok


def test_verify_rejects_missing_authorization() -> None:
    req = _signed()
    headers = {k: v for k, v in req["headers"].items() if k != "Authorization"}  # type: ignore[attr-defined]
    assert "Authorization" in _verify({**req, "headers": headers}).reason
