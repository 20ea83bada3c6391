"""The resource kinds smartlive knows: one module each, registered here.

Adding a kind is its module (behind reconciler.engine.kind.Kind) plus one line in RESOURCE_KINDS
(or DOCUMENT_KINDS for a document that plans nothing), and its emulator routes; docs/design.md, "How it is
built", has the checklist. Importing this package registers every kind's manifest document, its set
checks and the reference checks with the manifest format (reconciler.manifest.registry finds it by name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from reconciler.engine.kind import Kind
from reconciler.engine.references import ReferenceSummary, reference_cycles, undeclared_references
from reconciler.kinds import live_job, rule_group, rule_test, smart_live_room
from reconciler.manifest.lint_set import duplicate_names
from reconciler.manifest.registry import KindSpec, Manifest, register_document, register_set_check

#: The kinds that plan and apply manage, in the order their plan sections read.
RESOURCE_KINDS: Final[tuple[Kind[Any, Any], ...]] = (
    rule_group.KIND,
    smart_live_room.KIND,
    live_job.KIND,
)
#: Manifest documents that plan nothing (`smartlive test` runs InteractionRuleTest).
DOCUMENT_KINDS: Final[tuple[KindSpec, ...]] = (rule_test.DOCUMENT,)

_BY_NAME: Final[Mapping[str, Kind[Any, Any]]] = {kind.name: kind for kind in RESOURCE_KINDS}


def resource_kind(name: str) -> Kind[Any, Any] | None:
    """The kind called `name`, or None for a document kind or an unknown name."""
    return _BY_NAME.get(name)


def references_of(resource: Manifest[Any]) -> ReferenceSummary:
    """What the reference checks need of one resource (plain tuples: it may cross processes)."""
    kind = _BY_NAME.get(resource.kind)
    if kind is None:
        return ()
    return tuple((r.path, r.target.kind, r.target.name) for r in kind.references(resource))


def _register() -> None:
    register_set_check(duplicate_names)
    for kind in RESOURCE_KINDS:
        register_document(kind.document())
        for check in kind.set_checks():
            register_set_check(check.check, extract=check.extract)
    for document in DOCUMENT_KINDS:
        register_document(document)
    register_set_check(undeclared_references, extract=references_of)
    register_set_check(reference_cycles, extract=references_of)


_register()

__all__ = ["DOCUMENT_KINDS", "RESOURCE_KINDS", "references_of", "resource_kind"]
