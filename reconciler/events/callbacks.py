"""Signing and verifying the live-event callbacks the service sends (live_event_callback_config).

Seed 003 / API.md define, for `auth_type`:

    NONE        the callback URL carries its own authentication; nothing is added
    MSS_A       query parameters  hwSecret = hex HMAC-SHA256(key, URI(callback_url) + hwTime)
                                  hwTime   = hex(timestamp)
    MSS_A_HEAD  the same two values in the headers x-hw-mss-secret and x-hw-mss-time

The docs leave two things open; this module reads them as follows, and sign and verify share the one
`_signature` function so they cannot disagree:

- **URI(callback_url) is the URL's path**, exactly as written in the configured URL (percent-encoding
  kept, no query, no scheme or host), and `/` when the URL has no path. That is the request-URI a
  receiving service sees on its request line whatever proxies or load balancers sit in front of it
  (host and scheme often change on the way; the path does not), and it is what "URI" means in Huawei
  Cloud's other URL-signing schemes (CDN type A signs the path).
- **hwTime is the Unix time in seconds, lower-case hex without `0x`** (1700000000 -> `6553f100`).
  Verification hashes the hwTime string exactly as received, and reads it as milliseconds when it is too
  large to be seconds (beyond the year 5000), since the docs do not name the unit.

What the signature does not cover: the body and the query string. It proves the sender knows the key
and when it signed, not what it sent; within `max_age_seconds` a captured request can be replayed with
another body. Keep the age short and make the handler idempotent (REPLY_COMMAND_FINISH carries a
reply_id to deduplicate on).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

AuthType = Literal["NONE", "MSS_A", "MSS_A_HEAD"]
AUTH_TYPES: Final[tuple[str, ...]] = ("NONE", "MSS_A", "MSS_A_HEAD")

QUERY_SECRET: Final = "hwSecret"
QUERY_TIME: Final = "hwTime"
HEADER_SECRET: Final = "x-hw-mss-secret"
HEADER_TIME: Final = "x-hw-mss-time"

DEFAULT_MAX_AGE_SECONDS: Final = 300
#: Clocks differ a little between the service and the receiver; a timestamp further ahead than this is
#: rejected (a signature minted for the future would otherwise stay valid for longer than max age).
DEFAULT_MAX_SKEW_SECONDS: Final = 60
# 10**11 seconds is the year 5138: a larger hwTime can only be milliseconds.
_MILLISECONDS_FROM: Final = 10**11


def signed_path(url: str) -> str:
    """URI(callback_url): the path of a URL or of a request target (`/cb?x=1` -> `/cb`), `/` if empty."""
    return urlsplit(url).path or "/"


def _signature(key: str | bytes, path: str, hw_time: str) -> str:
    raw_key = key.encode("utf-8") if isinstance(key, str) else key
    return hmac.new(raw_key, (path + hw_time).encode("utf-8"), hashlib.sha256).hexdigest()


def _unix_seconds(now: float | datetime) -> int:
    return int(now.timestamp()) if isinstance(now, datetime) else int(now)


def sign_callback(
    url: str, key: str | bytes, auth_type: str, now: float | datetime
) -> tuple[str, dict[str, str]]:
    """The URL to POST to and the extra headers, signed as the service signs callbacks.

    `now` is Unix seconds (or an aware datetime): the caller owns the clock, so this stays pure.
    NONE returns the URL unchanged and no headers; MSS_A appends hwSecret and hwTime to the URL's own
    query; MSS_A_HEAD returns the URL unchanged and the two x-hw-mss-* headers.
    """
    mode = auth_type.upper()
    if mode == "NONE":
        return url, {}
    if mode not in AUTH_TYPES:
        raise ValueError(f"unknown auth_type {auth_type!r}; expected one of {', '.join(AUTH_TYPES)}")
    hw_time = format(_unix_seconds(now), "x")
    secret = _signature(key, signed_path(url), hw_time)
    if mode == "MSS_A_HEAD":
        return url, {HEADER_SECRET: secret, HEADER_TIME: hw_time}
    parts = urlsplit(url)
    extra = urlencode([(QUERY_SECRET, secret), (QUERY_TIME, hw_time)])
    query = f"{parts.query}&{extra}" if parts.query else extra
    return parts._replace(query=query).geturl(), {}


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The verdict on one callback. Truthy when valid; `reason` is one line fit for a log or a user."""

    valid: bool
    reason: str
    auth_type: str | None = None
    #: When the service signed it (Unix seconds), once hwTime could be read.
    signed_at: float | None = None
    #: Seconds between signing and `now` (negative: signed in the future), once hwTime could be read.
    age_seconds: float | None = None

    def __bool__(self) -> bool:
        return self.valid


def _find_header(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None, name: str) -> str | None:
    if headers is None:
        return None
    items = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in items:
        if key.lower() == name:
            return value
    return None


def verify_callback(
    url: str,
    key: str | bytes,
    *,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    auth_type: str | None = None,
    max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
    max_skew_seconds: float = DEFAULT_MAX_SKEW_SECONDS,
    now: float | datetime | None = None,
) -> VerifyResult:
    """Check an MSS_A or MSS_A_HEAD signature on a callback the service sent.

    url: the full URL the request arrived at, or just its target (`/path?query`) as web frameworks give
         it; for MSS_A the hwSecret / hwTime query parameters are read from it.
    headers: the request headers (any mapping or (name, value) pairs; names are case-insensitive); for
         MSS_A_HEAD the x-hw-mss-secret / x-hw-mss-time headers are read from them.
    auth_type: the mode you configured; None accepts either (headers are looked at first).
    max_age_seconds / max_skew_seconds: how old, and how far in the future, hwTime may be.
    now: Unix seconds or a datetime; the system clock when None.

    The signature is compared in constant time (hmac.compare_digest). The age is checked only once the
    signature is known to be genuine, so "expired" always means "authentic but too old".
    """
    mode = auth_type.upper() if auth_type is not None else None
    if mode is not None and mode not in ("MSS_A", "MSS_A_HEAD"):
        return VerifyResult(
            False, f"cannot verify auth_type {auth_type}: only MSS_A and MSS_A_HEAD are signed"
        )

    secret: str | None = None
    hw_time: str | None = None
    found: str | None = None
    if mode in (None, "MSS_A_HEAD"):
        secret, hw_time = _find_header(headers, HEADER_SECRET), _find_header(headers, HEADER_TIME)
        if secret is not None or hw_time is not None:
            found = "MSS_A_HEAD"
    if found is None and mode in (None, "MSS_A"):
        query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        secret, hw_time = query.get(QUERY_SECRET), query.get(QUERY_TIME)
        if secret is not None or hw_time is not None:
            found = "MSS_A"
    if found is None:
        where = {
            None: f"no {HEADER_SECRET} header and no {QUERY_SECRET} query parameter",
            "MSS_A": f"no {QUERY_SECRET} query parameter",
            "MSS_A_HEAD": f"no {HEADER_SECRET} header",
        }[mode]
        return VerifyResult(False, f"unsigned: {where}")
    time_name = HEADER_TIME if found == "MSS_A_HEAD" else QUERY_TIME
    secret_name = HEADER_SECRET if found == "MSS_A_HEAD" else QUERY_SECRET
    if not secret:
        return VerifyResult(False, f"{secret_name} is missing or empty", found)
    if not hw_time:
        return VerifyResult(False, f"{time_name} is missing or empty", found)
    try:
        stamp = int(hw_time, 16)
    except ValueError:
        return VerifyResult(False, f"{time_name} is not a hexadecimal timestamp", found)

    expected = _signature(key, signed_path(url), hw_time)
    # Both sides as ASCII bytes: compare_digest refuses non-ASCII str, and a forged header may be anything.
    if not hmac.compare_digest(expected.encode(), secret.strip().lower().encode("utf-8", "replace")):
        return VerifyResult(
            False, "signature mismatch: wrong key, or the path or the time was altered", found
        )

    signed_at = stamp / 1000 if stamp >= _MILLISECONDS_FROM else float(stamp)
    current = time.time() if now is None else _now_seconds(now)
    age = current - signed_at
    if age > max_age_seconds:
        return VerifyResult(
            False, f"expired: signed {age:.0f} s ago (max age {max_age_seconds:g} s)", found, signed_at, age
        )
    if -age > max_skew_seconds:
        return VerifyResult(
            False,
            f"signed {-age:.0f} s in the future (max clock skew {max_skew_seconds:g} s)",
            found,
            signed_at,
            age,
        )
    return VerifyResult(True, f"{found} signature, signed {max(age, 0):.0f} s ago", found, signed_at, age)


def _now_seconds(now: float | datetime) -> float:
    return now.timestamp() if isinstance(now, datetime) else float(now)
