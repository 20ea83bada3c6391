"""The text of a manifest file `smartlive export` writes: a new file in `smartlive fmt`'s canonical
layout, or an existing file updated in place.

In place means through ruamel.yaml's round trip, as fmt reads and writes: the document of the same kind
and metadata.name gets the exported values, key by key (a value that did not change keeps its node, so
its comments and quoting), keys the export no longer has are removed, new keys go after the others; its
metadata other than the name (labels, annotations) and the file's other documents are the user's and are
kept. The result is then laid out as fmt would, so the file passes `fmt --check`.

ruamel.yaml is imported by the first call (`smartlive export` only), not by the package.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from reconciler.manifest.layout import (
    LayoutError,
    canonical_documents,
    plain_data,
    round_trip_documents,
    round_trip_yaml,
)


class RewriteRefused(LayoutError):
    """The existing file holds no document of the exported kind and name: it is not export's to change."""


def new_text(document: Mapping[str, Any]) -> str:
    """A file holding `document` alone, in the canonical layout."""
    return _dumped([_node(document)])


def updated_text(existing: str, document: Mapping[str, Any]) -> str:
    """`existing` with its document of `document`'s kind and metadata.name updated to `document`.
    LayoutError when it cannot be read, RewriteRefused when it holds no such document."""
    documents = round_trip_documents(existing)
    kind, name = document["kind"], document["metadata"]["name"]
    for current in documents:
        if _names(current, kind, name):
            _update_document(current, document)
            return _dumped(documents)
    raise RewriteRefused(f"it holds no {kind} named {name!r}; left as it is")


def _names(document: Any, kind: str, name: str) -> bool:
    metadata = document.get("metadata") if isinstance(document, dict) else None
    return document.get("kind") == kind and isinstance(metadata, dict) and metadata.get("name") == name


def _update_document(current: Any, document: Mapping[str, Any]) -> None:
    current["apiVersion"] = _updated(current.get("apiVersion"), document["apiVersion"])
    if "spec" in current:
        current["spec"] = _updated(current["spec"], document["spec"])
    else:
        current["spec"] = _node(document["spec"])


def _updated(node: Any, value: Any) -> Any:
    """`node` (round-trip data) made to hold `value` (plain data), changing as little as it can."""
    if isinstance(node, dict) and isinstance(value, Mapping):
        for key in [k for k in node if k not in value]:
            del node[key]
        for key, item in value.items():
            node[key] = _updated(node[key], item) if key in node else _node(item)
        return node
    if isinstance(node, list) and isinstance(value, list):
        for index, item in enumerate(value[: len(node)]):
            node[index] = _updated(node[index], item)
        del node[len(value) :]
        node.extend(_node(item) for item in value[len(node) :])
        return node
    if _same_scalar(node, value):
        return node  # its quotes and its comments stay as written
    return _node(value)


def _same_scalar(node: Any, value: Any) -> bool:
    if isinstance(node, dict | list) or isinstance(value, Mapping | list):
        return False
    if node is None or value is None:
        return node is value
    return isinstance(node, bool) == isinstance(value, bool) and bool(node == value)


def _node(value: Any) -> Any:
    """Plain data as round-trip data; a string smartlive's YAML 1.1 loader would read as something else
    (yes, 1_000, 12:30) is double-quoted, since ruamel writes YAML 1.2."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, Mapping):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = _node(item)
        return node
    if isinstance(value, list | tuple):
        return CommentedSeq(_node(item) for item in value)
    if isinstance(value, str) and _read_otherwise(value):
        return DoubleQuotedScalarString(value)
    return value


def _read_otherwise(text: str) -> bool:
    try:
        return plain_data(text) != [text]
    except LayoutError:
        return True


def _dumped(documents: list[Any]) -> str:
    yaml = round_trip_yaml()
    out = io.StringIO()
    yaml.dump_all(documents, out)
    return canonical_documents(out.getvalue())[1]
