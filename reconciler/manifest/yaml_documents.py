"""YAML bytes -> the plain data of each document, fast, refusing what a manifest must not contain.

Why not ``yaml.load``: on the 10,000 rules of benchmarks/validate.py, ``yaml.load(CSafeLoader)``
takes 2.4 times as long as this module, and ruamel's round-trip loader 35 times. This module reads
libyaml's event stream (C) and builds dicts and lists in one loop, without the node tree, the
constructor's per-node calls or PyYAML's regex-based type resolution. Positions are not kept: a file
that has something to report is parsed a second time by ``yaml_positions`` (see loader.py), so clean
files never pay for them.

What it does on top of a plain load, because a manifest is reviewed and applied:

* YAML 1.2 core schema for plain scalars, as yaml-language-server and check-jsonschema read them:
  ``yes``/``no``/``on``/``off`` and dates stay strings; only true/false, null/~, decimal, 0o, 0x
  integers and floats are converted. Mapping keys are always the key's text.
* Duplicate keys are an error (PyYAML silently keeps the last one).
* Aliases are bounded: a document whose aliases add more than ``MAX_ALIAS_NODES`` nodes (the
  "billion laughs" bomb) or that refers to itself is refused, after O(size of the file) work: each
  anchor's expanded size is counted once, never expanded.
* Merge keys (``<<: *defaults``) work as in PyYAML; explicit keys win over merged ones.
* Explicit tags other than the core ones, complex keys and nesting deeper than ``MAX_DEPTH`` are
  refused with a position.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Final

from yaml import MarkedYAMLError, YAMLError
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.reader import ReaderError

from reconciler.manifest import codes
from reconciler.manifest.diagnostics import Finding

try:
    from yaml._yaml import CParser as EventParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml: the same events, in Python, slower
    from yaml.loader import BaseLoader as EventParser  # type: ignore[assignment]

#: Nodes that aliases may add to one document. Real manifests share a layer or a reply list a few
#: dozen times; a bomb needs billions.
MAX_ALIAS_NODES: Final = 100_000
#: Manifests nest about ten levels deep; anything far deeper is an attack or an accident.
MAX_DEPTH: Final = 64

_CORE: Final = "tag:yaml.org,2002:"
_INT10 = re.compile(r"[-+]?[0-9]+\Z")
_INT8 = re.compile(r"0o[0-7]+\Z")
_INT16 = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")
_NULLS: Final = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE: Final = frozenset({"true", "True", "TRUE"})
_FALSE: Final = frozenset({"false", "False", "FALSE"})
# First characters after which a plain scalar may be something other than a string.
_MAYBE_NOT_STR: Final = frozenset("0123456789-+.~nNtTfF")
_MERGE: Final = "<<"
_CORE_SCALAR_TAGS: Final = frozenset(_CORE + name for name in ("null", "bool", "int", "float"))
_COLLECTION_TAGS: Final = frozenset({"!", _CORE + "map", _CORE + "seq", _CORE + "omap"})
# Stands for "the key just read is a merge key" (a quoted "<<" is an ordinary key named "<<").
_MERGE_KEY: Final = object()


@dataclass(slots=True)
class Document:
    """One YAML document: its data, its 0-based index in the file and the 1-based line it starts on."""

    data: Any
    index: int
    line: int
    empty: bool = False


@dataclass(slots=True)
class ParsedFile:
    """Every document read before the first problem, and that problem if there was one."""

    documents: list[Document] = field(default_factory=list)
    problem: Finding | None = None


class _Refused(Exception):
    """A problem found while building (not by libyaml): carries its finding."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _refuse(code: str, message: str, mark: Any) -> _Refused:
    return _Refused(Finding(code, message, line=mark.line + 1, column=mark.column + 1))


def plain_scalar(text: str) -> Any:
    """A plain (unquoted, untagged) scalar under the YAML 1.2 core schema."""
    if not text:
        return None
    if text[0] not in _MAYBE_NOT_STR:
        return text
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    try:
        if _INT10.match(text):
            return int(text)
        if _INT8.match(text):
            return int(text[2:], 8)
        if _INT16.match(text):
            return int(text[2:], 16)
    except ValueError:  # more digits than Python converts (sys.int_info): leave it a string
        return text
    if _FLOAT.match(text):
        return json_number(float(text))
    if _INF.match(text):
        return -math.inf if text[0] == "-" else math.inf
    if _NAN.match(text):
        return math.nan
    return text


def json_number(value: float) -> int | float:
    """A float with no fractional part (5.0, 1e3, 1.0e308) as the integer it is.

    JSON Schema has one number type and counts 5.0 as an integer (2020-12, "integer": "any number with
    a zero fractional part"), so check-jsonschema and yaml-language-server accept `priority: 5.0`; the
    models validate strictly, so the value is made an int here, once, and validate agrees with the
    schemas. A float field takes an int as the same number."""
    return int(value) if value.is_integer() else value


def _tagged_scalar(event: ScalarEvent) -> Any:
    tag = event.tag
    text: str = event.value
    if tag == "!" or tag == _CORE + "str":
        return text
    value = plain_scalar(text)
    if tag == _CORE + "null" and value is None:
        return None
    if tag == _CORE + "bool" and isinstance(value, bool):
        return value
    if tag == _CORE + "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if tag == _CORE + "float" and isinstance(value, int | float) and not isinstance(value, bool):
        return value  # `!!float 5` is 5: the same number (json_number)
    if tag in _CORE_SCALAR_TAGS:
        raise _refuse(codes.UNSUPPORTED_YAML, f"{text!r} is not a valid {tag}", event.start_mark)
    raise _refuse(codes.UNSUPPORTED_YAML, f"unsupported tag {tag!r}", event.start_mark)


def parse_documents(data: bytes) -> ParsedFile:
    """Every document of ``data`` (UTF-8 YAML) as plain data. Never raises for bad input."""
    result = ParsedFile()
    parser = EventParser(data)
    try:
        _build(parser, result)
    except _Refused as exc:
        result.problem = exc.finding
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        result.problem = Finding(codes.YAML_SYNTAX, message, line=line, column=column)
    except ReaderError as exc:
        line, column = _byte_position(data, exc.position)
        result.problem = Finding(
            codes.YAML_SYNTAX, f"{exc.reason} (character {exc.character:#x})", line=line, column=column
        )
    except YAMLError as exc:  # any other libyaml complaint: still one diagnostic, never a traceback
        result.problem = Finding(codes.YAML_SYNTAX, str(exc).splitlines()[0], line=1, column=1)
    finally:
        parser.dispose()
    return result


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", "replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def _build(parser: Any, result: ParsedFile) -> None:
    # The state of the collection being built lives in locals (a frame is a tuple on `stack` while a
    # nested one is built): attribute access per event was a measurable part of the parse.
    get_event = parser.get_event
    documents = result.documents
    maybe_not_str = _MAYBE_NOT_STR
    stack: list[tuple[Any, bool, Any, Any, str | None, int, list[dict[str, Any]] | None]] = []
    container: Any = None  # the dict or list being built; None at document level
    is_map = False
    key: Any = None  # in a mapping: the key (str or _MERGE_KEY) waiting for its value; None: expecting a key
    key_event: Any = None
    anchor: str | None = None
    start_count = 0
    merges: list[dict[str, Any]] | None = None
    anchors: dict[str, tuple[Any, int | None]] = {}  # weight None: still being built
    count = 0  # nodes in the document as pydantic will see them (aliases counted expanded)
    alias_nodes = 0
    doc_line = 1
    doc_value: Any = None
    doc_empty = False
    value: Any

    while True:
        event = get_event()
        kind = type(event)
        if kind is ScalarEvent:
            count += 1
            text: str = event.value
            if is_map and key is None:
                # A mapping key: its text, whatever it looks like (so `1:` and `"1":` are one key).
                if event.anchor is not None:
                    anchors[event.anchor] = (text, 1)
                if text in container:
                    raise _refuse(codes.DUPLICATE_KEY, f"duplicate key {text!r}", event.start_mark)
                if text == _MERGE and event.style == "" and event.tag is None:
                    if merges is not None:
                        raise _refuse(codes.DUPLICATE_KEY, "duplicate merge key '<<'", event.start_mark)
                    merges = []
                    key = _MERGE_KEY
                    key_event = event
                else:
                    key = text
                continue
            if event.tag is None:
                if event.style != "" or (text and text[0] not in maybe_not_str):
                    value = text
                else:
                    value = plain_scalar(text)
            else:
                value = _tagged_scalar(event)
            if event.anchor is not None:
                anchors[event.anchor] = (value, 1)
            if container is None:
                doc_empty = value is None and text == ""
                if not doc_empty:
                    doc_line = event.start_mark.line + 1
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            count += 1
            if is_map and key is None:
                raise _refuse(
                    codes.UNSUPPORTED_YAML,
                    "complex (mapping or sequence) keys are not supported",
                    event.start_mark,
                )
            if len(stack) > MAX_DEPTH:
                raise _refuse(
                    codes.UNSUPPORTED_YAML, f"nesting deeper than {MAX_DEPTH} levels", event.start_mark
                )
            if event.tag is not None and event.tag not in _COLLECTION_TAGS:
                raise _refuse(codes.UNSUPPORTED_YAML, f"unsupported tag {event.tag!r}", event.start_mark)
            if container is None:  # the document's root: its line, rather than that of a `---` above it
                doc_line = event.start_mark.line + 1
            stack.append((container, is_map, key, key_event, anchor, start_count, merges))
            is_map = kind is MappingStartEvent
            container = {} if is_map else []
            key = key_event = merges = None
            anchor = event.anchor
            start_count = count
            if anchor is not None:
                anchors[anchor] = (container, None)
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            value = container
            if merges:
                _apply_merges(value, merges)
            if anchor is not None:
                anchors[anchor] = (value, count - start_count + 1)
            container, is_map, key, key_event, anchor, start_count, merges = stack.pop()
        elif kind is AliasEvent:
            found = anchors.get(event.anchor)
            if is_map and key is None:
                # An alias as a key: allowed when it names a scalar, as that scalar's text.
                if found is None or isinstance(found[0], dict | list):
                    raise _refuse(
                        codes.UNSUPPORTED_YAML, "an alias used as a key must name a scalar", event.start_mark
                    )
                key = found[0] if isinstance(found[0], str) else str(found[0]).lower()
                if key in container:
                    raise _refuse(codes.DUPLICATE_KEY, f"duplicate key {key!r}", event.start_mark)
                continue
            if found is None:
                raise _refuse(codes.YAML_SYNTAX, f"found undefined alias {event.anchor!r}", event.start_mark)
            value, weight = found
            if weight is None:
                raise _refuse(
                    codes.ALIAS_EXPANSION,
                    f"alias *{event.anchor} refers to a node that contains it",
                    event.start_mark,
                )
            count += weight
            alias_nodes += weight
            if alias_nodes > MAX_ALIAS_NODES:
                raise _refuse(
                    codes.ALIAS_EXPANSION,
                    f"aliases expand this document by more than {MAX_ALIAS_NODES} nodes (an alias bomb?)",
                    event.start_mark,
                )
        elif kind is DocumentStartEvent:
            anchors = {}
            count = alias_nodes = 0
            doc_line = event.start_mark.line + 1
            doc_value = None
            doc_empty = False
            continue
        elif kind is DocumentEndEvent:
            documents.append(Document(doc_value, len(documents), doc_line, empty=doc_empty))
            continue
        elif kind is StreamEndEvent:
            return
        else:  # StreamStartEvent
            continue

        # A complete node: the value of the pending key, the next item, or the document itself.
        if is_map:
            if key is _MERGE_KEY:
                assert merges is not None
                merges.extend(_merge_sources(value, key_event.start_mark))
            else:
                container[key] = value
            key = None
        elif container is not None:
            container.append(value)
        else:
            doc_value = value


def _merge_sources(value: Any, mark: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return list(value)
    raise _refuse(codes.UNSUPPORTED_YAML, "a merge key '<<' needs a mapping or a list of mappings", mark)


def _apply_merges(mapping: dict[str, Any], sources: list[dict[str, Any]]) -> None:
    # As PyYAML: explicit keys win, then earlier sources over later ones.
    explicit = dict(mapping)
    mapping.clear()
    for source in reversed(sources):
        mapping.update(source)
    mapping.update(explicit)
