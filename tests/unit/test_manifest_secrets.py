"""Secret references: resolved only when a request is built, and never shown anywhere."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.errors import ManifestError
from reconciler.kinds.live_job import LiveJobManifest
from reconciler.manifest import LoadResult, SecretRef, load_manifests
from reconciler.manifest.render import RENDERERS
from reconciler.manifest.secrets import LiteralSecret

STREAM_KEY = "sk-live-7f3a9c0d1e2f"
CALLBACK_KEY = "hmac-key-0123456789"
TOKEN = "tok-99887766"

JOB = """\
apiVersion: smartlive/v1
kind: SmartLiveJob
metadata:
  name: evening
spec:
  room_id: a3e9d0c4-2b7f-4f61-8c15-6e2d9b4a7c02
  video_config: {width: 1080, height: 1920, bitrate: 4000}
  output_urls: [rtmp://push.example.com/live]
  stream_keys: ["${env:STREAM_KEY}"]
  interaction_callback_url: "https://hooks.example.com/i?token=TOKEN"
  live_event_callback_config:
    live_event_type_callback_url: https://hooks.example.com/events
    auth_type: MSS_A
    key: ${file:secrets/callback-key.txt}
""".replace("TOKEN", TOKEN)


def load_job(tmp_path: Path, text: str = JOB) -> tuple[LoadResult, LiveJobManifest]:
    (tmp_path / "secrets").mkdir(exist_ok=True)
    (tmp_path / "secrets" / "callback-key.txt").write_text(CALLBACK_KEY + "\n", encoding="utf-8")
    (tmp_path / "jobs").mkdir(exist_ok=True)
    # The manifest lives in a sub-directory: ${file:...} is relative to it, not to the working directory.
    (tmp_path / "jobs" / "job.yaml").write_text(text.replace("secrets/", "../secrets/"), encoding="utf-8")
    result = load_manifests([tmp_path / "jobs"])
    assert result.ok, [str(d) for d in result.diagnostics]
    (job,) = result.of_kind(LiveJobManifest)
    return result, job


def test_request_gets_the_resolved_values(tmp_path: Path) -> None:
    _, job = load_job(tmp_path)
    request = job.to_start_request({"STREAM_KEY": STREAM_KEY})
    assert request.stream_keys == [STREAM_KEY]
    assert request.live_event_callback_config is not None
    assert request.live_event_callback_config.key == CALLBACK_KEY  # trailing newline of the file dropped
    assert request.interaction_callback_url == f"https://hooks.example.com/i?token={TOKEN}"
    assert request.output_urls == ["rtmp://push.example.com/live"]
    assert request.video_config is not None and request.video_config.width == 1080


def test_secret_values_never_appear_in_reprs_dumps_or_diagnostics(tmp_path: Path) -> None:
    result, job = load_job(tmp_path)
    job.to_start_request({"STREAM_KEY": STREAM_KEY})  # resolving must not leave values behind
    shown = [
        repr(job),
        str(job),
        repr(job.spec),
        json.dumps(job.spec.model_dump(mode="json")),
        repr(list(job.secret_references())),
        *(render(result) for render in RENDERERS.values()),
    ]
    for text in shown:
        for secret in (STREAM_KEY, CALLBACK_KEY, TOKEN):
            assert secret not in text
    assert "${env:STREAM_KEY}" in repr(job.spec)
    assert [path for path, _ in job.secret_references()] == [
        "spec.stream_keys[0]",
        "spec.interaction_callback_url",
        "spec.live_event_callback_config.key",
    ]


def test_missing_env_var_names_the_variable(tmp_path: Path) -> None:
    _, job = load_job(tmp_path)
    with pytest.raises(
        ManifestError, match=r"environment variable STREAM_KEY is not set \(needed by \$\{env:STREAM_KEY\}\)"
    ):
        job.to_start_request({})
    with pytest.raises(ManifestError, match="STREAM_KEY is empty"):
        job.to_start_request({"STREAM_KEY": ""})


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    _, job = load_job(tmp_path)
    (tmp_path / "secrets" / "callback-key.txt").unlink()
    with pytest.raises(ManifestError, match=r"secret file .*callback-key.txt does not exist"):
        job.to_start_request({"STREAM_KEY": STREAM_KEY})


def test_value_breaking_an_api_limit_is_reported_without_the_value(tmp_path: Path) -> None:
    _, job = load_job(tmp_path)
    long_key = "k" * 40
    (tmp_path / "secrets" / "callback-key.txt").write_text(long_key, encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        job.to_start_request({"STREAM_KEY": STREAM_KEY})
    message = str(caught.value)
    assert "spec.live_event_callback_config.key" in message and "at most 32 characters" in message
    assert long_key not in message and STREAM_KEY not in message


@pytest.mark.parametrize(
    ("field", "value", "code", "message"),
    [
        (
            "stream_keys",
            f'["{STREAM_KEY}"]',
            "M008",
            "secrets must not be written in manifests; write a reference such as '${env:STREAM_KEY}' "
            "or '${file:secrets/stream-key.txt}' (relative to this manifest)",
        ),
        (
            "stream_keys",
            '["${env:}"]',
            "M009",
            "${env:NAME} needs an environment variable name (letters, digits, _)",
        ),
        ("stream_keys", '["${file: }"]', "M009", "${file:PATH} needs a path"),
        (
            "stream_keys",
            '["${vault:x}"]',
            "M009",
            "a secret reference is written ${env:NAME} or ${file:PATH}",
        ),
        (
            "stream_keys",
            "[12345]",
            "M006",
            "Input should be a valid string; put the value in quotes to make it text",
        ),
        ("stream_keys", f"{STREAM_KEY}", "M006", "Input should be a valid list"),
    ],
)
def test_literal_and_malformed_secrets(
    tmp_path: Path, field: str, value: str, code: str, message: str
) -> None:
    text = JOB.replace('stream_keys: ["${env:STREAM_KEY}"]', f"{field}: {value}")
    (tmp_path / "job.yaml").write_text(text, encoding="utf-8")
    result = load_manifests([tmp_path])
    assert [(d.code, d.message) for d in result.diagnostics] == [(code, message)]
    assert STREAM_KEY not in "".join(render(result) for render in RENDERERS.values())


def test_literal_callback_key_is_an_error(tmp_path: Path) -> None:
    text = JOB.replace("key: ${file:secrets/callback-key.txt}", f"key: {CALLBACK_KEY}")
    (tmp_path / "job.yaml").write_text(text, encoding="utf-8")
    (diagnostic,) = load_manifests([tmp_path]).diagnostics
    assert diagnostic.code == "M008" and "'${env:CALLBACK_KEY}'" in diagnostic.message
    assert diagnostic.path == "spec.live_event_callback_config.key"
    assert CALLBACK_KEY not in str(diagnostic)


def test_callback_url_may_be_a_reference(tmp_path: Path) -> None:
    text = JOB.replace(f'"https://hooks.example.com/i?token={TOKEN}"', "${env:CALLBACK_URL}")
    _, job = load_job(tmp_path, text)
    assert isinstance(job.spec.interaction_callback_url, SecretRef)
    assert str(job.spec.interaction_callback_url) == "${env:CALLBACK_URL}"
    request = job.to_start_request({"STREAM_KEY": STREAM_KEY, "CALLBACK_URL": "https://x.example.com/cb"})
    assert request.interaction_callback_url == "https://x.example.com/cb"


def test_plain_http_callback_url_is_reported_without_the_url(tmp_path: Path) -> None:
    (tmp_path / "job.yaml").write_text(
        JOB.replace("https://hooks.example.com/i", "http://hooks.example.com/i")
    )
    (tmp_path / "secrets").mkdir()
    (diagnostic,) = load_manifests([tmp_path / "job.yaml"]).diagnostics
    assert diagnostic.code == "J009" and TOKEN not in str(diagnostic)


def test_secret_ref_parse_and_repr() -> None:
    ref = SecretRef.parse("${file:keys/a.txt}", Path("/etc/smartlive"))
    assert (ref.scheme, ref.target, ref.path) == ("file", "keys/a.txt", Path("/etc/smartlive/keys/a.txt"))
    assert str(ref) == "${file:keys/a.txt}" and repr(ref) == "SecretRef('${file:keys/a.txt}')"
    assert SecretRef.parse("${file:/abs/a.txt}", Path("/x")).path == Path("/abs/a.txt")
    assert replace(ref, base_dir=None).path == Path("keys/a.txt")
    literal = LiteralSecret("hunter2")
    assert "hunter2" not in repr(literal) + str(literal) and literal.resolve() == "hunter2"
    for bad in ("$env:X", "${env:1X}", "${env:X", "${other:X}"):
        with pytest.raises(ValueError):
            SecretRef.parse(bad)
