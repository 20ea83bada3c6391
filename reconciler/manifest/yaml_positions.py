"""Line and column of a path inside a YAML file: the slow, exact pass, run only on files with findings.

libyaml composes the file into nodes that carry their marks; a path such as
``("spec", "interaction_rules", 3, "hit_condition", "priority")`` is walked through those nodes. The
file was already parsed once without error by ``yaml_documents``, so composing it again succeeds and
yields the same documents in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.manifest.diagnostics import PathPart

try:
    from yaml.cyaml import CBaseLoader as NodeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.loader import BaseLoader as NodeLoader  # type: ignore[assignment]


class PositionIndex:
    """The documents of one file as position-carrying nodes."""

    def __init__(self, data: bytes) -> None:
        try:
            # A base loader: libyaml's composer, no implicit type resolution (types are not needed here).
            self._roots: list[Node] = list(yaml.compose_all(data, Loader=NodeLoader))
        except yaml.YAMLError:  # the file changed since it was parsed: fall back to document starts
            self._roots = []

    def locate(
        self, document: int, path: Sequence[PathPart], *, at_key: bool = False
    ) -> tuple[int, int] | None:
        """1-based (line, column) of ``path`` in ``document``; the nearest enclosing node that exists
        when the path does not (a missing field points at the mapping that lacks it)."""
        if document >= len(self._roots):
            return None
        node: Node = self._roots[document]
        key_node: Node | None = None
        complete = True
        for part in path:
            step = _child(node, part)
            if step is None:
                complete = False
                break
            node, key_node = step
        target: Node
        if complete and isinstance(node, ScalarNode) and not at_key:
            target = node
        else:
            # A collection, a missing field or a key: point at the key that names it, which is on
            # the line a reader looks at ("video_config:"), not at its first child.
            target = key_node if key_node is not None else node
        mark = target.start_mark
        return mark.line + 1, mark.column + 1


def _child(node: Node, part: PathPart) -> tuple[Node, Node | None] | None:
    if isinstance(node, MappingNode) and isinstance(part, str):
        return _mapping_child(node, part, depth=0)
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item: Node = node.value[part]
        return item, None
    return None


def _mapping_child(node: MappingNode, key: str, depth: int) -> tuple[Node, Node | None] | None:
    pairs: list[tuple[Node, Node]] = node.value
    merges: list[Any] = []
    for key_node, value_node in pairs:
        if isinstance(key_node, ScalarNode):
            if key_node.value == "<<" and not key_node.style and depth < 8:
                merges.append(value_node)
            elif key_node.value == key:
                return value_node, key_node
    # Not written here: it may come from a merge key (earlier sources win, as when loading).
    for merged in merges:
        sources = merged.value if isinstance(merged, SequenceNode) else [merged]
        for source in sources:
            if isinstance(source, MappingNode):
                found = _mapping_child(source, key, depth + 1)
                if found is not None:
                    return found
    return None
