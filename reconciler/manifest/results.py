"""What loading or checking a manifest set yields: LoadResult (with resources) and CheckResult."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from reconciler.manifest import codes
from reconciler.manifest.diagnostics import Diagnostic
from reconciler.manifest.registry import Manifest

ResourceT = TypeVar("ResourceT", bound=Manifest[Any])


class _Verdict:
    """errors / warnings / ok over ``diagnostics``."""

    diagnostics: list[Diagnostic]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == codes.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == codes.WARNING]

    @property
    def ok(self) -> bool:
        """No error (warnings allowed)."""
        return not self.errors


@dataclass
class LoadResult(_Verdict):
    """What a set of manifests declares, and everything wrong with it.

    ``resources`` holds every document that passed type validation, in file order, lint problems
    or not: act on them only when ``ok`` (no error diagnostics).
    """

    resources: list[Manifest[Any]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Files checked; `skipped`: files found in a directory that are not smartlive manifests (foreign.py).
    files: int = 0
    skipped: int = 0

    @property
    def resource_count(self) -> int:
        return len(self.resources)

    @overload
    def of_kind(self, kind: type[ResourceT]) -> list[ResourceT]: ...
    @overload
    def of_kind(self, kind: str) -> list[Manifest[Any]]: ...
    def of_kind(self, kind: type[ResourceT] | str) -> list[ResourceT] | list[Manifest[Any]]:
        """The resources of one kind, by resource class or by kind name."""
        if isinstance(kind, str):
            return [resource for resource in self.resources if resource.kind == kind]
        return [resource for resource in self.resources if isinstance(resource, kind)]


@dataclass
class CheckResult(_Verdict):
    """What ``check_manifests`` found: the same diagnostics as ``load_manifests``, and counts."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    resource_count: int = 0
    skipped: int = 0
