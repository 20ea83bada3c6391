"""schemas/: generated from the manifest models, checked in, and agreeing with `smartlive validate`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from reconciler.api.field_docs import field_doc
from reconciler.api.object_docs import OBJECT_DOCS
from reconciler.cli import main
from reconciler.manifest import SECRET_REF_PATTERN, kinds, load_manifests
from reconciler.manifest.schema import COMBINED_FILE, schema_files
from reconciler.manifest.yaml_documents import parse_documents
from reconciler.project.schema import PROJECT_SCHEMA_FILE, every_schema_file
from reconciler.redaction import redact

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
EXAMPLES = sorted((REPO / "examples").rglob("*.yaml"))
INVALID = REPO / "tests" / "data" / "invalid"


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded


@cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    """Built once per schema file: building one checks the schema, which is most of the cost."""
    return jsonschema.Draft202012Validator(schema(name))


@cache
def generated() -> dict[str, str]:
    """What `smartlive schema` writes: the kinds' schemas and the project file's (Project.json)."""
    return every_schema_file()


def documents(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def test_checked_in_schemas_are_fresh() -> None:
    fresh = generated()
    assert sorted(fresh) == sorted(p.name for p in SCHEMAS.glob("*.json")), (
        "run: smartlive schema --out schemas/"
    )
    for name, text in fresh.items():
        assert (SCHEMAS / name).read_text(encoding="utf-8") == text, (
            f"{name} is stale: run smartlive schema --out schemas/"
        )


def test_one_schema_per_kind_plus_the_combined_one_and_the_project_files() -> None:
    assert set(generated()) == {f"{kind}.json" for kind in kinds()} | {COMBINED_FILE, PROJECT_SCHEMA_FILE}
    assert set(schema_files()) == set(generated()) - {PROJECT_SCHEMA_FILE}


def test_generation_is_deterministic_and_valid_2020_12() -> None:
    assert every_schema_file() == generated()
    for name, text in generated().items():
        assert text.endswith("}\n") and not text.endswith("\n\n")
        loaded = json.loads(text)
        assert loaded["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(loaded)
        assert json.dumps(loaded, indent=2, sort_keys=True, ensure_ascii=False) + "\n" == text, name


def test_secret_fields_carry_the_reference_pattern() -> None:
    job = schema("SmartLiveJob.json")
    stream_keys = job["$defs"]["LiveJobSpec"]["properties"]["stream_keys"]
    assert stream_keys["items"]["pattern"] == SECRET_REF_PATTERN
    key = job["$defs"]["LiveEventCallBackConfigSpec"]["properties"]["key"]
    assert key["pattern"] == SECRET_REF_PATTERN


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_validate_against_the_schemas(path: Path) -> None:
    for document in documents(path):
        if document["kind"] == "Project":  # examples/smartlive.yaml, the project file: its own schema
            validator(PROJECT_SCHEMA_FILE).validate(document)
            continue
        validator(f"{document['kind']}.json").validate(document)
        validator(COMBINED_FILE).validate(document)


# Type-level problems: the schema must reject them as validate does (semantic ones it cannot see).
TYPE_LEVEL = sorted(p for p in INVALID.glob("m*.yaml") if p.name not in {"m011-bad-annotation.yaml"})


@pytest.mark.parametrize("path", TYPE_LEVEL, ids=[p.name for p in TYPE_LEVEL])
def test_type_level_errors_are_schema_errors_too(path: Path) -> None:
    assert not load_manifests([path]).ok
    assert any(not validator(COMBINED_FILE).is_valid(document) for document in documents(path))


# The J checks that narrow an enum (NarrowedEnum): the schemas narrow it too, so editors never offer it.
NARROWED = {"j005-codec.yaml"}


def test_semantic_errors_pass_the_schema() -> None:
    """The R/J checks are validate's alone: the schema accepts such files (and docs/manifests.md says so)."""
    for path in sorted(INVALID.glob("[rj]*.yaml")):
        if path.name not in NARROWED:
            valid = all(validator(COMBINED_FILE).is_valid(document) for document in documents(path))
            assert valid, path.name


@pytest.mark.parametrize("name", sorted(NARROWED))
def test_narrowed_enums_are_schema_errors_too(name: str) -> None:
    assert not load_manifests([INVALID / name]).ok
    for file in (COMBINED_FILE, "SmartLiveJob.json"):
        assert not any(validator(file).is_valid(document) for document in documents(INVALID / name))


def test_schema_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    assert main(["schema", "--out", str(out), "--check"]) == 1
    assert "out of date" in capsys.readouterr().out
    assert main(["schema", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(generated())
    capsys.readouterr()
    assert main(["schema", "--out", str(out), "--check"]) == 0
    assert main(["schema", "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""  # nothing rewritten when nothing changed
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "smartlive manifest"
    assert main(["schema", "--check"]) == 2


# Issue 15, item 2: values the schema accepted and validate refused (86 of 11,788 fuzz cases).
JOB = """apiVersion: smartlive/v1
kind: SmartLiveJob
metadata: {{name: j}}
spec:
  room_id: r-1
  video_config: {{codec: {codec}, width: 1920, height: 1080, bitrate: {bitrate}}}
  output_urls: [rtmps://push.example.com/live]
  stream_keys: [{stream_key}]
  interaction_callback_url: {callback}
"""
GOOD = {
    "codec": "H264",
    "bitrate": "4000",
    "stream_key": '"${env:KEY}"',
    "callback": "https://hooks.example.com/i",
}


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("bitrate", "5000.0", None),  # an integer, as JSON Schema counts it
        ("bitrate", "4e3", None),
        ("bitrate", "1.0e308", "M007"),  # an integer, and out of range for both
        ("bitrate", "4000.5", "M006"),
        ("stream_key", '"${file: }"', "M009"),
        ("stream_key", '"${file:\\t}"', "M009"),
        ("stream_key", '"${env:KEY}\\n"', "M009"),
        ("stream_key", '"${file:keys/portrait.txt}"', None),
        ("callback", '"${env:}"', "M009"),
        ("callback", '"${file: }"', "M009"),
        ("callback", '"${env:CALLBACK_URL"', "M009"),
        ("callback", '"${env:CALLBACK_URL}"', None),
        # Issue 13, item 6: nothing an editor offers is refused by validate, and the reverse.
        ("callback", "null", "M006"),  # null where the key should be left out
        ("callback", "", "M006"),  # a key with no value is null too
        ("bitrate", "~", "M006"),  # a required field
        ("codec", "VP8", "J005"),  # live video is H264: the schema's enum says so too
        ("codec", "QTRLE", "J005"),
    ],
)
def test_the_schema_and_validate_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: str, code: str | None
) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(JOB.format(**{**GOOD, field: value}), encoding="utf-8")
    exit_code = main(["validate", str(path)])
    out = capsys.readouterr().out
    [document] = [d.data for d in parse_documents(path.read_bytes()).documents]
    accepted_by_schema = validator(COMBINED_FILE).is_valid(document)
    if code is None:
        assert exit_code == 0 and accepted_by_schema, out
    else:
        assert exit_code == 1 and f"error[{code}]" in out
        assert not accepted_by_schema


def test_a_yaml_float_with_no_fraction_is_an_integer_for_check_jsonschema_too() -> None:
    """check-jsonschema reads 5000.0 as a float, and JSON Schema counts it an integer: validate agrees."""
    document = yaml.safe_load(JOB.format(**{**GOOD, "bitrate": "5000.0"}))
    assert document["spec"]["video_config"]["bitrate"] == 5000.0
    assert validator(COMBINED_FILE).is_valid(document)


# --- for editors (issue 13, item 6) ------------------------------------------------------------------

#: What the API reference's pages and the maintainers' notes say, which a user cannot look up.
JARGON = re.compile(r"\bseeds? \d|\(seed|\btable \d|\bSDK\b|unit test|``")


def described(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, description) of every property declared anywhere in a schema, $defs included."""
    if isinstance(node, dict):
        for key, value in (node.get("properties") or {}).items():
            yield f"{path}.{key}", value.get("description", "") if isinstance(value, dict) else ""
        for key, value in node.items():
            yield from described(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from described(value, f"{path}[{index}]")


def descriptions(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("description"), str):
            yield node["description"]
        for value in node.values():
            yield from descriptions(value)
    elif isinstance(node, list):
        for value in node:
            yield from descriptions(value)


@pytest.mark.parametrize("name", sorted(generated()))
def test_every_property_has_a_description(name: str) -> None:
    found = list(described(schema(name)))
    assert len(found) > (15 if name == PROJECT_SCHEMA_FILE else 20)  # the project file has fewer fields
    assert [path for path, text in found if not text.strip()] == []


def test_api_fields_are_described_by_the_api_documentation() -> None:
    job = schema("SmartLiveJob.json")["$defs"]
    assert job["VideoConfig"]["properties"]["bitrate"]["description"] == field_doc("VideoConfig", "bitrate")
    assert "kbps" in job["VideoConfig"]["properties"]["bitrate"]["description"]
    # A field the API documents only by its object (StartSmartLiveReq.video_config): the object's text.
    assert job["LiveJobSpec"]["properties"]["video_config"]["description"] == OBJECT_DOCS["VideoConfig"]
    # smartlive's own fields, and a secret's reference form after the API's text.
    assert job["LiveJobSpec"]["properties"]["state"]["description"].startswith("running: apply starts")
    key = job["LiveEventCallBackConfigSpec"]["properties"]["key"]["description"]
    assert key.startswith(field_doc("LiveEventCallBackConfig", "key")) and "${env:NAME}" in key


@pytest.mark.parametrize("name", sorted(generated()))
def test_descriptions_carry_no_reference_page_jargon(name: str) -> None:
    assert [text for text in descriptions(schema(name)) if JARGON.search(text)] == []


def test_every_file_has_its_own_id() -> None:
    ids = {name: schema(name)["$id"] for name in generated()}
    assert ids == {name: f"https://smartlive.io/schemas/v1/{name}" for name in generated()}


def null_allowed_at(node: Any, path: str = "") -> Iterator[str]:
    """Where a schema lists null as a value, or offers it as a default."""
    if isinstance(node, dict):
        if node.get("type") == "null" or "null" in (node.get("type") or []) or node.get("default", 0) is None:
            yield path
        for key, value in node.items():
            yield from null_allowed_at(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from null_allowed_at(value, f"{path}[{index}]")


@pytest.mark.parametrize("name", sorted(generated()))
def test_null_is_listed_only_where_it_says_something(name: str) -> None:
    # An InteractionRuleTest's `expect: {rule: null}`: no rule fires. Nowhere else is null a value.
    allowed = {"/$defs/Expectation/properties/rule/anyOf[1]"}
    assert set(null_allowed_at(schema(name))) <= allowed


RULE_TEST = """apiVersion: smartlive/v1
kind: InteractionRuleTest
metadata: {{name: t}}
spec:
  group: faq
  events:
    - {{type: comment, content: {{user: {{userId: "1", name: ann}}, content: hi}}, expect: {expect}}}
"""


@pytest.mark.parametrize(
    ("expect", "code"),
    [("{rule: null}", None), ("{rule: price}", None), ("{rule: price, fallback: null}", "M006")],
)
def test_null_where_it_says_something_is_accepted_by_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], expect: str, code: str | None
) -> None:
    path = tmp_path / "test.yaml"
    path.write_text(RULE_TEST.format(expect=expect), encoding="utf-8")
    [document] = [d.data for d in parse_documents(path.read_bytes()).documents]
    result = load_manifests([path])
    assert [d.code for d in result.diagnostics] == ([] if code is None else [code])
    assert validator(COMBINED_FILE).is_valid(document) == (code is None)
    assert validator("InteractionRuleTest.json").is_valid(document) == (code is None)


@pytest.mark.parametrize("name", ["SmartLiveJob.json", "SmartLiveRoom.json", COMBINED_FILE])
def test_live_video_offers_only_h264(name: str) -> None:
    codec = schema(name)["$defs"]["VideoConfig"]["properties"]["codec"]
    assert codec["enum"] == ["H264"]
    assert "J005" in codec["description"]


def test_smartlive_schema_prints_the_files_unredacted() -> None:
    """Every line smartlive prints passes the output redaction: no description may look like a secret
    (the API's "x-hw-mss-secret=hmac_sha256(...)" did), or `smartlive schema > FILE` would differ."""
    for name, text in generated().items():
        assert redact(text) == text, name


PROJECT_FILE = """apiVersion: smartlive/v1
kind: Project
paths: [rule-groups/]
default_environment: staging
environments:
  staging:
    endpoint: https://metastudio.example.com
    project_id: p-1
    credentials: {ak_env: STAGING_AK, sk_env: STAGING_SK}
    variables: {prefix: stg, bitrate: 4000}
"""


@pytest.mark.parametrize(
    ("edit", "valid"),
    [
        ((), True),
        (("    variables:", "    password: hunter2\n    variables:"), False),
        (("bitrate: 4000", "bitrate: [4000]"), False),
        (("paths: [rule-groups/]", "paths: []"), False),
        (("kind: Project", "kind: InteractionRuleGroup"), False),
    ],
)
def test_the_project_schema_accepts_what_the_project_file_reader_accepts(
    tmp_path: Path, edit: tuple[str, ...], valid: bool
) -> None:
    from reconciler.project.reading import ProjectFileError, read_project_file

    text = PROJECT_FILE.replace(*edit) if edit else PROJECT_FILE
    path = tmp_path / "smartlive.yaml"
    path.write_text(text, encoding="utf-8")
    assert validator(PROJECT_SCHEMA_FILE).is_valid(yaml.safe_load(text)) == valid
    try:
        read_project_file(path)
    except ProjectFileError:
        assert not valid
    else:
        assert valid
