"""Checks of metadata common to every kind: the smartlive.io/ annotations smartlive reads itself."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any, Final

from reconciler.manifest import codes
from reconciler.manifest.diagnostics import Finding
from reconciler.manifest.registry import Manifest, kinds

ANNOTATION_PREFIX: Final = "smartlive.io/"
#: The name a resource had before its manifest was renamed: its state record follows it (Terraform's
#: `moved` block), so the object is kept, not deleted and made anew. Read for every kind; any name.
PREVIOUS_NAME: Final = "smartlive.io/previous-name"


def _previous_name(resource: Manifest[Any], value: str, path: tuple[str, ...]) -> Iterator[Finding]:
    if not value.strip() or len(value) > 256:
        yield Finding(
            codes.BAD_ANNOTATION, f"annotation {PREVIOUS_NAME!r} is a metadata.name (1-256 characters)", path
        )
    elif value == resource.name:
        yield Finding(codes.BAD_ANNOTATION, f"annotation {PREVIOUS_NAME!r} names the resource itself", path)


def _known() -> dict[str, dict[str, frozenset[str]]]:
    """annotation -> {kind: the values it takes}, from what each registered kind reads."""
    known: dict[str, dict[str, frozenset[str]]] = {}
    for name, spec in kinds().items():
        for key, values in spec.annotations.items():
            known.setdefault(key, {})[name] = values
    return known


def lint_annotations(resource: Manifest[Any]) -> Iterator[Finding]:
    ours = [(key, value) for key, value in resource.annotations.items() if key.startswith(ANNOTATION_PREFIX)]
    if not ours:
        return
    known = _known()  # once per resource that has any: it walks every registered kind
    for key, value in ours:
        path = ("metadata", "annotations", key)
        if key == PREVIOUS_NAME:
            yield from _previous_name(resource, value, path)
            continue
        rule = known.get(key)
        if rule is None:
            close = difflib.get_close_matches(key, [*known, PREVIOUS_NAME], n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            yield Finding(codes.UNKNOWN_ANNOTATION, f"unknown annotation {key!r}{hint}", path, at_key=True)
        elif resource.kind not in rule:
            yield Finding(
                codes.UNKNOWN_ANNOTATION,
                f"annotation {key!r} has no effect on kind {resource.kind}",
                path,
                at_key=True,
            )
        elif value not in rule[resource.kind]:
            allowed = " or ".join(repr(v) for v in sorted(rule[resource.kind], reverse=True))
            yield Finding(codes.BAD_ANNOTATION, f"annotation {key!r} is {allowed}, not {value!r}", path)
