"""`null` in a manifest: refused where it would say the same as leaving the key out.

A key written with no value (``labels:``), ``~`` or ``null`` is YAML's null. The models accept it on every
optional field (None is their "not given"), but a manifest never needs it: a field left out is not sent,
and the API takes its own default. Accepted, it would also be what an editor's completion offers for
every optional field, since the JSON Schemas would have to list it. So validate refuses it (M006:
remove the key) and the schemas do not list it (schema.py), except on the fields marked ``NullMeans``,
where null is a value of its own (an InteractionRuleTest's ``expect: {rule: null}``: no rule fires).

The check walks the document beside the models' field types, before pydantic validates it, so that a
null is reported together with the document's other type errors.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from reconciler.manifest import codes
from reconciler.manifest.diagnostics import DocPath, Finding
from reconciler.manifest.validation import models_in


@dataclass(frozen=True, slots=True)
class NullMeans:
    """``Annotated[X | None, NullMeans("...")]``: on this field null says something (``meaning``)."""

    meaning: str


def null_is_a_value(field: FieldInfo) -> bool:
    return any(isinstance(item, NullMeans) for item in field.metadata)


def null_refused(field: FieldInfo) -> bool:
    """The field's type takes None, and None would only mean "not given": the manifest must leave it out."""
    return _takes_none(field.annotation) and not null_is_a_value(field)


def null_findings(data: Any, model: type[BaseModel]) -> Iterator[Finding]:
    """An M006 finding for each null written where the field should be left out instead."""
    yield from _in_value(data, (model,), ())


def _in_value(value: Any, candidates: tuple[type[BaseModel], ...], path: DocPath) -> Iterator[Finding]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _in_value(item, candidates, (*path, index))
        return
    if not isinstance(value, dict):
        return
    keys = _keys(candidates[0] if len(candidates) == 1 else _chosen(candidates, value))
    for key, item in value.items():
        known = keys.get(key)
        if known is None:
            continue  # an unknown field: pydantic reports it
        refused, held = known
        if item is None:
            if refused:
                yield Finding(
                    codes.WRONG_TYPE,
                    f"{key!r} is null: remove the key to leave it unset",
                    (*path, key),
                    at_key=True,
                )
        elif held and isinstance(item, dict | list):
            yield from _in_value(item, held, (*path, key))


def _chosen(candidates: tuple[type[BaseModel], ...], mapping: Mapping[Any, Any]) -> type[BaseModel]:
    """The model a mapping is validated as: of a union (a room's rule: `import` or an inline rule), the
    one that knows the most of its keys."""
    return max(candidates, key=lambda model: len(_keys(model).keys() & mapping.keys()))


@cache
def _keys(model: type[BaseModel]) -> Mapping[str, tuple[bool, tuple[type[BaseModel], ...]]]:
    """Key -> (null refused, the models its value may hold), worked out once per model."""
    return {
        key: (null_refused(field), models_in(field.annotation))
        for key, field in _fields_by_key(model).items()
    }


@cache
def _fields_by_key(model: type[BaseModel]) -> Mapping[str, FieldInfo]:
    """The model's fields by the keys a document may use: alias, and the name too where it is allowed."""
    out: dict[str, FieldInfo] = {}
    by_name = bool(model.model_config.get("populate_by_name") or model.model_config.get("validate_by_name"))
    for name, field in model.model_fields.items():
        if field.alias is None or by_name:
            out[name] = field
        if field.alias is not None:
            out[field.alias] = field
    return out


def _takes_none(annotation: Any) -> bool:
    if annotation is None or annotation is type(None):
        return True
    origin = get_origin(annotation)
    return origin in (Union, types.UnionType) and any(_takes_none(arg) for arg in get_args(annotation))
