"""Gateway authentication as Huawei Cloud's API gateway does it in front of MetaStudio.

AK/SK: the request is verified with the project's one SDK-HMAC-SHA256 implementation
(reconciler.api.signing.verify). X-Auth-Token: accepted when equal to the configured token. Either way the
project id in the path must be the emulator's. Every failure is 401 APIGW.0301; the reason after the colon
helps a developer and never contains a secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from reconciler.api import signing
from reconciler.emulator import exceptions


@dataclass(frozen=True)
class Credentials:
    ak: str
    sk: str
    project_id: str
    token: str | None = None


@dataclass(frozen=True)
class SignedRequest:
    method: str
    raw_path: str  # still percent-encoded, without the query
    query: Sequence[tuple[str, str]]  # decoded pairs, blank values kept
    headers: Mapping[str, str]  # lower-case names
    body: bytes


def carries_credentials(headers: Mapping[str, str]) -> bool:
    """Whether a request offers IAM credentials at all: an X-Auth-Token or an Authorization header."""
    return "x-auth-token" in headers or "authorization" in headers


def authenticate(creds: Credentials, request: SignedRequest, path_project_id: str, now: float) -> None:
    """Raise ServiceError 401 APIGW.0301 unless the request is authenticated for the emulator's project."""
    token = request.headers.get("x-auth-token")
    if token is not None:
        if creds.token is None or token != creds.token:
            raise exceptions.gateway_unauthorized("the token is invalid or expired")
    else:
        if "authorization" not in request.headers:
            raise exceptions.gateway_unauthorized("no Authorization header and no X-Auth-Token")
        result = signing.verify(
            secrets={creds.ak: creds.sk},
            method=request.method,
            path=request.raw_path,
            query=request.query,
            headers=request.headers,
            body=request.body,
            now=datetime.fromtimestamp(now, UTC),
        )
        if not result.ok:
            raise exceptions.gateway_unauthorized(result.reason)
        header_project = request.headers.get("x-project-id")
        if header_project is not None and header_project != creds.project_id:
            raise exceptions.gateway_unauthorized("X-Project-Id is not the project of this access key")
    if path_project_id != creds.project_id:
        raise exceptions.gateway_unauthorized(
            "the project id in the path is not the project of the credential"
        )
