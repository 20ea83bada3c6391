"""Pydantic validation errors -> Findings with a path into the YAML data and a user's message.

Never shows an input value in a message: a stream key written where a list was expected would
otherwise end up in CI logs. Only values the user cannot have meant as secrets are echoed (an
enum value close to a valid one, to suggest it).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
from collections.abc import Iterator, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from reconciler.manifest import codes
from reconciler.manifest.diagnostics import DocPath, Finding, PathPart

_TYPE_ERRORS = frozenset({"int_from_float", "model_attributes_type", "none_required", "is_instance_of"})
_QUOTED = re.compile(r"'([^']*)'")
_MAX_LISTED_FIELDS = 12


def findings_from(error: ValidationError, data: Any, model: type[BaseModel]) -> list[Finding]:
    """One finding per problem: pydantic reports a value once per union member it fails (`at: {}`:
    not an integer, not a number, not a string), which is one problem, said in one line."""
    found: dict[tuple[DocPath, str], Finding] = {}
    for item in error.errors(include_url=False, include_context=True, include_input=True):
        finding = _finding(item, data, model)
        key = (finding.path, finding.code)
        earlier = found.get(key)
        found[key] = finding if earlier is None else _either(earlier, finding)
    return list(found.values())


def _either(first: Finding, other: Finding) -> Finding:
    """`Input should be a valid integer` and `... a valid string` as `... a valid integer or a valid string`."""
    prefix = "Input should be "
    if first.code != codes.WRONG_TYPE or not (
        first.message.startswith(prefix) and other.message.startswith(prefix)
    ):
        return first
    wanted = other.message.removeprefix(prefix).split(";")[0]
    if wanted in first.message:
        return first
    head, _, tail = first.message.partition(";")
    merged = f"{head.replace(' or ', ', ')} or {wanted}" if " or " in head else f"{head} or {wanted}"
    return dataclasses.replace(first, message=merged + (f";{tail}" if tail else ""))


_NO_INPUT: Any = object()


def data_path(
    loc: Sequence[PathPart], data: Any, *, missing: bool = False, value: Any = _NO_INPUT
) -> DocPath:
    """The path of ``loc`` in the data: pydantic's loc also names union members and validator
    functions ("function-plain[...]", "str"), which are not in the YAML.

    ``missing``: the last part is a field absent from the data (the parent's path plus its name).
    ``value``: the input the error is about; when a union member's name happens to be a key of the
    data (`at: {int: 1}`), the path stops at the deepest place that holds that input."""
    path: list[PathPart] = []
    held: list[Any] = [data]  # held[i]: the data at path[:i]
    current: Any = data
    last = len(loc) - 1
    for position, part in enumerate(loc):
        if isinstance(current, dict) and isinstance(part, str):
            if part in current:
                current = current[part]
            elif missing and position == last:
                current = None
            else:
                continue
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            continue
        path.append(part)
        held.append(current)
    if not missing and value is not _NO_INPUT:
        for end in range(len(path), -1, -1):
            if _same(held[end], value):
                return tuple(path[:end])
    return tuple(path)


def _same(a: Any, b: Any) -> bool:
    try:
        return a is b or bool(a == b)
    except Exception:
        return False


def _finding(item: Any, data: Any, model: type[BaseModel]) -> Finding:
    kind: str = item["type"]
    path = data_path(item["loc"], data, missing=kind == "missing", value=item.get("input", _NO_INPUT))
    message: str = item["msg"]
    if kind == "missing":
        return Finding(codes.MISSING_FIELD, f"missing required field {path[-1]!r}", path)
    if kind == "extra_forbidden":
        return Finding(codes.UNKNOWN_FIELD, _unknown_field_message(path, model), path, at_key=True)
    if kind == "secret_literal":
        return Finding(codes.LITERAL_SECRET, message, path)
    if kind == "secret_reference":
        return Finding(codes.BAD_SECRET_REFERENCE, message, path)
    if kind.endswith(("_type", "_parsing")) or kind in _TYPE_ERRORS:
        return Finding(codes.WRONG_TYPE, _type_message(kind, message, item.get("input")), path)
    if kind == "literal_error":
        message += _enum_suggestion(item.get("input"), item.get("ctx", {}).get("expected", ""))
    if kind == "value_error":  # a validator's own sentence, without pydantic's "Value error, " before it
        message = message.removeprefix("Value error, ")
    return Finding(codes.VALUE_NOT_ALLOWED, message, path)


def _type_message(kind: str, message: str, value: Any) -> str:
    if kind == "string_type" and isinstance(value, bool | int | float):
        # `value: 100` or `enabled: yes`-style mistakes: YAML read a number where text was meant.
        return f"{message}; put the value in quotes to make it text"
    if kind == "dict_type" or kind == "model_type":
        return f"{message} (a mapping of fields)"
    return message


def _enum_suggestion(value: Any, expected: str) -> str:
    if not isinstance(value, str) or not expected:
        return ""
    choices = _QUOTED.findall(expected)
    folded: dict[str, str] = {}
    for choice in choices:  # the first spelling wins: "AND" rather than the seed's "And"
        folded.setdefault(choice.casefold(), choice)
    close = difflib.get_close_matches(value.casefold(), list(folded), n=1, cutoff=0.6)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


def _unknown_field_message(path: DocPath, model: type[BaseModel]) -> str:
    name = str(path[-1]) if path else "?"
    fields = allowed_fields(model, path[:-1])
    close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6) if fields else []
    if close:
        return f"unknown field {name!r} (did you mean {close[0]!r}?)"
    if fields and len(fields) <= _MAX_LISTED_FIELDS:
        return f"unknown field {name!r}; expected one of: {', '.join(fields)}"
    return f"unknown field {name!r}"


def allowed_fields(model: type[BaseModel], path: Sequence[PathPart]) -> list[str]:
    """The field names of the model found at ``path`` below ``model`` (empty if it is not a model)."""
    current: type[BaseModel] | None = model
    for part in path:
        if current is None:
            return []
        if isinstance(part, int):
            continue  # list items: the element model was already selected with the field
        info = current.model_fields.get(part)
        current = _model_in(info.annotation) if info is not None else None
    return list(current.model_fields) if current is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The BaseModel inside Optional[...], list[...], Annotated[...]."""
    found = models_in(annotation)
    return found[0] if found else None


def models_in(annotation: Any) -> tuple[type[BaseModel], ...]:
    """Every BaseModel inside Optional[...], list[...], Annotated[...], a union of several."""
    return tuple(
        candidate
        for candidate in _walk_annotation(annotation)
        if isinstance(candidate, type) and issubclass(candidate, BaseModel)
    )


def _walk_annotation(annotation: Any) -> Iterator[Any]:
    yield annotation
    origin = get_origin(annotation)
    if origin is None:
        return
    args = get_args(annotation)
    if origin is Annotated:
        args = args[:1]
    elif origin not in (Union, types.UnionType, list, tuple, set, frozenset, dict):
        return
    if origin is dict:
        args = args[1:]
    for arg in args:
        yield from _walk_annotation(arg)
