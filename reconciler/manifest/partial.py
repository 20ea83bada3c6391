"""The parts of a document that type-check, so that its semantic checks run in the same round as its
type errors are reported.

A document whose spec does not type-check has no model for the kind's lint to read. Rather than
waiting for the next round, the loader asks for one made of the parts that do: each *item* of a list
in the spec that holds a type error (a rule of a group, a scene script of a room: the outermost
mapping in a list on the error's path) is set aside, and the document is validated again without it.
The lint then runs on that model, and what it says is kept only where it is about what the user
wrote:

* the item set aside is replaced by an empty one (``{}``) where its type takes that (every field of
  a rule is optional), so the other items keep their indexes; a finding inside the empty stand-in is
  about the stand-in, and dropped;
* where the type needs fields (a scene script's name), the item is removed instead, and the paths of
  the findings after it are mapped back to the indexes as written;
* a finding on a list that lost or emptied an item, or on anything holding that list, may be about
  the items set aside (a count): dropped.

A type error outside any list item (``spec.video_config.bitrate: "4000"``, a missing ``spec``, a bad
``metadata``) leaves nothing that can be linked to what was written: then no model is made, and the
document's semantic checks wait for its type errors to be fixed. The checks across the set still see
its kind and ``metadata.name`` (loader.py), so a duplicate name is reported at once.

What lint messages say of another item by index (R012: "already used by interaction_rules[3]") stays
right: those lists are of rules, whose items are emptied, never removed (tests pin it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from reconciler.manifest.diagnostics import DocPath, Finding
from reconciler.manifest.validation import data_path

#: What the loader validates a document's data with (its model, strict, with its context).
Validate = Callable[[dict[str, Any]], BaseModel]

_EMPTY: Final = "empty"
_REMOVE: Final = "remove"


@dataclass(frozen=True)
class Parts:
    """The model made of the parts of a document that type-check, and how to read its lint's paths."""

    validated: BaseModel
    #: Items replaced by `{}` (paths as written).
    emptied: frozenset[DocPath] = frozenset()
    #: List path -> the indexes (as written) of the items removed from it.
    removed: Mapping[DocPath, tuple[int, ...]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Nothing was set aside: the model is the document as written (only its nulls were refused)."""
        return not self.emptied and not self.removed

    def as_written(self, finding: Finding) -> Finding | None:
        """`finding` (from the lint of `validated`) with its path as written, or None when it may be
        about what was set aside."""
        path = finding.path
        set_aside = [
            *self.emptied,
            *((*lst, index) for lst, indexes in self.removed.items() for index in indexes),
        ]
        if any(len(path) < len(item) and item[: len(path)] == path for item in set_aside):
            return None  # on the list an item was set aside from, or on what holds that list
        for lst, indexes in self.removed.items():
            index = path[len(lst)] if len(path) > len(lst) and path[: len(lst)] == lst else None
            if isinstance(index, int):
                for gone in indexes:  # sorted: each removed item at or before it shifts it by one
                    if gone <= index:
                        index += 1
                path = (*lst, index, *path[len(lst) + 1 :])
        if any(path[: len(item)] == item for item in self.emptied):
            return None  # about the empty stand-in
        return finding if path == finding.path else replace(finding, path=path)


def type_checked_parts(data: dict[str, Any], error: ValidationError, validate: Validate) -> Parts | None:
    """The model of `data` without the list items that hold `error`'s problems; None when a problem
    is outside any list item, or when the rest does not type-check either."""
    items = _items_of(error, data)
    if items is None:
        return None
    try:
        return Parts(validate(_edited(data, dict.fromkeys(items, _EMPTY))), emptied=frozenset(items))
    except ValidationError as again:
        # The items whose type does not take `{}` are removed instead; anything else failing now
        # would be a problem the first validation did not report: give up rather than guess.
        failing = _items_of(again, _edited(data, dict.fromkeys(items, _EMPTY)))
        if failing is None or not failing <= items:
            return None
    edits = {item: _REMOVE if item in failing else _EMPTY for item in items}
    removed: dict[DocPath, list[int]] = {}
    for item in failing:
        removed.setdefault(item[:-1], []).append(int(item[-1]))
    try:
        validated = validate(_edited(data, edits))
    except ValidationError:
        return None
    return Parts(
        validated,
        emptied=frozenset(items - failing),
        removed={lst: tuple(sorted(indexes)) for lst, indexes in removed.items()},
    )


def _items_of(error: ValidationError, data: Any) -> set[DocPath] | None:
    """The outermost list item (a mapping) below `spec` on the path of each of `error`'s problems;
    None when one of them has none."""
    items: set[DocPath] = set()
    for problem in error.errors(include_url=False, include_context=False, include_input=True):
        # As validation.findings_from places the problem: `input` narrows a path through a union.
        where: dict[str, Any] = {"value": problem["input"]} if "input" in problem else {}
        path = data_path(problem["loc"], data, missing=problem["type"] == "missing", **where)
        item = _outermost_item(data, path)
        if item is None:
            return None
        items.add(item)
    return items


def _outermost_item(data: Any, path: DocPath) -> DocPath | None:
    if not path or path[0] != "spec":
        return None
    current = data
    for depth, part in enumerate(path):
        if isinstance(current, list) and isinstance(part, int):
            current = current[part]
            if isinstance(current, dict):
                return path[: depth + 1]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return None
    return None


def _edited(value: Any, edits: Mapping[DocPath, str], at: DocPath = ()) -> Any:
    """`value` with each list item in `edits` emptied or removed; only the containers on the way to an
    edit are copied (the rest is shared with `value`, which is not changed)."""
    below = {path[len(at)] for path in edits if len(path) > len(at) and path[: len(at)] == at}
    if isinstance(value, dict):
        return {
            key: _edited(item, edits, (*at, key)) if key in below else item for key, item in value.items()
        }
    if isinstance(value, list):
        out: list[Any] = []
        for index, item in enumerate(value):
            edit = edits.get((*at, index))
            if edit == _REMOVE:
                continue
            if edit == _EMPTY:
                out.append({})
            else:
                out.append(_edited(item, edits, (*at, index)) if index in below else item)
        return out
    return value
