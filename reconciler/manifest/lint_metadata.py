"""Checks of metadata common to every kind: the smartlive.io/ annotations smartlive reads itself."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any, Final

from reconciler.manifest import codes
from reconciler.manifest.diagnostics import Finding
from reconciler.manifest.registry import Manifest, kinds

ANNOTATION_PREFIX: Final = "smartlive.io/"


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
        rule = known.get(key)
        if rule is None:
            close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
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
