"""SDK-HMAC-SHA256 request signing, byte-for-byte as `huaweicloudsdkcore.signer.Signer` computes it.

One implementation serves both sides: the API client signs with `sign_headers`, the emulator checks with
`verify`. Both build the canonical request with `canonical_request`, so they cannot drift apart.

The reference algorithm (huaweicloudsdkcore/signer/signer.py):

    canonical request = METHOD \n canonical URI \n canonical query \n canonical headers \n
                        signed header names (;-joined) \n hex sha256(body)
    string to sign    = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex sha256(canonical request)
    Authorization     = "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex hmac(SK, string to sign)"

Quirks kept on purpose because the SDK has them: the URI is percent-decoded then re-encoded segment by
segment with only `~` left unescaped, and always ends in `/`; query values are sorted per key; header names
containing `_` are never signed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "X-Sdk-Date"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
PROJECT_HEADER = "X-Project-Id"
SECURITY_TOKEN_HEADER = "X-Security-Token"
#: Set by the SDK for bodies that are not JSON; its value then stands in for the body hash.
CONTENT_HASH_HEADER = "X-Sdk-Content-Sha256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
#: The gateway refuses a signature whose X-Sdk-Date is further than this from its own clock.
MAX_CLOCK_SKEW_SECONDS = 15 * 60

_EMPTY_HASH = hashlib.sha256(b"").hexdigest()
#: A path of only these characters is its own canonical form (decoding and re-encoding change nothing).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_.~/-]*")
_AUTH_RE = re.compile(
    r"^SDK-HMAC-SHA256\s+Access=(?P<ak>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]*),\s*Signature=(?P<sig>[0-9a-fA-F]+)$"
)

QueryItems = Sequence[tuple[str, str]]


def _encode(value: str) -> str:
    return quote(value, safe="~")


def canonical_uri(path: str) -> str:
    """The path as the SDK canonicalises it: decode, re-encode each segment, end with `/`."""
    if _PLAIN_PATH.fullmatch(path):  # the usual case, a path of ids: nothing to decode or encode
        return path if path.endswith("/") else path + "/"
    encoded = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return encoded if encoded.endswith("/") else encoded + "/"


def canonical_query(query: Iterable[tuple[str, str]]) -> str:
    # The SDK sorts (key, value) tuples, so repeated keys come out ordered by value too.
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(query))


def signed_header_names(headers: Iterable[str]) -> list[str]:
    return sorted({name.lower() for name in headers if "_" not in name})


def canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    body: bytes,
) -> str:
    lowered = {name.lower(): str(value).strip() for name, value in headers.items()}
    header_lines = "".join(f"{name}:{lowered.get(name, '')}\n" for name in signed_headers)
    if not body:
        body_hash = _EMPTY_HASH
    else:
        body_hash = lowered.get(CONTENT_HASH_HEADER.lower()) or hashlib.sha256(body).hexdigest()
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            header_lines,
            ";".join(signed_headers),
            body_hash,
        ]
    )


def _signature(sk: str, date: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    string_to_sign = f"{ALGORITHM}\n{date}\n{digest}"
    return hmac.new(sk.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def format_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(DATE_FORMAT)


#: The last second format_now formatted, and its text: a run signs hundreds of requests per second.
_formatted: tuple[int, str] = (-1, "")


def format_now() -> str:
    """`format_date(now)`, the X-Sdk-Date of a request signed now (formatted once per second)."""
    global _formatted
    second = int(time.time())
    if _formatted[0] != second:
        _formatted = (second, time.strftime(DATE_FORMAT, time.gmtime(second)))
    return _formatted[1]


def sign_headers(
    *,
    ak: str,
    sk: str,
    method: str,
    path: str,
    query: QueryItems,
    headers: Mapping[str, str],
    body: bytes,
    date: str | None = None,
) -> dict[str, str]:
    """Return the headers to add: X-Sdk-Date (unless present) and Authorization.

    `headers` must hold every header that will be sent and signed, Host included.
    """
    present = {name.lower(): value for name, value in headers.items()}
    added: dict[str, str] = {}
    sdk_date = present.get(DATE_HEADER.lower()) or date or format_now()
    if DATE_HEADER.lower() not in present:
        added[DATE_HEADER] = sdk_date
    content_type = present.get("content-type")
    if content_type and not content_type.startswith(("application/json", "application/bson")):
        added[CONTENT_HASH_HEADER] = UNSIGNED_PAYLOAD
    all_headers = {**headers, **added}
    signed = signed_header_names(all_headers)
    canonical = canonical_request(method, path, query, all_headers, signed, body)
    signature = _signature(sk, sdk_date, canonical)
    added["Authorization"] = (
        f"{ALGORITHM} Access={ak}, SignedHeaders={';'.join(signed)}, Signature={signature}"
    )
    return added


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    ak: str = ""
    reason: str = ""


#: The last X-Sdk-Date parsed and its moment (None: malformed): a gateway checks hundreds of requests
#: per second, nearly all signed in the same second as the one before.
_parsed: tuple[str, datetime | None] = ("", None)


def _parse_date(text: str) -> datetime | None:
    global _parsed
    if _parsed[0] != text or not text:
        try:
            moment: datetime | None = datetime.strptime(text, DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            moment = None
        _parsed = (text, moment)
    return _parsed[1]


def verify(
    *,
    secrets: Mapping[str, str],
    method: str,
    path: str,
    query: QueryItems,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime | None = None,
) -> VerifyResult:
    """Check a signed request as the API gateway does. `secrets` maps AK -> SK.

    `path` is the raw (still percent-encoded) request path; `headers` are as received.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    match = _AUTH_RE.match(lowered.get("authorization", "").strip())
    if not match:
        return VerifyResult(False, reason="missing or malformed Authorization header")
    ak = match["ak"]
    sk = secrets.get(ak)
    if sk is None:
        return VerifyResult(False, ak, "unknown access key")
    sdk_date = lowered.get(DATE_HEADER.lower(), "")
    signed_at = _parse_date(sdk_date)
    if signed_at is None:
        return VerifyResult(False, ak, "missing or malformed X-Sdk-Date")
    skew = abs(((now or datetime.now(UTC)) - signed_at).total_seconds())
    if skew > MAX_CLOCK_SKEW_SECONDS:
        return VerifyResult(False, ak, "X-Sdk-Date is more than 15 minutes from the server time")
    signed = [name for name in match["signed"].split(";") if name]
    canonical = canonical_request(method, path, query, lowered, signed, body)
    expected = _signature(sk, sdk_date, canonical)
    if not hmac.compare_digest(expected, match["sig"].lower()):
        return VerifyResult(False, ak, "signature does not match")
    return VerifyResult(True, ak)
