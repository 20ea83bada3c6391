"""The live_event_report_url of a job: its path, plus auth_key and expires_time query parameters.

auth_key = hex HMAC-SHA256(emulator secret, path + expires_time). The path is the decoded one
(/v1/{project_id}/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/live-event-report), so the key does not
depend on how a client encodes it; expires_time is epoch milliseconds, as seed 000 defines it. The secret is
kept in the database, so URLs issued before a restart (with --data) stay valid.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import quote

from reconciler.emulator import exceptions

MAX_EPOCH_MS = 4102415999000
_AUTH_KEY_RE = re.compile(r"(auth_key=)[^&#\s]+")


def report_path(project_id: str, room_id: str, job_id: str) -> str:
    return f"/v1/{project_id}/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/live-event-report"


def auth_key(secret: bytes, path: str, expires_ms: int) -> str:
    return hmac.new(secret, f"{path}{expires_ms}".encode(), hashlib.sha256).hexdigest()


def build_url(base_url: str, path: str, secret: bytes, expires_ms: int) -> str:
    quoted = quote(path, safe="/")
    return f"{base_url}{quoted}?auth_key={auth_key(secret, path, expires_ms)}&expires_time={expires_ms}"


def parse_expires(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        expires = int(value)
    except ValueError:
        raise exceptions.invalid_parameter("expires_time must be an integer (epoch milliseconds)") from None
    if not 0 <= expires <= MAX_EPOCH_MS:
        raise exceptions.invalid_parameter(f"expires_time must be within 0-{MAX_EPOCH_MS}")
    return expires


def check(secret: bytes, path: str, key: str | None, expires_ms: int | None, now_ms: int) -> None:
    """Raise 401 MSS.00000001 unless key is this path's auth_key for expires_ms and has not expired."""
    if not key or expires_ms is None:
        raise exceptions.unauthorized_service()
    if expires_ms < now_ms:
        raise exceptions.unauthorized_service()
    if not hmac.compare_digest(auth_key(secret, path, expires_ms), key.lower()):
        raise exceptions.unauthorized_service()


def redact(url: str) -> str:
    """The URL with its auth_key hidden, for anything that is printed or logged."""
    return _AUTH_KEY_RE.sub(r"\1***", url)
