"""Request authentication: SDK-HMAC-SHA256 signing (the project's one signer) or an IAM token header.

Each is I/O-free: it only adds headers, so it works the same over a socket and in-process. Two ways in,
one computation: `authenticate` (the API client, which builds each request's headers itself and creates
the request once, signed) and httpx's `auth_flow` (plain httpx clients in tests and benchmarks).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from urllib.parse import parse_qsl

import httpx

from reconciler.api import signing
from reconciler.cloud.config import Credentials


def _signed_parts(url: httpx.URL) -> tuple[str, list[tuple[str, str]]]:
    """The path as sent (still percent-encoded) and the query's decoded items: what the signer reads."""
    raw_path = url.raw_path.split(b"?", 1)[0].decode("ascii")
    return raw_path, parse_qsl(url.query.decode("ascii"), keep_blank_values=True)


#: Headers a request is signed anew without (lowercase): a retried request gets a fresh X-Sdk-Date, so a
#: long backoff never makes it stale.
_STALE = ("authorization", signing.DATE_HEADER.lower())


class SdkHmacAuth(httpx.Auth):
    requires_request_body = True

    def __init__(self, credentials: Credentials, project_id: str) -> None:
        self._credentials = credentials
        #: Sent with every request, and signed.
        self._identity = {signing.PROJECT_HEADER: project_id}
        if credentials.security_token:
            self._identity[signing.SECURITY_TOKEN_HEADER] = credentials.security_token
        #: Header names (lowercase) whose values in a request are this auth's to set.
        self._replaced = frozenset((*_STALE, *(name.lower() for name in self._identity)))

    def authenticate(
        self, method: str, url: httpx.URL, headers: Mapping[str, str], body: bytes
    ) -> dict[str, str]:
        """`headers` with what authenticates the request added; `headers` must be every other header
        that will be sent, Host and Content-Length included."""
        unsigned = {name: value for name, value in headers.items() if name.lower() not in self._replaced}
        unsigned.update(self._identity)
        unsigned.update(self._signature(method, url, unsigned, body))
        return unsigned

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        for stale in _STALE:
            request.headers.pop(stale, None)
        request.headers.update(self._identity)
        signature = self._signature(request.method, request.url, dict(request.headers), request.content)
        request.headers.update(signature)
        yield request

    def _signature(
        self, method: str, url: httpx.URL, headers: Mapping[str, str], body: bytes
    ) -> dict[str, str]:
        """X-Sdk-Date and Authorization, for a request whose every other header is in `headers`."""
        raw_path, query = _signed_parts(url)
        return signing.sign_headers(
            ak=self._credentials.ak,
            sk=self._credentials.sk,
            method=method,
            path=raw_path,
            query=query,
            headers=headers,
            body=body,
        )


class TokenAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._token = token

    def authenticate(
        self, method: str, url: httpx.URL, headers: Mapping[str, str], body: bytes
    ) -> dict[str, str]:
        unchanged = {name: value for name, value in headers.items() if name.lower() != "x-auth-token"}
        return {**unchanged, "X-Auth-Token": self._token}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Auth-Token"] = self._token
        yield request


def auth_for(credentials: Credentials, project_id: str) -> SdkHmacAuth | TokenAuth:
    if credentials.auth_token:
        return TokenAuth(credentials.auth_token)
    return SdkHmacAuth(credentials, project_id)
