"""What an error answer says: `{"error_code": ..., "error_msg": ...}`, the shape of both MetaStudio's
errors (MSS.*) and its API gateway's (APIGW.* / APIG.*: throttling, refused credentials, ...).

Anything else (an HTML page from a proxy, a JSON array, a body that is not UTF-8) reads as no code and
the status line's reason: never an exception, and never the body itself, which may echo what was sent
(signed headers, a URL's auth_key).
"""

from __future__ import annotations

import math
import re
from typing import Final, NamedTuple

import httpx

#: The gateway's throttling codes; they mark throttling whatever status a gateway pairs them with.
THROTTLE_CODES: Final = frozenset({"APIGW.0308", "APIG.0308"})
#: Longer messages are cut: a service does not explain itself in more, a misbehaving one may echo a request.
MAX_MESSAGE: Final = 1024
#: The limit a throttling message states, `limit:N,time:T second(s)` (or minute(s)), as the gateway words it
#: after `policy user over ratelimit,`: digits only, so it survives redaction and one-lining.
_STATED_LIMIT: Final = re.compile(
    r"limit\s*:\s*(\d+(?:\.\d+)?)\s*,\s*time\s*:\s*(\d+(?:\.\d+)?)\s*(second|minute)s?\b", re.IGNORECASE
)
_UNIT_SECONDS: Final = {"second": 1.0, "minute": 60.0}


class ErrorBody(NamedTuple):
    code: str
    message: str


def is_throttling(status: int, code: str) -> bool:
    """A 429 or a gateway throttling code: refused before the service saw the request."""
    return status == 429 or code in THROTTLE_CODES


def stated_rate(message: str) -> float | None:
    """The limit a throttling message states, in calls per second (`limit:20,time:1 second` -> 20.0);
    None when it states none, or one no client could keep (zero, or too large to be a number)."""
    match = _STATED_LIMIT.search(message)
    if match is None:
        return None
    calls, span, unit = match.groups()
    seconds = float(span) * _UNIT_SECONDS[unit.lower()]
    rate = float(calls) / seconds if seconds > 0 else 0.0
    return rate if rate > 0 and math.isfinite(rate) else None


def _text(value: object) -> str:
    # Only scalars: a nested object is not a message, and printing it could show more than meant.
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def error_of(response: httpx.Response) -> ErrorBody:
    """The error code ("" when none) and message (the status line's reason when none) of an answer."""
    try:
        body = response.json()
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested deep enough to exhaust the stack
        body = None
    if not isinstance(body, dict):
        return ErrorBody("", response.reason_phrase)
    message = _text(body.get("error_msg")) or response.reason_phrase
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + "..."
    return ErrorBody(_text(body.get("error_code")), message)
