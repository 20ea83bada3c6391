"""Checks of metadata common to every kind: the smartlive.io/ annotations smartlive reads itself."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any, Final

from reconciler.manifest import codes
from reconciler.manifest.diagnostics import Finding
from reconciler.manifest.registry import Manifest

ANNOTATION_PREFIX: Final = "smartlive.io/"


class AnnotationRule:
    def __init__(self, kinds: frozenset[str], values: frozenset[str]) -> None:
        self.kinds = kinds
        self.values = values


#: The annotations smartlive reads: on which kinds, with which values.
KNOWN_ANNOTATIONS: Final[Mapping[str, AnnotationRule]] = {
    # apply may restart this running job (stop + start) when its configuration changed.
    "smartlive.io/allow-restart": AnnotationRule(frozenset({"SmartLiveJob"}), frozenset({"true", "false"})),
}


def lint_annotations(resource: Manifest[Any]) -> Iterator[Finding]:
    for key, value in resource.annotations.items():
        if not key.startswith(ANNOTATION_PREFIX):
            continue
        path = ("metadata", "annotations", key)
        rule = KNOWN_ANNOTATIONS.get(key)
        if rule is None:
            close = difflib.get_close_matches(key, list(KNOWN_ANNOTATIONS), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            yield Finding(codes.UNKNOWN_ANNOTATION, f"unknown annotation {key!r}{hint}", path, at_key=True)
        elif resource.kind not in rule.kinds:
            yield Finding(
                codes.UNKNOWN_ANNOTATION,
                f"annotation {key!r} has no effect on kind {resource.kind}",
                path,
                at_key=True,
            )
        elif value not in rule.values:
            allowed = " or ".join(repr(v) for v in sorted(rule.values, reverse=True))
            yield Finding(codes.BAD_ANNOTATION, f"annotation {key!r} is {allowed}, not {value!r}", path)
