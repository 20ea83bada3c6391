"""Secrets never reach the user's screen: the one place that hides them from every line smartlive prints.

Two nets, because a service may echo a secret back in an error message that smartlive passes on:

- **Known values.** Every secret smartlive resolves (a `${env:...}`/`${file:...}` reference, an SK, a
  security or IAM token, a report URL's auth_key) is remembered here when it is resolved, and replaced by
  `(sensitive)` wherever it appears, whole.
- **Shapes.** A value that looks like a credential is hidden even when smartlive never held it: the
  value of a `token=`, `auth_key=`, `signature=`, `password=`, ... query parameter; the value of an
  `X-Auth-Token`, `X-Security-Token` or `Authorization` header as a message quotes it; a Keystone/IAM
  PKI token (`MII...`, hundreds of base64 characters); the password of a `scheme://user:password@host`.

The CLI writes through `RedactingStream` (cli.py), so no command can forget; messages are also made one
line (`one_line`), since an echoed request body must not spill over the terminal.
"""

from __future__ import annotations

import re
import threading
from typing import Final, TextIO

SENSITIVE: Final = "(sensitive)"
#: Shorter values are not remembered: replacing them would mangle ordinary words.
_SHORTEST: Final = 4

_lock = threading.Lock()
_known: set[str] = set()
_longest_first: list[str] = []

#: (words one of which a text must hold for the shape to be looked for, the shape): the words are a cheap
#: first pass, so that a long plan with no credential in it is not scanned by every expression.
_SHAPES: Final = (
    # ?token=...&auth_key=... in URLs, and `key=value` in messages.
    (
        ("token=", "auth", "sig", "pass", "secret", "sk="),
        re.compile(
            r"(?i)\b((?:token|auth_key|authkey|access_token|signature|sig|password|passwd|secret|secret_key|sk|"
            r"security_token|x-auth-token|x-security-token)=)[^&#\s\"'<>,;]+"
        ),
    ),
    # "X-Auth-Token": "..."  /  Authorization: SDK-HMAC-SHA256 Access=..., Signature=...
    (
        ("-token",),
        re.compile(r"(?i)(\"?(?:x-auth-token|x-security-token|x-subject-token)\"?\s*[:=]\s*\"?)[^\"\s,;}]+"),
    ),
    (("authorization",), re.compile(r"(?i)(\"?authorization\"?\s*[:=]\s*\"?)[^\"\n}]+")),
    # user:password@ in a URL.
    (("@",), re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+(?=@)")),
)
#: A Keystone/IAM PKI token: "MII" and a long run of base64.
_PKI_TOKEN: Final = re.compile(r"MII[A-Za-z0-9+/=_-]{100,}")
_BLANKS: Final = re.compile(r"\s*\n\s*")


def remember(secret: str) -> str:
    """Hide `secret` from everything printed from now on; returns it unchanged, for use inline."""
    value = secret.strip()
    if len(value) >= _SHORTEST and value not in _known:
        with _lock:
            _known.add(value)
            _longest_first[:] = sorted(_known, key=len, reverse=True)  # a secret may contain another
    return secret


def redact(text: str) -> str:
    """`text` with every known secret and every credential-shaped value replaced by (sensitive)."""
    for secret in _longest_first:
        if secret in text:
            text = text.replace(secret, SENSITIVE)
    lowered = text.lower()
    for words, shape in _SHAPES:
        if any(word in lowered for word in words):
            text = shape.sub(_masked, text)
    return _PKI_TOKEN.sub(SENSITIVE, text) if "MII" in text else text


def _masked(match: re.Match[str]) -> str:
    value = match.group(0)[len(match.group(1)) :]
    # A value another part masked already (`***`, a state store URL's password) stays as it was.
    return match.group(0) if set(value) == {"*"} or value == SENSITIVE else match.group(1) + SENSITIVE


def one_line(text: str) -> str:
    """A message on one line: the line breaks an echoed body brings are joined with a space."""
    return _BLANKS.sub(" ", text.strip())


class RedactingStream:
    """A text stream that writes through `redact`. Writes are redacted whole: a secret split across two
    writes is not seen, which is why every command prints whole lines (print writes each line once)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact(text))
        return len(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def forget_all() -> None:
    """For tests: start again with no known secret."""
    with _lock:
        _known.clear()
        _longest_first.clear()
