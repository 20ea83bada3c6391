"""partial.py: the model made of the parts of a document that type-check, and how its lint's findings
are read back onto the document as written."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from reconciler.kinds.rule_group import RuleGroupSpec
from reconciler.kinds.smart_live_room import RoomSpec
from reconciler.manifest.diagnostics import Finding
from reconciler.manifest.partial import Parts, type_checked_parts


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    size: int | None = None


class Needy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    size: int | None = None


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[Item] = []
    needy: list[Needy] = []
    count: int = 0


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spec: Spec


def validate(data: dict[str, Any]) -> BaseModel:
    return Document.model_validate(data, strict=True)


def parts_of(data: dict[str, Any]) -> Parts | None:
    with pytest.raises(ValidationError) as caught:
        validate(data)
    return type_checked_parts(data, caught.value, validate)


def finding(*path: str | int) -> Finding:
    return Finding("R001", "x", tuple(path))


def test_an_item_whose_type_takes_nothing_is_emptied_and_keeps_every_index() -> None:
    data = {"spec": {"items": [{"name": "a"}, {"size": "big"}, {"name": "c"}]}}
    parts = parts_of(data)
    assert parts is not None
    spec: Any = parts.validated.spec  # type: ignore[attr-defined]
    assert [item.name for item in spec.items] == ["a", None, "c"]
    assert parts.emptied == {("spec", "items", 1)} and not parts.removed
    assert parts.as_written(finding("spec", "items", 2, "name")) == finding("spec", "items", 2, "name")
    assert parts.as_written(finding("spec", "items", 1, "name")) is None  # about the stand-in
    assert parts.as_written(finding("spec", "items")) is None  # on the list: may count the stand-in
    assert parts.as_written(finding("spec")) is None
    assert parts.as_written(finding("spec", "count")) == finding("spec", "count")
    assert data["spec"]["items"][1] == {"size": "big"}, "the document itself is not changed"


def test_an_item_whose_type_needs_fields_is_removed_and_the_paths_after_it_mapped_back() -> None:
    data = {
        "spec": {
            "needy": [
                {"title": "a"},
                {"title": 5},
                {"title": "c"},
                {"size": "x", "title": "d"},
                {"title": "e"},
            ]
        }
    }
    parts = parts_of(data)
    assert parts is not None
    spec: Any = parts.validated.spec  # type: ignore[attr-defined]
    assert [item.title for item in spec.needy] == ["a", "c", "e"]
    assert parts.removed == {("spec", "needy"): (1, 3)}
    assert parts.as_written(finding("spec", "needy", 0, "title")) == finding("spec", "needy", 0, "title")
    assert parts.as_written(finding("spec", "needy", 1, "title")) == finding("spec", "needy", 2, "title")
    assert parts.as_written(finding("spec", "needy", 2)) == finding("spec", "needy", 4)
    assert parts.as_written(finding("spec", "needy")) is None


def test_a_problem_outside_any_list_item_leaves_no_model() -> None:
    assert parts_of({"spec": {"items": [{"size": "big"}], "count": "many"}}) is None
    assert parts_of({"spec": {"items": [], "extra": 1}}) is None
    assert parts_of({"spec": {"items": "none"}}) is None  # the list itself
    assert parts_of({}) is None


def test_list_items_that_are_not_mappings_are_not_set_aside() -> None:
    class Strings(BaseModel):
        spec: dict[str, list[int]]

    def strict(data: dict[str, Any]) -> BaseModel:
        return Strings.model_validate(data, strict=True)

    data = {"spec": {"numbers": [1, "two", 3]}}
    with pytest.raises(ValidationError) as caught:
        strict(data)
    assert type_checked_parts(data, caught.value, strict) is None


@pytest.mark.parametrize("spec_model", [RuleGroupSpec, RoomSpec])
def test_the_rule_lists_take_an_empty_item_so_no_index_in_a_message_shifts(
    spec_model: type[BaseModel],
) -> None:
    """partial.py's promise: R012 and L004 quote another rule's index; their lists are emptied, never
    shortened, because every rule type (a group's, a room's inline rule or import) takes `{}`."""

    class Wrapped(BaseModel):
        spec: spec_model  # type: ignore[valid-type]

    def document(value: dict[str, Any]) -> BaseModel:
        return Wrapped.model_validate(value, strict=True)

    rules = [{"rule_name": "a"}, {"rule_name": "b", "event_type": "one"}, {"rule_name": "c"}]
    if spec_model is RoomSpec:
        rules.append({"import": 5})
    data = {"spec": {"interaction_rules": rules}}
    with pytest.raises(ValidationError) as caught:
        document(data)
    parts = type_checked_parts(data, caught.value, document)
    assert parts is not None and not parts.removed
    assert parts.emptied == {("spec", "interaction_rules", index) for index in range(1, len(rules), 2)}
