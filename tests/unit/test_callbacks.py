"""Callback signatures (MSS_A, MSS_A_HEAD): sign as the service does, verify as a receiver should, and
`smartlive callbacks verify` for scripts."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.cli import main
from reconciler.events.callbacks import sign_callback, signed_path, verify_callback

KEY = "k3y-0f-the-callback-config"
NOW = 1_700_000_000  # hex 6553f100
URL = "https://hooks.example.com/metastudio/live-events?tenant=acme"


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# --------------------------------------------------------------------------------------------------
# signing
# --------------------------------------------------------------------------------------------------


def test_mss_a_appends_hwsecret_and_hwtime_to_the_urls_own_query() -> None:
    url, headers = sign_callback(URL, KEY, "MSS_A", NOW)
    assert headers == {}
    params = query(url)
    assert params["tenant"] == "acme" and params["hwTime"] == "6553f100"
    # The definition, spelled out: hex HMAC-SHA256(key, URI + hwTime) with URI the URL's path.
    expected = hmac.new(KEY.encode(), b"/metastudio/live-events6553f100", hashlib.sha256).hexdigest()
    assert params["hwSecret"] == expected
    assert url.startswith(URL + "&hwSecret=")


def test_mss_a_head_puts_the_same_values_in_headers_and_leaves_the_url_alone() -> None:
    url, headers = sign_callback(URL, KEY, "MSS_A_HEAD", NOW)
    assert url == URL
    assert headers == {
        "x-hw-mss-secret": query(sign_callback(URL, KEY, "MSS_A", NOW)[0])["hwSecret"],
        "x-hw-mss-time": "6553f100",
    }


def test_none_adds_nothing_and_unknown_types_are_refused() -> None:
    assert sign_callback(URL, KEY, "NONE", NOW) == (URL, {})
    with pytest.raises(ValueError, match="MEITUAN_DEFAULT"):
        sign_callback(URL, KEY, "MEITUAN_DEFAULT", NOW)


def test_the_signed_uri_is_the_path_as_written() -> None:
    assert signed_path("https://h.example.com/a/b%20c?x=1") == "/a/b%20c"
    assert signed_path("https://h.example.com") == "/"
    assert signed_path("/cb?hwSecret=1") == "/cb"


# --------------------------------------------------------------------------------------------------
# verifying
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("auth_type", ["MSS_A", "MSS_A_HEAD"])
def test_a_fresh_signature_verifies(auth_type: str) -> None:
    url, headers = sign_callback(URL, KEY, auth_type, NOW)
    result = verify_callback(url, KEY, headers=headers, now=NOW + 5)
    assert result and result.valid and result.auth_type == auth_type
    assert result.signed_at == NOW and result.age_seconds == 5
    assert result.reason == f"{auth_type} signature, signed 5 s ago"


def test_the_receiver_may_pass_only_the_request_target_and_headers_in_any_case() -> None:
    url, headers = sign_callback(URL, KEY, "MSS_A", NOW)
    parts = urlsplit(url)
    assert verify_callback(f"{parts.path}?{parts.query}", KEY, now=NOW)
    url, headers = sign_callback(URL, KEY, "MSS_A_HEAD", NOW)
    shouted = [(name.upper(), value) for name, value in headers.items()]
    assert verify_callback("/metastudio/live-events", KEY, headers=shouted, now=NOW)


def test_a_wrong_key_fails() -> None:
    url, headers = sign_callback(URL, KEY, "MSS_A_HEAD", NOW)
    result = verify_callback(url, KEY + "x", headers=headers, now=NOW)
    assert not result and "signature mismatch" in result.reason


@pytest.mark.parametrize("auth_type", ["MSS_A", "MSS_A_HEAD"])
def test_tampering_with_the_path_the_time_or_the_secret_fails(auth_type: str) -> None:
    url, headers = sign_callback(URL, KEY, auth_type, NOW)
    later = format(NOW + 60, "x")
    if auth_type == "MSS_A":
        moved = url.replace("/live-events", "/other")
        retimed = url.replace("hwTime=6553f100", f"hwTime={later}")
        secret = query(url)["hwSecret"]
        forged = url.replace(secret, secret[:-1] + ("0" if secret[-1] != "0" else "1"))
        cases = [(moved, headers), (retimed, headers), (forged, headers)]
    else:
        secret = headers["x-hw-mss-secret"]
        cases = [
            (URL.replace("/live-events", "/other"), headers),
            (URL, {**headers, "x-hw-mss-time": later}),
            (URL, {**headers, "x-hw-mss-secret": secret[::-1]}),
        ]
    for tampered_url, tampered_headers in cases:
        result = verify_callback(tampered_url, KEY, headers=tampered_headers, now=NOW)
        assert not result.valid and "signature mismatch" in result.reason


def test_the_query_string_is_not_covered_by_the_signature() -> None:
    # As the service defines it (docs/events.md says so): only the path and the time are signed.
    url, _ = sign_callback(URL, KEY, "MSS_A", NOW)
    assert verify_callback(url.replace("tenant=acme", "tenant=other"), KEY, now=NOW)


def test_an_expired_signature_fails_and_says_how_old_it_is() -> None:
    url, headers = sign_callback(URL, KEY, "MSS_A_HEAD", NOW)
    assert verify_callback(url, KEY, headers=headers, now=NOW + 300)  # the limit itself is still fine
    result = verify_callback(url, KEY, headers=headers, now=NOW + 301)
    assert not result and result.reason == "expired: signed 301 s ago (max age 300 s)"
    assert not verify_callback(url, KEY, headers=headers, now=NOW + 31, max_age_seconds=30)


def test_a_timestamp_from_the_future_fails_beyond_a_small_skew() -> None:
    url, _ = sign_callback(URL, KEY, "MSS_A", NOW + 600)
    result = verify_callback(url, KEY, now=NOW)
    assert not result and result.reason == "signed 600 s in the future (max clock skew 60 s)"
    url, _headers = sign_callback(URL, KEY, "MSS_A", NOW + 30)
    assert verify_callback(url, KEY, now=NOW)  # ordinary clock drift
    assert not verify_callback(url, KEY, now=NOW, max_skew_seconds=10)


def test_the_clock_and_datetimes_are_accepted_for_now() -> None:
    from datetime import UTC, datetime

    url, _ = sign_callback(URL, KEY, "MSS_A", time.time())
    assert verify_callback(url, KEY)
    url, _ = sign_callback(URL, KEY, "MSS_A", datetime.fromtimestamp(NOW, UTC))
    assert verify_callback(url, KEY, now=datetime.fromtimestamp(NOW + 1, UTC))


def test_a_millisecond_hwtime_is_read_as_milliseconds() -> None:
    hw_time = format(NOW * 1000, "x")
    secret = hmac.new(KEY.encode(), ("/cb" + hw_time).encode(), hashlib.sha256).hexdigest()
    headers = {"x-hw-mss-secret": secret, "x-hw-mss-time": hw_time}
    result = verify_callback("/cb", KEY, headers=headers, now=NOW + 2)
    assert result and result.signed_at == NOW


@pytest.mark.parametrize(
    ("url", "headers", "auth_type", "reason"),
    [
        ("/cb", {}, None, "unsigned: no x-hw-mss-secret header and no hwSecret query parameter"),
        ("/cb?hwTime=6553f100", {}, None, "hwSecret is missing or empty"),
        ("/cb", {"x-hw-mss-secret": "ab"}, None, "x-hw-mss-time is missing or empty"),
        ("/cb?hwSecret=ab&hwTime=zz", {}, None, "hwTime is not a hexadecimal timestamp"),
        (
            "/cb",
            {"x-hw-mss-secret": "ab", "x-hw-mss-time": "1"},
            "MSS_A",
            "unsigned: no hwSecret query parameter",
        ),
        ("/cb?hwSecret=ab&hwTime=1", {}, "MSS_A_HEAD", "unsigned: no x-hw-mss-secret header"),
        ("/cb", {}, "NONE", "cannot verify auth_type NONE: only MSS_A and MSS_A_HEAD are signed"),
    ],
)
def test_malformed_requests_fail_with_a_clear_reason(
    url: str, headers: dict[str, str], auth_type: str | None, reason: str
) -> None:
    result = verify_callback(url, KEY, headers=headers, auth_type=auth_type, now=NOW)
    assert not result.valid and result.reason == reason


def test_a_forged_non_ascii_secret_is_an_ordinary_mismatch() -> None:
    result = verify_callback(
        "/cb", KEY, headers={"x-hw-mss-secret": "签名", "x-hw-mss-time": "6553f100"}, now=NOW
    )
    assert not result and "signature mismatch" in result.reason


def test_upper_case_hex_in_the_secret_is_accepted_but_hwtime_is_hashed_as_received() -> None:
    url, headers = sign_callback(URL, KEY, "MSS_A_HEAD", NOW)
    assert verify_callback(
        url, KEY, headers={**headers, "x-hw-mss-secret": headers["x-hw-mss-secret"].upper()}, now=NOW
    )
    # hwTime is part of the signed text: changing its case changes what was signed.
    assert not verify_callback(
        url, KEY, headers={**headers, "x-hw-mss-time": headers["x-hw-mss-time"].upper()}, now=NOW
    )


@settings(max_examples=60, deadline=None)
@given(
    path=st.lists(st.text(alphabet="abcXYZ019-_.~%", min_size=1, max_size=8), max_size=4),
    key=st.text(max_size=32),
    now=st.integers(min_value=0, max_value=4_102_415_999),
    auth_type=st.sampled_from(["MSS_A", "MSS_A_HEAD"]),
)
def test_property_what_sign_produces_verify_accepts(
    path: list[str], key: str, now: int, auth_type: str
) -> None:
    url = "https://h.example.com/" + "/".join(path)
    signed, headers = sign_callback(url, key, auth_type, now)
    assert verify_callback(signed, key, headers=headers, now=now, auth_type=auth_type)
    assert not verify_callback(signed, key + "!", headers=headers, now=now)


# --------------------------------------------------------------------------------------------------
# smartlive callbacks verify
# --------------------------------------------------------------------------------------------------


def signed_headers(url: str = URL) -> list[str]:
    _, headers = sign_callback(url, KEY, "MSS_A_HEAD", time.time())
    return [f"--header={name}: {value}" for name, value in headers.items()]


def test_cli_valid_mss_a_head(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CB_KEY", KEY)
    code = main(["callbacks", "verify", "--url", URL, *signed_headers(), "--key-env", "CB_KEY"])
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith("valid: MSS_A_HEAD signature") and err == ""
    assert KEY not in out + err


def test_cli_valid_mss_a_from_a_key_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key_file = tmp_path / "callback.key"
    key_file.write_text(KEY + "\n")  # the newline `echo` adds is not part of the key
    url, _ = sign_callback(URL, KEY, "MSS_A", time.time())
    code = main(["callbacks", "verify", "--url", url, "--key-file", str(key_file), "--auth-type", "MSS_A"])
    assert code == 0 and capsys.readouterr().out.startswith("valid: MSS_A signature")


def test_cli_invalid_says_why_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CB_KEY", "another-key")
    code = main(["callbacks", "verify", "--url", URL, *signed_headers(), "--key-env", "CB_KEY"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert out == "invalid: signature mismatch: wrong key, or the path or the time was altered\n"


def test_cli_expired(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CB_KEY", KEY)
    url, _ = sign_callback(URL, KEY, "MSS_A", time.time() - 100)
    assert main(["callbacks", "verify", "--url", url, "--key-env", "CB_KEY", "--max-age", "60"]) == 1
    assert capsys.readouterr().out.startswith("invalid: expired: signed 10")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--key-env", "CB_KEY_NOT_SET"], "environment variable CB_KEY_NOT_SET is not set"),
        (["--key-env", "CB_EMPTY"], "environment variable CB_EMPTY is empty"),
        (["--key-file", "/nonexistent/callback.key"], "cannot read --key-file /nonexistent/callback.key"),
        (
            ["--key-env", "CB_KEY", "--header", "x-hw-mss-secret abc"],
            "--header #1 must look like 'Name: value'",
        ),
        # Only regular files of at most 64 KiB: a FIFO would hang the command, /dev/zero exhaust memory.
        (
            ["--key-file", "/dev/zero"],
            "--key-file /dev/zero cannot be read: not a regular file (a character device)",
        ),
        (["--key-file", "FIFO"], "cannot be read: not a regular file (a named pipe)"),
        (["--key-file", "BIG"], "cannot be read: larger than 64 KiB; not read"),
        (["--key-file", "BINARY"], "cannot be read: not UTF-8 text"),
    ],
)
def test_cli_usage_errors_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    extra: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkfifo("FIFO")
    Path("BIG").write_bytes(b"k" * (64 * 1024 + 1))
    Path("BINARY").write_bytes(b"\xff\xfe key")
    monkeypatch.delenv("CB_KEY_NOT_SET", raising=False)
    monkeypatch.setenv("CB_EMPTY", "")
    monkeypatch.setenv("CB_KEY", KEY)
    assert main(["callbacks", "verify", "--url", URL, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and KEY not in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("max_age", ["-1", "nan", "inf"])
def test_cli_max_age_must_be_a_finite_number_of_seconds(
    max_age: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CB_KEY", KEY)
    with pytest.raises(SystemExit) as exited:
        main(["callbacks", "verify", "--url", URL, "--key-env", "CB_KEY", "--max-age", max_age])
    assert exited.value.code == 2
    assert "argument --max-age: " in capsys.readouterr().err


def test_cli_refuses_a_missing_key_option_and_has_no_key_argument(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as missing:
        main(["callbacks", "verify", "--url", URL])
    assert missing.value.code == 2
    with pytest.raises(SystemExit) as in_clear:
        main(["callbacks", "verify", "--url", URL, "--key", KEY])
    assert in_clear.value.code == 2
    assert KEY not in capsys.readouterr().out


def test_cli_as_a_subprocess() -> None:
    env = {**os.environ, "CB_KEY": KEY}
    command = [sys.executable, "-m", "reconciler", "callbacks", "verify", "--url", URL, "--key-env", "CB_KEY"]
    valid = subprocess.run([*command, *signed_headers()], env=env, capture_output=True, text=True, timeout=60)
    assert valid.returncode == 0, valid.stderr
    assert valid.stdout.startswith("valid: MSS_A_HEAD signature")
    unsigned = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert unsigned.returncode == 1
    assert unsigned.stdout == "invalid: unsigned: no x-hw-mss-secret header and no hwSecret query parameter\n"


def test_the_readme_receiver_example_works_in_a_starlette_app(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    monkeypatch.setenv("MSS_CALLBACK_KEY", KEY)

    async def live_event_callback(request: Request) -> Response:
        result = verify_callback(str(request.url), os.environ["MSS_CALLBACK_KEY"], headers=request.headers)
        if not result:
            return Response(result.reason, status_code=401)
        return JSONResponse(await request.json())

    app = Starlette(routes=[Route("/hooks/live", live_event_callback, methods=["POST"])])
    body = {"event_type": "REPLY_COMMAND_FINISH", "message": "{}"}

    async def scenario() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
            responses = []
            for auth_type in ("MSS_A", "MSS_A_HEAD"):
                url, headers = sign_callback("http://testserver/hooks/live?x=1", KEY, auth_type, time.time())
                responses.append(await client.post(url, json=body, headers=headers))
            responses.append(await client.post("http://testserver/hooks/live", json=body))
            return responses

    signed_a, signed_head, unsigned = asyncio.run(scenario())
    assert signed_a.status_code == 200 and signed_head.status_code == 200 and signed_a.json() == body
    assert unsigned.status_code == 401 and unsigned.text.startswith("unsigned")
