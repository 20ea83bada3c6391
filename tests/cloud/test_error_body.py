"""The one error-body parser (reconciler/cloud/error_body.py): code and message of MetaStudio's and the
gateway's error answers; anything else reads as no code and the status line, never raising, never the
body itself."""

from __future__ import annotations

import httpx
import pytest

from reconciler.cloud.error_body import MAX_MESSAGE, error_of, is_throttling, stated_rate
from reconciler.emulator.exceptions import gateway_throttled


def answer(status: int, content: bytes) -> httpx.Response:
    return httpx.Response(status, content=content, headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b'{"error_code": "MSS.00000003", "error_msg": "Invalid parameter"}',
            ("MSS.00000003", "Invalid parameter"),
        ),
        (
            b'{"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached", "request_id": "r"}',
            ("APIGW.0308", "The throttling threshold has been reached"),
        ),
        (b'{"error_msg": "no code"}', ("", "no code")),
        (b'{"error_code": "APIG.0101"}', ("APIG.0101", "Not Found")),
        (b'{"error_code": null, "error_msg": null}', ("", "Not Found")),
        (b'{"error_code": "X", "error_msg": ""}', ("X", "Not Found")),
        (b'{"error_code": 42, "error_msg": "numeric code"}', ("42", "numeric code")),
    ],
)
def test_error_bodies(content: bytes, expected: tuple[str, str]) -> None:
    assert error_of(answer(404, content)) == expected


@pytest.mark.parametrize(
    "content",
    [
        b"<html>Bad Gateway secret-token-1234</html>",
        b'["secret-token-1234"]',
        b"\xff\xfe not utf-8",
        b"",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"error_code": ',
    ],
    ids=["html", "array", "not-utf8", "empty", "deep", "truncated"],
)
def test_what_is_no_error_body_reads_as_the_status_line_and_never_raises(content: bytes) -> None:
    assert error_of(answer(502, content)) == ("", "Bad Gateway")


def test_nested_values_are_not_echoed() -> None:
    body = b'{"error_code": {"auth_key": "secret-1"}, "error_msg": ["secret-2"]}'
    code, message = error_of(answer(400, body))
    assert (code, message) == ("", "Bad Request")


def test_a_huge_message_is_cut() -> None:
    body = b'{"error_code": "X", "error_msg": "' + b"a" * 100_000 + b'"}'
    _, message = error_of(answer(500, body))
    assert len(message) == MAX_MESSAGE + 3 and message.endswith("...")


@pytest.mark.parametrize(
    ("status", "code", "throttled"),
    [
        (429, "", True),
        (403, "APIGW.0308", True),
        (500, "APIG.0308", True),
        (403, "APIGW.0302", False),
        (503, "", False),
    ],
)
def test_throttling_is_a_429_or_a_gateway_throttling_code(status: int, code: str, throttled: bool) -> None:
    assert is_throttling(status, code) is throttled


GATEWAY = "The throttling threshold has been reached: policy user over ratelimit,"


@pytest.mark.parametrize(
    ("message", "rate"),
    [
        (GATEWAY + "limit:20,time:1 second", 20.0),
        (gateway_throttled(4).message, 4.0),  # the emulator's words
        (GATEWAY + "limit:30,time:2 seconds", 15.0),
        (GATEWAY + "limit:120,time:1 minute", 2.0),
        (GATEWAY + "limit:600,time:5 minutes", 2.0),
        (GATEWAY + "LIMIT : 10 , Time : 1 Second", 10.0),
        (GATEWAY + "limit:2.5,time:1 second (retry later)", 2.5),
        # Not a stated limit: none, a unit not read, a word that only begins with one, nothing a client
        # could keep (zero, past a float), a part missing.
        ("The throttling threshold has been reached", None),
        (GATEWAY + "limit:20,time:1 hour", None),
        (GATEWAY + "limit:20,time:1 secondary", None),
        (GATEWAY + "limit:0,time:1 second", None),
        (GATEWAY + "limit:5,time:0 second", None),
        (GATEWAY + "limit:" + "9" * 400 + ",time:1 second", None),
        (GATEWAY + "limit:20", None),
        (GATEWAY + "limit:20,time:second", None),
        (GATEWAY + "limit:-20,time:1 second", None),
        ("", None),
    ],
)
def test_the_limit_a_throttling_message_states_in_calls_per_second(message: str, rate: float | None) -> None:
    assert stated_rate(message) == rate
