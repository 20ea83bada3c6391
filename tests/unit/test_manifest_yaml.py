"""The YAML layer: fast parse to plain data, its refusals, and the position pass."""

from __future__ import annotations

import math
import time

import pytest
import yaml

from reconciler.manifest import codes
from reconciler.manifest.yaml_documents import MAX_DEPTH, parse_documents
from reconciler.manifest.yaml_positions import PositionIndex


def data_of(text: str) -> object:
    parsed = parse_documents(text.encode())
    assert parsed.problem is None, parsed.problem
    assert len(parsed.documents) == 1
    return parsed.documents[0].data


def problem_of(text: str) -> tuple[str, str, int | None, int | None]:
    parsed = parse_documents(text.encode())
    assert parsed.problem is not None
    return parsed.problem.code, parsed.problem.message, parsed.problem.line, parsed.problem.column


def test_yaml_12_core_schema_scalars() -> None:
    data = data_of(
        "a: yes\nb: no\nc: on\nd: 2024-01-01\ne: 0x1F\nf: 0o17\ng: 1e3\nh: .inf\ni: ~\nj: null\n"
        "k: true\nl: False\nm: '12'\nn: !!str 12\no: !!int '12'\np: -7\nq: 1_000\nr: 010\ns:\n"
    )
    assert data == {
        "a": "yes",
        "b": "no",
        "c": "on",
        "d": "2024-01-01",
        "e": 31,
        "f": 15,
        "g": 1000.0,
        "h": math.inf,
        "i": None,
        "j": None,
        "k": True,
        "l": False,
        "m": "12",
        "n": "12",
        "o": 12,
        "p": -7,
        "q": "1_000",
        "r": 10,
        "s": None,
    }


def test_same_data_as_pyyaml_for_ordinary_documents() -> None:
    text = (
        "apiVersion: smartlive/v1\nkind: InteractionRuleGroup\nmetadata: {name: g, labels: {a: b}}\n"
        "spec:\n  interaction_rules:\n    - rule_name: r\n      enabled: true\n      event_type: 1\n"
        "      trigger:\n        reply_texts:\n          - 'x'\n          - \"y\"\n          - |\n            block\n            text\n"
    )
    assert data_of(text) == yaml.safe_load(text)


def test_keys_are_their_text() -> None:
    assert data_of("1: a\ntrue: b\nnull: c\n") == {"1": "a", "true": "b", "null": "c"}


def test_duplicate_key_is_an_error_with_its_line() -> None:
    assert problem_of("a: 1\nb:\n  c: 1\n  c: 2\n") == (codes.DUPLICATE_KEY, "duplicate key 'c'", 4, 3)
    # "1" and 1 are the same key once keys are text.
    assert problem_of("1: a\n'1': b\n")[0] == codes.DUPLICATE_KEY


def test_merge_keys_explicit_keys_win() -> None:
    data = data_of("base: &b {x: 1, y: 2}\nother: &o {y: 3, z: 4}\nm:\n  <<: [*b, *o]\n  x: 9\n")
    assert isinstance(data, dict)
    assert data["m"] == {"x": 9, "y": 2, "z": 4}
    # A quoted "<<" is an ordinary key.
    assert data_of("'<<': 1\n") == {"<<": 1}


def test_merge_of_a_scalar_is_refused() -> None:
    assert problem_of("a: &a 1\nb:\n  <<: *a\n")[0] == codes.UNSUPPORTED_YAML


def test_aliases_share_and_are_bounded() -> None:
    data = data_of("a: &a [1, 2]\nb: *a\n")
    assert data == {"a": [1, 2], "b": [1, 2]}


def test_alias_bomb_is_refused_fast() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 12):
        prev, name = chr(96 + level), chr(97 + level)
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 10)}]")
    started = time.perf_counter()
    code, message, line, _ = problem_of("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 0.5
    assert code == codes.ALIAS_EXPANSION
    assert "100000 nodes" in message
    assert line is not None and line <= 6


def test_recursive_alias_is_refused() -> None:
    assert problem_of("a: &a [1, *a]\n")[:2] == (
        codes.ALIAS_EXPANSION,
        "alias *a refers to a node that contains it",
    )


def test_undefined_alias() -> None:
    assert problem_of("a: *nope\n")[:2] == (codes.YAML_SYNTAX, "found undefined alias 'nope'")


@pytest.mark.parametrize(
    "text",
    ["a: !!python/object:os.system x\n", "a: !!binary aGVsbG8=\n", "a: !custom {b: 1}\n", "a: !!int nope\n"],
)
def test_unsupported_tags(text: str) -> None:
    assert problem_of(text)[0] == codes.UNSUPPORTED_YAML


def test_complex_keys_are_refused() -> None:
    assert problem_of("? [1, 2]\n: x\n")[:2] == (
        codes.UNSUPPORTED_YAML,
        "complex (mapping or sequence) keys are not supported",
    )


def test_nesting_is_bounded_without_recursion() -> None:
    deep = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    assert problem_of(deep)[0] == codes.UNSUPPORTED_YAML
    # Far deeper than Python's recursion limit: still one finding, no RecursionError.
    assert problem_of("[" * 100_000)[0] in (codes.UNSUPPORTED_YAML, codes.YAML_SYNTAX)


def test_syntax_error_has_the_parsers_position() -> None:
    code, message, line, column = problem_of("a: 1\n  b: 2\n")
    assert (code, line, column) == (codes.YAML_SYNTAX, 2, 4)
    assert message == "mapping values are not allowed in this context"


def test_control_character_is_a_syntax_error_with_position() -> None:
    code, message, line, column = problem_of("a: 1\nb: x\x01\n")
    assert (code, line, column) == (codes.YAML_SYNTAX, 2, 5)
    assert "control characters" in message


def test_documents_and_empty_documents() -> None:
    parsed = parse_documents(b"---\n---\na: 1\n---\n")
    assert [(d.data, d.index, d.line, d.empty) for d in parsed.documents] == [
        (None, 0, 1, True),
        ({"a": 1}, 1, 3, False),  # the first line of content, not the `---` above it
        (None, 2, 4, True),
    ]
    assert parse_documents(b"").documents == []
    assert parse_documents(b"# only a comment\n").documents == []


def test_documents_before_an_error_are_kept() -> None:
    parsed = parse_documents(b"a: 1\n---\nb: [\n")
    assert [d.data for d in parsed.documents] == [{"a": 1}]
    assert parsed.problem is not None and parsed.problem.code == codes.YAML_SYNTAX


def test_positions_of_keys_values_and_missing_paths() -> None:
    text = (
        "apiVersion: v\n"
        "spec:\n"
        "  rules:\n"
        "    - name: a\n"
        "      x: 1\n"
        "    - name: b\n"
        "      y:\n"
        "        z: 2\n"
        "---\n"
        "q: 价格价格\n"
        "r: 1\n"
    )
    index = PositionIndex(text.encode())
    assert index.locate(0, ("spec", "rules", 1, "y", "z")) == (8, 12)  # a scalar: its value
    assert index.locate(0, ("spec", "rules", 1, "y")) == (7, 7)  # a mapping: its key
    assert index.locate(0, ("spec", "rules", 0, "x"), at_key=True) == (5, 7)
    assert index.locate(0, ("spec", "rules", 1, "missing")) == (6, 7)  # the item that lacks it
    assert index.locate(0, ("spec", "nothing", "deeper")) == (2, 1)
    assert index.locate(1, ("r",)) == (11, 4)
    assert index.locate(5, ("r",)) is None


def test_positions_through_merge_keys() -> None:
    index = PositionIndex(b"base: &b\n  x: 1\nm:\n  <<: *b\n  y: 2\n")
    assert index.locate(0, ("m", "y")) == (5, 6)
    assert index.locate(0, ("m", "x")) == (2, 6)  # where the merged value is written


def test_columns_count_characters_not_bytes() -> None:
    index = PositionIndex("a: 价格价格\nb: {c: 价格, d: 1}\n".encode())
    assert index.locate(0, ("b", "d")) == (2, 15)  # 19 if bytes were counted
