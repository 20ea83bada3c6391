"""httpx Auth flows: SDK-HMAC-SHA256 signing (the project's one signer) or an IAM token header.

An Auth is I/O-free: it only rewrites the request, so it works the same over a socket and in-process.
"""

from __future__ import annotations

from collections.abc import Generator
from urllib.parse import parse_qsl

import httpx

from reconciler.api import signing
from reconciler.cloud.config import Credentials


class SdkHmacAuth(httpx.Auth):
    requires_request_body = True

    def __init__(self, credentials: Credentials, project_id: str) -> None:
        self._credentials = credentials
        self._project_id = project_id

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        # A retried request is signed afresh: a new X-Sdk-Date, so a long backoff never makes it stale.
        for stale in ("Authorization", signing.DATE_HEADER):
            request.headers.pop(stale, None)
        request.headers[signing.PROJECT_HEADER] = self._project_id
        if self._credentials.security_token:
            request.headers[signing.SECURITY_TOKEN_HEADER] = self._credentials.security_token
        raw_path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
        query = parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)
        added = signing.sign_headers(
            ak=self._credentials.ak,
            sk=self._credentials.sk,
            method=request.method,
            path=raw_path,
            query=query,
            headers=dict(request.headers),
            body=request.content,
        )
        request.headers.update(added)
        yield request


class TokenAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Auth-Token"] = self._token
        yield request


def auth_for(credentials: Credentials, project_id: str) -> httpx.Auth:
    if credentials.auth_token:
        return TokenAuth(credentials.auth_token)
    return SdkHmacAuth(credentials, project_id)
