"""``${var:NAME}`` in a manifest's string values, replaced by the selected environment's variables.

The loader runs this on a document's data after it knows the document's kind and before the kind's
model type-checks it, so every check (types, lint, set checks) sees the values the environment gives,
and every finding keeps its path into the document as written (substitution never changes the shape).

What a string may hold (docs/environments.md):

* ``${var:NAME}``: the variable's value. A string that is exactly one reference takes the value with
  its type (``bitrate: ${var:bitrate}`` is a number when the variable is one); inside a longer string
  the value is written as YAML would write it (``true``, ``4000``).
* ``${env:NAME}`` / ``${file:PATH}``: a secret reference, left for the secret field that takes it
  (manifest/secrets.py). The loader refuses one anywhere else (``misplaced_references``): before
  environments it was kept literally, a group named ``${env:PREFIX}-welcome`` without a word.
* ``$${``: a literal ``${`` (Terraform's escape), for a reply text that shows one.

Anything else after ``${`` is text, as it always was. A variable's value is not substituted again.
Keys are never substituted: a mapping key with ``${var:`` is reported, since it would be kept literally.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import BaseModel

from reconciler.manifest import codes
from reconciler.manifest.diagnostics import DocPath, Finding
from reconciler.manifest.secrets import NAME_PATTERN, SecretRef
from reconciler.manifest.variables import Variables, VariableValue

#: `$${` (an escaped `${`), a variable reference, the start of a malformed one, or a secret reference's
#: start; anything else is text.
_TOKEN: Final = re.compile(rf"\$\$\{{|\$\{{var:({NAME_PATTERN})\}}|\$\{{var:|\$\{{(?:env|file):")
_WHOLE_VARIABLE: Final = re.compile(rf"\$\{{var:({NAME_PATTERN})\}}\Z")
_SECRET_START: Final = re.compile(r"\$\{(?:env|file):")
_DOCS: Final = "docs/environments.md"


@dataclass
class Substituted:
    """A document's data with its variables substituted, and what the loader must check or report."""

    data: Any
    findings: list[Finding] = field(default_factory=list)
    #: Where a string holds a secret reference (written there, or given by a variable's value): only a
    #: secret field may (``misplaced_references``).
    references: list[DocPath] = field(default_factory=list)


def substitute(data: Any, variables: Variables | None) -> Substituted:
    """``data`` with every ``${var:NAME}`` in its string values replaced (a new structure where anything
    changed; ``data`` itself is never modified). ``variables`` None: no project file declares any."""
    result = Substituted(data)
    result.data = _walk(data, (), variables, result)
    return result


def _walk(value: Any, path: DocPath, variables: Variables | None, out: Substituted) -> Any:
    if isinstance(value, str):
        return _string(value, path, variables, out) if "${" in value else value
    if isinstance(value, dict):
        changed = False
        items: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(key, str) and "${var:" in key:
                out.findings.append(
                    Finding(
                        codes.UNDEFINED_VARIABLE,
                        "variables are not substituted in keys: only in values",
                        (*path, key),
                        at_key=True,
                    )
                )
            new = _walk(item, (*path, key), variables, out)
            changed = changed or new is not item
            items[key] = new
        return items if changed else value
    if isinstance(value, list):
        new_items = [_walk(item, (*path, index), variables, out) for index, item in enumerate(value)]
        return new_items if any(new is not old for new, old in zip(new_items, value, strict=True)) else value
    return value


def _string(text: str, path: DocPath, variables: Variables | None, out: Substituted) -> Any:
    whole = _WHOLE_VARIABLE.match(text)
    if whole is not None:
        value = _value(whole.group(1), path, variables, out)
        if value is None:
            return text
        if isinstance(value, str) and _SECRET_START.search(value):
            out.references.append(path)
        return value
    pieces: list[str] = []
    written_reference = False
    end = 0
    for match in _TOKEN.finditer(text):
        pieces.append(text[end : match.start()])
        end = match.end()
        token = match.group(0)
        if token == "$${":
            pieces.append("${")
        elif match.group(1) is not None:
            value = _value(match.group(1), path, variables, out)
            shown = token if value is None else _as_text(value)
            written_reference = written_reference or (value is not None and bool(_SECRET_START.search(shown)))
            pieces.append(shown)
        elif token == "${var:":
            out.findings.append(
                Finding(
                    codes.UNDEFINED_VARIABLE,
                    "malformed variable reference: write ${var:NAME} (letters, digits and _), or $${ for a "
                    "literal ${",
                    path,
                )
            )
            pieces.append(token)
        else:  # ${env: or ${file:, kept for a secret field to parse
            written_reference = True
            pieces.append(token)
    pieces.append(text[end:])
    if written_reference:
        out.references.append(path)
    return "".join(pieces)


def _value(name: str, path: DocPath, variables: Variables | None, out: Substituted) -> VariableValue | None:
    """The variable's value, or None after reporting why there is none."""
    if variables is None:
        message = (
            f"${{var:{name}}} needs a project file: declare environments and their variables in "
            f"smartlive.yaml at the manifests' root ({_DOCS}); write $${{ for a literal ${{"
        )
    elif name in variables.values:
        return variables.values[name]
    elif variables.environment is None:
        declared = ", ".join(variables.declared) or "none"
        message = (
            f"${{var:{name}}} is not among the project's own variables: select an environment that defines "
            f"it with --env NAME or SMARTLIVE_ENV ({variables.project_file} declares: {declared})"
        )
    else:
        message = f"variable {name!r} is not defined in environment {variables.environment!r} of {variables.project_file}"
        close = difflib.get_close_matches(name, list(variables.values), n=1, cutoff=0.6)
        if close:
            message += f" (did you mean {close[0]!r}?)"
        elif variables.values:
            message += f" (it defines: {', '.join(sorted(variables.values))})"
        else:
            message += " (it defines no variables)"
    out.findings.append(Finding(codes.UNDEFINED_VARIABLE, message, path))
    return None


def _as_text(value: VariableValue) -> str:
    """A value inside a longer string, as YAML writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def misplaced_references(model: BaseModel, references: list[DocPath]) -> Iterator[Finding]:
    """M014 for each path of `references` whose value in the validated `model` is not a secret
    reference: a field that takes none would send ``${env:NAME}`` to the service as text. A path the
    model does not hold (a part set aside for its type errors) is not judged."""
    for path in references:
        value = _at(model, path)
        if value is _MISSING or value is None or isinstance(value, SecretRef):
            continue
        yield Finding(
            codes.MISPLACED_REFERENCE,
            "${env:...} and ${file:...} are secret references, taken only by secret fields (stream_keys, "
            "the callback key, interaction_callback_url); here it would be sent as text. Use ${var:NAME} for "
            "a value that differs by environment, or $${ for a literal ${",
            path,
        )


_MISSING: Final = object()


def _at(value: Any, path: DocPath) -> Any:
    """The value at `path` (keys as written: field aliases, list indexes) in a validated model."""
    for part in path:
        if isinstance(value, BaseModel):
            value = _field(value, part)
        elif isinstance(value, list):
            value = value[part] if isinstance(part, int) and 0 <= part < len(value) else _MISSING
        elif isinstance(value, dict):
            value = value.get(part, _MISSING)
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def _field(model: BaseModel, key: Any) -> Any:
    for name, info in type(model).model_fields.items():
        if key in (name, info.alias, info.validation_alias):
            return getattr(model, name)
    return _MISSING
