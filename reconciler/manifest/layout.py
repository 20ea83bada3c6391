"""The canonical layout of a manifest file, for `smartlive fmt`: the text a file should have.

Round-trip YAML (ruamel.yaml) keeps what a reader of the file wrote for other readers: comments,
the quotes around a string, a short list kept on one line (`replies: [hi]`), key order below the
envelope. What it makes the same everywhere: the envelope's order (apiVersion, kind, metadata,
spec; in metadata name, labels, annotations), 2-space indentation with list dashes indented under
their key, one `---` between documents, and no folding of long lines. A plain scalar that would be
read as another type (`"yes"`, `"1"`, `"null"`) keeps its quotes: they are never removed.

ruamel.yaml is imported by the caller's first use (`smartlive fmt` only), not by the package.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, Final

ENVELOPE_ORDER: Final = ("apiVersion", "kind", "metadata", "spec")
METADATA_ORDER: Final = ("name", "labels", "annotations")
#: Wide enough that no string is ever folded onto a second line.
NEVER_FOLD: Final = 1 << 16


class LayoutError(Exception):
    """The text is not YAML the formatter can read; its message is one line."""


def canonical_documents(text: str) -> tuple[list[Any], str]:
    """(each document as round-trip data, the canonical text) of `text`. Raises LayoutError, also
    when the canonical text would not hold the same data as `text` for smartlive's own loader (a
    YAML 1.1 reader: ruamel's is 1.2), which it then must not replace."""
    documents = round_trip_documents(text)
    for document in documents:
        _order_envelope(document)
    out = io.StringIO()
    round_trip_yaml().dump_all(documents, out)
    # A moved last key takes its trailing blank lines along; a file ends with one newline.
    canonical = out.getvalue().rstrip("\n") + "\n" if documents else text
    if plain_data(canonical) != plain_data(text):
        raise LayoutError("the canonical layout would change what the file says; left as it is")
    return documents, canonical


def round_trip_documents(text: str) -> list[Any]:
    """The documents of `text` as round-trip data (comments and quotes kept); LayoutError, in one line,
    when it is not YAML."""
    from ruamel.yaml.error import YAMLError

    try:
        return list(round_trip_yaml().load_all(text))
    except YAMLError as exc:
        raise LayoutError(_one_line(exc)) from None


def plain_data(text: str) -> list[Any]:
    """The documents of `text` as smartlive's own loader reads them (YAML 1.1, as PyYAML); LayoutError
    when it cannot."""
    import yaml

    try:
        return list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except yaml.YAMLError as exc:
        raise LayoutError(_one_line(exc)) from None


def round_trip_yaml() -> Any:
    """ruamel.yaml's round-trip reader and writer, set for the canonical layout."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = NEVER_FOLD
    return yaml


def _order_envelope(document: Any) -> None:
    if not isinstance(document, dict):
        return
    _move_first(document, ENVELOPE_ORDER)
    metadata = document.get("metadata")
    if isinstance(metadata, dict):
        _move_first(metadata, METADATA_ORDER)


def _move_first(mapping: Any, order: Sequence[str]) -> None:
    """`order`'s keys first, in that order; the others after them as they were."""
    for key in reversed(order):
        if key in mapping:
            mapping.move_to_end(key, last=False)


def _one_line(exc: Exception) -> str:
    """ruamel's messages span lines (the problem, then where); the line and column lead."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"{mark.line + 1}:{mark.column + 1}: " if mark is not None else ""
    return f"{where}{problem}"
