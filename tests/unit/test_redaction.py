"""The one redaction: known secrets and credential-shaped values never reach output; one line each."""

from __future__ import annotations

import io

import pytest

from reconciler import redaction
from reconciler.redaction import SENSITIVE, RedactingStream, one_line, redact, remember


@pytest.fixture(autouse=True)
def _fresh() -> None:
    redaction.forget_all()


def test_a_remembered_secret_is_hidden_wherever_it_appears_longest_first() -> None:
    remember("stream-key-0042")
    remember("stream-key-0042-extra")
    assert redact("key=stream-key-0042-extra, again stream-key-0042") == f"key={SENSITIVE}, again {SENSITIVE}"
    remember("ab")  # too short to hide without mangling ordinary words
    assert redact("tab") == "tab"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("https://hooks.example.com/i?token=tok-1&x=1", "https://hooks.example.com/i?token=(sensitive)&x=1"),
        ('{"X-Auth-Token": "abcdef123"}', '{"X-Auth-Token": "(sensitive)"}'),
        ("X-Security-Token: sts-1234", "X-Security-Token: (sensitive)"),
        (
            "Authorization: SDK-HMAC-SHA256 Access=ak, Signature=00ff\nnext",
            "Authorization: (sensitive)\nnext",
        ),
        ("postgresql://user:pa55@db:5432/x", "postgresql://user:(sensitive)@db:5432/x"),
        ("postgresql://user:***@db/x", "postgresql://user:***@db/x"),
        ("tok MII" + "A" * 120 + " end", f"tok {SENSITIVE} end"),
        ("a task=3 with sk=secret1", f"a task=3 with sk={SENSITIVE}"),
    ],
)
def test_credential_shapes_are_hidden_even_when_never_seen(text: str, kept: str) -> None:
    assert redact(text) == kept


def test_one_line_joins_an_echoed_body() -> None:
    assert one_line("  refused:\n  POST /v1/x\r\n\n  {body}\n") == "refused: POST /v1/x {body}"


def test_the_stream_redacts_every_write() -> None:
    remember("sk-very-secret")
    out = io.StringIO()
    stream = RedactingStream(out)
    print("the key is sk-very-secret", file=stream)  # type: ignore[arg-type]
    assert out.getvalue() == f"the key is {SENSITIVE}\n"
