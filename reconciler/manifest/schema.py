"""JSON Schemas (draft 2020-12) of the manifest kinds, generated from the same models validate uses.

One file per kind (schemas/<Kind>.json) for `check-jsonschema --schemafile` and yaml-language-server
modelines, and schemas/smartlive.json that accepts any kind (it dispatches on ``kind``). Output is
deterministic (sorted keys, two-space indent, trailing newline) so the checked-in files can be
compared with freshly generated ones.

The schemas carry the type-level rules (fields, types, ranges, enums, lengths, the secret reference
pattern); the semantic checks (R..., J..., S... codes) exist only in `smartlive validate`, except the
enums a kind's lint narrows (NarrowedEnum: live video is H264), which the schemas narrow too.

For editors, pydantic's output is changed where it would show or offer something validate refuses or
that says nothing: every property carries a description (schema_docs.py) and no title ("Room Id" says
less); null is not listed where validate refuses it (nulls.py), nor offered as a default; each file
has an ``$id`` (SCHEMA_ID_BASE + file name).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Final

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from reconciler.manifest.nulls import null_refused
from reconciler.manifest.registry import API_VERSION, KindSpec, NarrowedEnum, kinds
from reconciler.manifest.schema_docs import field_description, model_description

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
COMBINED_FILE: Final = "smartlive.json"
#: Each file's ``$id`` is this plus its name. Versioned as apiVersion is (smartlive/v1): it changes
#: only when the manifest format does, so a schema store or an editor's cache may key on it.
SCHEMA_ID_BASE: Final = "https://smartlive.io/schemas/v1/"
_NULL: Final = {"type": "null"}


class ManifestSchema(GenerateJsonSchema):
    """pydantic's schema generator, with the changes the module docstring lists."""

    narrowed: ClassVar[Mapping[tuple[type[BaseModel], str], NarrowedEnum]] = {}

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        json_schema = super().model_schema(schema)
        model: type[BaseModel] = schema["cls"]
        description = model_description(model)
        if description:
            json_schema["description"] = description
        elif model.__doc__:  # a docstring for the maintainers (an API model's cites the reference)
            json_schema.pop("description", None)
        properties: dict[str, Any] = json_schema.get("properties", {})
        for name, field in model.model_fields.items():
            key = field.alias or name
            if key in properties:
                properties[key] = self._property(model, name, field, properties[key])
        return json_schema

    def _property(self, model: type[BaseModel], name: str, field: FieldInfo, prop: dict[str, Any]) -> Any:
        if null_refused(field):
            prop = _without_null(prop)
        if "default" in prop and prop["default"] is None:
            del prop["default"]  # completion would write it
        text = field_description(model, name, field)
        narrowed = self.narrowed.get((model, name))
        if narrowed is not None:
            prop["enum"] = [value for value in prop["enum"] if value in narrowed.values]
            text = f"{text}\n{narrowed.why}"
        # What the field's type says of itself (a secret reference's form) follows the field's text.
        of_type = prop.pop("description", "")
        prop["description"] = "\n".join(part for part in dict.fromkeys((text, of_type)) if part)
        return prop


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    """``anyOf: [X, {type: null}]`` as X, with the property's own keywords."""
    branches = prop.get("anyOf")
    if not isinstance(branches, list) or _NULL not in branches:
        return prop
    rest = [branch for branch in branches if branch != _NULL]
    outer = {key: value for key, value in prop.items() if key != "anyOf"}
    return {**rest[0], **outer} if len(rest) == 1 else {**outer, "anyOf": rest}


def _generator(specs: Iterable[KindSpec]) -> type[GenerateJsonSchema]:
    narrowed = {(item.model, item.field): item for spec in specs for item in spec.narrowed}

    class KindsSchema(ManifestSchema):
        pass

    KindsSchema.narrowed = narrowed
    return KindsSchema


def kind_schema(spec: KindSpec) -> dict[str, Any]:
    schema = spec.document_model.model_json_schema(mode="validation", schema_generator=_generator([spec]))
    return {"$schema": DIALECT, "$id": SCHEMA_ID_BASE + f"{spec.kind}.json", **schema}


def combined_schema() -> dict[str, Any]:
    registered = list(kinds().values())
    models: list[type[BaseModel]] = [spec.document_model for spec in registered]
    refs, definitions = models_json_schema(
        [(model, "validation") for model in models], schema_generator=_generator(registered)
    )
    dispatch = [
        {
            "if": {
                "properties": {"kind": {"const": spec.kind, "description": "the document's kind"}},
                "required": ["kind"],
            },
            "then": refs[(spec.document_model, "validation")],
        }
        for spec in registered
    ]
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID_BASE + COMBINED_FILE,
        "title": "smartlive manifest",
        "description": "Any smartlive manifest document; the kind selects the schema.",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": API_VERSION, "description": f"always {API_VERSION}"},
            "kind": {"enum": [spec.kind for spec in registered], "description": "the document's kind"},
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
