"""Fuzzing `smartlive validate` with the examples, mutated (issue 15, items 1 and 2).

Each example is changed the way a hurried edit or a hostile file changes it: a value replaced by
something the YAML loader turns into an odd Python value (.inf, .nan, 1e400, a 400-digit integer,
5.0, a tag, an alias, a lone surrogate escape), a line dropped or doubled. validate runs in-process,
as the CLI runs it, beside an untouched file that has an error of its own. Whatever the mutation:
no traceback, exit 0 or 1, every line a FILE:LINE:COL diagnostic (or the summary), the other file's
error still reported, and no M012 (a check that failed: a bug to fix, not to live with).

A second property holds the JSON Schemas to what validate checks: for hostile values put anywhere in
an example, a document the schema accepts has no type-level error in validate, and one validate
accepts passes the schema (what only a validator can check, such as one field depending on another,
is left out: docs/manifests.md says which).
"""

from __future__ import annotations

import json
import re
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from functools import cache
from io import StringIO
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from reconciler.cli import main
from reconciler.manifest import kinds
from reconciler.manifest.nulls import null_findings
from reconciler.manifest.substitution import substitute
from reconciler.manifest.yaml_documents import parse_documents
from tests.example_project import examples_variables

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").rglob("*.yaml"))
OTHER = REPO / "tests" / "data" / "invalid" / "m004-unknown-field.yaml"
OTHER_CODE = "[M004]"

# Plain scalars as YAML writes them, chosen for the Python values they become.
HOSTILE_SCALARS = [
    ".inf",
    "-.inf",
    ".nan",
    "1e400",
    "1.0e308",
    "-1e400",
    "5.0",
    "0.5",
    "-0",
    "9" * 400,
    "-" + "9" * 40,
    "0x" + "f" * 40,
    "0o777",
    "~",
    "''",
    "' '",
    '"${file: }"',
    '"${env:}"',
    '"${x"',
    '"${env:OK}"',
    "[]",
    "{}",
    "[[[[[[[[]]]]]]]]",
    "{a: {b: {c: {d: 1}}}}",
    "!!float 5",
    "!!int 1.5",
    "!!binary aGk=",
    "!custom x",
    "&anchor 1",
    "*undefined",
    '"\\ud800"',
    '"\\x00"',
    '"\\t"',
    "yes",
    "2024-01-01",
    "true",
    "null",
    '"' + "a" * 5000 + '"',
    "'?'",
    "- 1",
]
_VALUE = re.compile(r"^(\s*(?:- )?[A-Za-z_][\w.-]*:[ ]+)(\S.*?)(\s+#.*)?$")
_NUMBER = re.compile(r"""["']?\+?[0-9][0-9.]*(ms|s|m|h)?["']?""")
_LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): (error|warning)\[[A-Z]\d{3}\]: \S")


def _holds_value(line: str, *, numbers: bool) -> bool:
    match = _VALUE.match(line)
    return match is not None and (not numbers or _NUMBER.fullmatch(match.group(2)) is not None)


@cache
def example_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


@st.composite
def mutated_example(draw: st.DrawFn) -> tuple[str, str]:
    """(file name, its mutated text)."""
    path = draw(st.sampled_from(EXAMPLES))
    lines = list(example_lines(path))
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["number", "value", "value", "drop", "double"]))
        # "number": where a number is expected, odd numbers matter most.
        values = [index for index, line in enumerate(lines) if _holds_value(line, numbers=action == "number")]
        if action in ("number", "value") and values:
            index = draw(st.sampled_from(values))
            lines[index] = _VALUE.sub(lambda m: m.group(1), lines[index]) + draw(
                st.sampled_from(HOSTILE_SCALARS)
            )
            continue
        index = draw(st.integers(0, len(lines) - 1))
        if action == "drop":
            del lines[index]
        else:
            lines.insert(index, lines[index])
    return path.name, "\n".join(lines) + "\n"


def validate(*paths: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["validate", *paths])
    return code, out.getvalue(), err.getvalue()


def _with(name: str, old: str, new: str) -> tuple[str, str]:
    """An example with one line changed: a regression case the fuzzing must always try."""
    text = "\n".join(example_lines(REPO / "examples" / "tests" / name)) + "\n"
    assert old in text
    return name, text.replace(old, new, 1)


@settings(
    max_examples=100,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(mutated_example())
# Issue 15, item 1: these raised OverflowError and hid every other file's diagnostics.
@example(_with("faq.yaml", "- at: 31 ", "- at: .inf "))
@example(_with("faq.yaml", "- at: 31 ", "- at: 1e400 "))
@example(_with("like-milestones.yaml", "every: 0.1", "every: 1.0e308"))
def test_validate_reports_any_mutated_example_line_by_line(example: tuple[str, str]) -> None:
    name, text = example
    note(text)
    with tempfile.TemporaryDirectory() as directory:
        mutated = Path(directory) / name
        mutated.write_text(text, encoding="utf-8")
        code, out, err = validate(str(mutated), str(OTHER))
    assert code in (0, 1) and err == ""
    *diagnostics, summary = out.splitlines()
    assert re.fullmatch(r"2 files, \d+ resources?: \d+ errors?, \d+ warnings?", summary), summary
    for line in diagnostics:
        assert _LINE.match(line), line
        assert "[M012]" not in line, line
    assert any(line.startswith(str(OTHER)) and OTHER_CODE in line for line in diagnostics)


# --- the schemas say what validate says --------------------------------------------------------------

HOSTILE_VALUES: list[Any] = [
    5.0,
    1.0e308,
    float("inf"),
    float("nan"),
    -1,
    0,
    10**30,
    2**63,
    "",
    " ",
    "\t",
    "${file: }",
    "${file:\t}",
    "${file:x}",
    "${env:}",
    "${env:A_1}",
    "${env:A}\n",
    "${x",
    "https://hooks.example.com/x",
    "rtmp://push.example.com/x",
    "25",
    "a" * 3000,
    True,
    None,
    [],
    {},
    [1],
    {"a": 1},
]


@cache
def example_documents() -> list[dict[str, Any]]:
    """The examples' manifests as the loader type-checks them: their `${var:}` substituted (the project
    file itself, with a schema of its own, is not a manifest)."""
    variables = examples_variables()
    return [
        substitute(document.data, variables).data
        for path in EXAMPLES
        for document in parse_documents(path.read_bytes()).documents
        if isinstance(document.data, dict) and document.data.get("kind") != "Project"
    ]


@cache
def schema() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads((REPO / "schemas" / "smartlive.json").read_text()))


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    places = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            places += _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            places += _places(item, (*path, index))
    return places


@st.composite
def hostile_document(draw: st.DrawFn) -> dict[str, Any]:
    document = json.loads(json.dumps(draw(st.sampled_from(example_documents()))))
    for _ in range(draw(st.integers(1, 2))):
        place = draw(st.sampled_from([p for p in _places(document) if p[0] not in ("apiVersion", "kind")]))
        parent = document
        for part in place[:-1]:
            parent = parent[part]
        parent[place[-1]] = json.loads(json.dumps(draw(st.sampled_from(HOSTILE_VALUES))))
    return document


def _as_yaml_reads_it(value: Any) -> Any:
    """What the loader hands validate: a float with no fractional part is the integer it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _as_yaml_reads_it(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_yaml_reads_it(item) for item in value]
    return value


@settings(max_examples=300, deadline=2000, derandomize=True)
@given(hostile_document())
def test_the_schema_and_validate_agree_on_types(document: dict[str, Any]) -> None:
    note(json.dumps(document)[:2000])
    accepted_by_schema = schema().is_valid(document)
    model = kinds()[document["kind"]].document_model
    # A null where the key should be left out: validate refuses it before pydantic sees it (nulls.py).
    problems = ["null" for _ in null_findings(document, model)]
    try:
        model.model_validate(_as_yaml_reads_it(document), strict=True, context={"base_dir": "/"})
    except ValidationError as error:
        problems += [item["type"] for item in error.errors()]
    # value_error: a validator's own rule (one field depending on another, an event's content per its
    # type): beyond what the schema says, as docs/manifests.md lists.
    type_level = [problem for problem in problems if problem != "value_error"]
    assert accepted_by_schema == (not type_level), (accepted_by_schema, problems)
