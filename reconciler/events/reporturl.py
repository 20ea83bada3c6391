"""A job's live_event_report_url: when its auth_key expires, how to ask for a fresh one, how to show it.

The URL carries its own credentials (seed 000 table 2): `auth_key`, an HMAC the service computed, and
`expires_time`, epoch milliseconds after which the key is refused. Whoever holds the URL can report
events into the live room until then, so it is a secret: nothing here, or anywhere it is used, prints
or logs it with the key in clear (`redact`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from reconciler.errors import ConfigError
from reconciler.redaction import redact, remember

_SECRET_PARAMS: Final = ("auth_key",)


@dataclass(frozen=True)
class ReportUrl:
    """One live_event_report_url, parsed. `repr` and `str` never show the auth_key."""

    url: str
    path: str
    auth_key: str | None
    expires_ms: int | None

    @classmethod
    def parse(cls, url: str) -> ReportUrl:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"not a live_event_report_url (an http(s) URL is expected): {redact(url)}")
        if not parts.path.endswith("/live-event-report"):
            raise ConfigError(
                f"not a live_event_report_url (its path ends in /live-event-report): {redact(url)}"
            )
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        expires: int | None
        try:
            expires = int(query["expires_time"]) if query.get("expires_time") else None
        except ValueError:
            expires = None  # the service will judge it; we only lose the early refresh
        auth_key = query.get("auth_key") or None
        if auth_key:
            remember(auth_key)
        return cls(url.strip(), parts.path, auth_key, expires)

    def with_refresh(self) -> str:
        """The URL with refresh_url=true: the answer then carries a new URL with a later expiry."""
        parts = urlsplit(self.url)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "refresh_url"]
        query.append(("refresh_url", "true"))
        return urlunsplit(parts._replace(query=urlencode(query)))

    def seconds_left(self, now_ms: int) -> float | None:
        """Seconds until the auth_key expires (negative once it has); None when the URL does not say."""
        return None if self.expires_ms is None else (self.expires_ms - now_ms) / 1000

    @property
    def redacted(self) -> str:
        return redact(self.url)

    def __str__(self) -> str:
        return self.redacted

    def __repr__(self) -> str:
        return f"ReportUrl({self.redacted!r})"
