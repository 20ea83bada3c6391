"""schemas/: generated from the manifest models, checked in, and agreeing with `smartlive validate`."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from reconciler.cli import main
from reconciler.manifest import SECRET_REF_PATTERN, kinds, load_manifests
from reconciler.manifest.schema import COMBINED_FILE, schema_files

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
    return schema_files()


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


def test_one_schema_per_kind_plus_the_combined_one() -> None:
    assert set(generated()) == {f"{kind}.json" for kind in kinds()} | {COMBINED_FILE}


def test_generation_is_deterministic_and_valid_2020_12() -> None:
    assert schema_files() == generated()
    for name, text in generated().items():
        assert text.endswith("}\n") and not text.endswith("\n\n")
        loaded = json.loads(text)
        assert loaded["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(loaded)
        assert json.dumps(loaded, indent=2, sort_keys=True, ensure_ascii=False) + "\n" == text, name


def test_secret_fields_carry_the_reference_pattern() -> None:
    job = schema("SmartLiveJob.json")
    stream_keys = job["$defs"]["LiveJobSpec"]["properties"]["stream_keys"]["anyOf"][0]
    assert stream_keys["items"]["pattern"] == SECRET_REF_PATTERN
    key = job["$defs"]["LiveEventCallBackConfigSpec"]["properties"]["key"]["anyOf"][0]
    assert key["pattern"] == SECRET_REF_PATTERN


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_validate_against_the_schemas(path: Path) -> None:
    for document in documents(path):
        validator(f"{document['kind']}.json").validate(document)
        validator(COMBINED_FILE).validate(document)


# Type-level problems: the schema must reject them as validate does (semantic ones it cannot see).
TYPE_LEVEL = sorted(p for p in INVALID.glob("m*.yaml") if p.name not in {"m011-bad-annotation.yaml"})


@pytest.mark.parametrize("path", TYPE_LEVEL, ids=[p.name for p in TYPE_LEVEL])
def test_type_level_errors_are_schema_errors_too(path: Path) -> None:
    assert not load_manifests([path]).ok
    assert any(not validator(COMBINED_FILE).is_valid(document) for document in documents(path))


def test_semantic_errors_pass_the_schema() -> None:
    """The R/J checks are validate's alone: the schema accepts such files (and says so in README)."""
    for path in sorted(INVALID.glob("[rj]*.yaml")):
        assert all(validator(COMBINED_FILE).is_valid(document) for document in documents(path)), path.name


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
