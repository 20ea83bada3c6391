"""The API's own documentation of each request field, for the JSON Schemas' descriptions.

The source is the official Python SDK, ``huaweicloudsdkmetastudio`` (a test dependency, never a
runtime one): each model class has a property per field whose docstring is the API reference's text
for it ("**参数解释**： 输出平均码率。单位：kbps。 **约束限制**： ..."). ``python -m
reconciler.api.field_docs`` extracts that text for every request model of ``reconciler.api.models``
the SDK knows (their names are the SDK's), tidies it (below) and writes ``field_docs.json`` beside this
module, which is checked in; ``--check`` writes nothing and exits 1 when the file differs from what the
installed SDK gives (a test runs it). At run time ``field_doc`` reads the JSON file only.

Tidying keeps the documentation's words (Chinese, as the API reference writes them) and drops what only
the SDK's generator put there: the "Gets the X of this Y." and ``:return:`` lines, HTML and backslash
escapes, links to other pages of the reference (their text stays), the example callback payloads in code
blocks, and the sections that say "不涉及" (not applicable). The section headings become English
("Constraints:", "Values:", "Default:"), list items one per line, and formulas get spaces around "="
(``a = b``).
"""

from __future__ import annotations

import argparse
import html
import inspect
import json
import re
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

FIELD_DOCS_FILE: Final = Path(__file__).with_name("field_docs.json")
SDK_PACKAGE: Final = "huaweicloudsdkmetastudio.v1"

#: The reference's section headings, as the text shows them (the first one opens the description).
_HEADINGS: Final = {"参数解释": "", "约束限制": "Constraints:", "取值范围": "Values:", "默认取值": "Default:"}
_HEADING: Final = re.compile(r"\*\*(" + "|".join(_HEADINGS) + r")\*\*\s*[：:]?")
#: A section saying only this says nothing: "not applicable", "none".
_EMPTY_SECTION: Final = frozenset({"", "不涉及", "无"})
#: A code block (an example payload), with the list item introducing it ("- XX回调定义如下：", defined as follows).
_CODE_BLOCK: Final = re.compile(r"(?:[*-]\s+\S*如下[：:]\s*)?```.*?(?:```|$)", re.DOTALL)
_BACKSLASH_ESCAPE: Final = re.compile(r"\\(.)")
_FORMULA_EQUALS: Final = re.compile(r"(?<=[\w)])=(?=[\w(])")
_LINK: Final = re.compile(r"\[([^\]]+)\]\([^)]*\)")
#: "* item", "- item" and "> note" markers inside a paragraph: each starts a line of its own.
_ITEM: Final = re.compile(r"(?:^|\s+)(?:>\s*)?[*-]\s+(?=\S)|\s+>\s+")


def field_doc(api_model: str, field: str) -> str:
    """The API's documentation of ``api_model.field`` ("" when the SDK has none)."""
    return _field_docs().get(api_model, {}).get(field, "")


@cache
def _field_docs() -> Mapping[str, Mapping[str, str]]:
    loaded: dict[str, dict[str, str]] = json.loads(FIELD_DOCS_FILE.read_text(encoding="utf-8"))
    return loaded


def tidy(docstring: str) -> str:
    """A property docstring of the SDK as plain text: see the module docstring."""
    lines = [
        line
        for line in docstring.splitlines()
        if not re.fullmatch(r"Gets the \S+ of this \w+\.", line.strip())
        and not line.lstrip().startswith((":return:", ":rtype:"))
    ]
    # The docstrings are raw strings that still carry one level of backslash escapes (\" in examples).
    text = _BACKSLASH_ESCAPE.sub(r"\1", html.unescape(" ".join(lines)))
    text = _LINK.sub(r"\1", _CODE_BLOCK.sub(" ", text))
    # Formulas as "a = b": "x-hw-mss-secret=hmac_sha256(...)" would read as a credential to the output
    # redaction (reconciler/redaction.py), which `smartlive schema` prints through.
    text = _FORMULA_EQUALS.sub(" = ", text)
    parts = _HEADING.split(text)
    sections = [("", parts[0])] + [(_HEADINGS[parts[i]], parts[i + 1]) for i in range(1, len(parts), 2)]
    out: list[str] = []
    for heading, body in sections:
        lead, *items = (" ".join(part.split()) for part in _ITEM.split(body))
        items = [item for item in items if item]
        if not items and lead.strip("。. ") in _EMPTY_SECTION:
            continue
        if lead or len(items) != 1:
            out.append(f"{heading} {lead}".strip())
        else:  # one item and nothing before it: on the heading's line
            out.append(f"{heading} {items.pop()}".strip())
        out.extend(f"- {item}" for item in items)
    return "\n".join(line for line in out if line)


def extract() -> dict[str, dict[str, str]]:
    """Model name -> field -> tidied documentation, for each request model the SDK has (needs the SDK)."""
    import importlib

    from reconciler.api import models

    sdk = importlib.import_module(SDK_PACKAGE)
    out: dict[str, dict[str, str]] = {}
    for name, model in sorted(vars(models).items()):
        if not (
            inspect.isclass(model)
            and issubclass(model, models.RequestModel)
            and not issubclass(model, models.ResponseModel)
            and hasattr(sdk, name)
        ):
            continue
        sdk_class: Any = getattr(sdk, name)
        docs = {
            sdk_class.attribute_map[attribute]: tidy(inspect.getdoc(getattr(sdk_class, attribute)) or "")
            for attribute in sdk_class.openapi_types
        }
        out[name] = {field: text for field, text in sorted(docs.items()) if text}
    return out


def render(docs: Mapping[str, Mapping[str, str]]) -> str:
    return json.dumps(docs, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reconciler.api.field_docs",
        description=f"Extract the API's field documentation from the installed SDK into {FIELD_DOCS_FILE.name}.",
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the file is stale")
    args = parser.parse_args(argv)
    try:
        text = render(extract())
    except ModuleNotFoundError as exc:
        print(f"{exc}: install the dev extra (pip install -e '.[dev]')", file=sys.stderr)
        return 2
    current = FIELD_DOCS_FILE.read_text(encoding="utf-8") if FIELD_DOCS_FILE.exists() else None
    if args.check:
        if current != text:
            print(f"{FIELD_DOCS_FILE} is stale: run python -m reconciler.api.field_docs")
            return 1
        return 0
    if current != text:
        FIELD_DOCS_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {FIELD_DOCS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
