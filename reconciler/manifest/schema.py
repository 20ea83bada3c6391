"""JSON Schemas (draft 2020-12) of the manifest kinds, generated from the same models validate uses.

One file per kind (schemas/<Kind>.json) for `check-jsonschema --schemafile` and yaml-language-server
modelines, and schemas/smartlive.json that accepts any kind (it dispatches on ``kind``). Output is
deterministic (sorted keys, two-space indent, trailing newline) so the checked-in files can be
compared with freshly generated ones.

The schemas carry the type-level rules (fields, types, ranges, enums, lengths, the secret reference
pattern); the semantic checks (R..., J..., S... codes) exist only in `smartlive validate`.
"""

from __future__ import annotations

import json
from typing import Any, Final

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from reconciler.manifest.registry import API_VERSION, KindSpec, kinds

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
COMBINED_FILE: Final = "smartlive.json"


def kind_schema(spec: KindSpec) -> dict[str, Any]:
    schema = spec.document_model.model_json_schema(mode="validation")
    return {"$schema": DIALECT, **schema}


def combined_schema() -> dict[str, Any]:
    registered = list(kinds().values())
    models: list[type[BaseModel]] = [spec.document_model for spec in registered]
    refs, definitions = models_json_schema([(model, "validation") for model in models])
    dispatch = [
        {
            "if": {"properties": {"kind": {"const": spec.kind}}, "required": ["kind"]},
            "then": refs[(spec.document_model, "validation")],
        }
        for spec in registered
    ]
    return {
        "$schema": DIALECT,
        "title": "smartlive manifest",
        "description": "Any smartlive manifest document; the kind selects the schema.",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"enum": [spec.kind for spec in registered]},
        },
        "allOf": dispatch,
        **definitions,
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_files() -> dict[str, str]:
    """File name -> content, for every kind and the combined schema."""
    files = {f"{kind}.json": render(kind_schema(spec)) for kind, spec in kinds().items()}
    files[COMBINED_FILE] = render(combined_schema())
    return files
