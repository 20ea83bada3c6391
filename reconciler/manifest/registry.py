"""The kinds a manifest document may have, and the resource type each becomes.

A document kind is its spec model plus, optionally, a resource class, lint checks and the annotations
it reads (a KindSpec). The built-in kinds live in reconciler/kinds/ (one module each) and are registered
there; from then on ``smartlive validate`` type-checks and lints such documents (with positions),
``load_manifests`` returns them (``result.of_kind("InteractionRuleTest")``) and ``smartlive schema``
writes their JSON Schema.

The manifest format knows no kind by itself: the built-in kinds are a plugin package of it, found by
name (BUILTIN_KINDS) the first time the registry is read, as entry points are. So nothing here imports a
kind module, and the kinds, which build on this package, do not form an import cycle with it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model

from reconciler.manifest.diagnostics import Finding

API_VERSION: Final = "smartlive/v1"

SpecT = TypeVar("SpecT", bound=BaseModel)


class Metadata(BaseModel):
    """metadata of every document: the name identifies the resource within its kind."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=256, description="unique within the kind in a manifest set")
    labels: dict[str, str] | None = Field(default=None, description="free-form key/value pairs")
    annotations: dict[str, str] | None = Field(
        default=None,
        description="key/value pairs read by smartlive itself, e.g. smartlive.io/allow-restart",
    )


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where a resource was declared: file, 0-based document index, 1-based line the document starts on."""

    file: str
    document: int
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Manifest(Generic[SpecT]):
    """A loaded, type-checked document. Kinds with behaviour of their own subclass it."""

    kind: str
    name: str
    #: The model; the loader may pass a DeferredSpec instead, validated on first read (_SpecField).
    spec: SpecT
    source: SourceLocation
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    #: What the kind's ``prepare`` computed from this resource (KindSpec.prepare); None without one.
    prepared: Any = field(default=None, compare=False, repr=False)


class DeferredSpec:
    """A spec not validated yet, and how to validate it (called on the first read of ``Manifest.spec``).

    The loader passes one for a resource restored from the parse cache (parse_cache.py): its file is
    unchanged since it was checked, so validating it again gives the same model, and a warm plan whose
    kinds build from ``Manifest.prepared`` never reads the spec at all."""

    __slots__ = ("validate",)

    def __init__(self, validate: Callable[[], BaseModel]) -> None:
        self.validate = validate


class _SpecField:
    """``Manifest.spec`` as stored: the model, or a DeferredSpec replaced by its model on first read.

    A data descriptor put on the class after @dataclass made the field, so that type checkers still
    see ``spec: SpecT``: the generated ``__init__`` assigns through ``__set__``, and every read (in the
    kinds' subclasses too) goes through ``__get__``."""

    def __get__(self, instance: Manifest[Any] | None, owner: type[Any]) -> Any:
        if instance is None:
            raise AttributeError("spec")  # no class-level default: the field stays required
        held = instance.__dict__["_spec"]
        if isinstance(held, DeferredSpec):
            held = instance.__dict__["_spec"] = held.validate()
        return held

    def __set__(self, instance: Manifest[Any], value: Any) -> None:
        instance.__dict__["_spec"] = value


setattr(Manifest, "spec", _SpecField())  # noqa: B010 - out of the type checkers' sight on purpose


LintCheck = Callable[[Any], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """Which resource a finding across the set is about: small enough to cross process boundaries."""

    kind: str
    name: str
    source: SourceLocation

    @classmethod
    def of(cls, resource: Manifest[Any]) -> ResourceRef:
        return cls(resource.kind, resource.name, resource.source)


@dataclass(frozen=True)
class SetCheck:
    """A check across the whole manifest set, in two steps so that it works however the set was loaded
    (`validate` builds resources in several processes and never gathers them in one place):

    ``extract`` runs on each resource where it is built and returns a small summary of what the check
    needs (plain tuples, strings, numbers: it may travel between processes); ``check`` then sees
    every (ResourceRef, summary), in load order, and yields (ResourceRef, Finding).

    A document with type errors is in the set too, by its kind and metadata.name (a duplicate name is
    reported in the same round as its type errors): ``extract`` then gets the resource made of the
    parts that type-check (manifest/partial.py), and where there is none its summary is None, which
    ``check`` must take as "nothing known but the kind and name"."""

    check: Callable[[Sequence[tuple[ResourceRef, Any]]], Iterable[tuple[ResourceRef, Finding]]]
    extract: Callable[[Manifest[Any]], Any]


@dataclass(frozen=True)
class NarrowedEnum:
    """The values of an enum field that a kind's lint accepts, where it refuses the others the type allows
    (live video is H264: VideoConfig.codec, J005). The kind's JSON Schema lists only these, so that an
    editor offers nothing validate refuses; ``why`` is added to the field's description."""

    model: type[BaseModel]
    field: str
    values: tuple[Any, ...]
    why: str


@dataclass(frozen=True)
class KindSpec:
    kind: str
    spec_model: type[BaseModel]
    resource_type: type[Manifest[Any]]
    lint: tuple[LintCheck, ...] = ()
    description: str = ""
    #: The smartlive.io/ annotations the kind reads, each with the values it takes.
    annotations: Mapping[str, frozenset[str]] = field(default_factory=dict)
    narrowed: tuple[NarrowedEnum, ...] = ()
    #: What the kind's build needs of a resource that depends on the resource alone (no environment,
    #: no other resource), computed once when its file is checked and kept with it in the parse cache
    #: (so plain data: marshal-able), then handed over as ``Manifest.prepared``: a warm plan of an
    #: unchanged file neither validates its spec again nor redoes this.
    prepare: Callable[[Any], Any] | None = None

    @cached_property
    def document_model(self) -> type[BaseModel]:
        """The whole document (apiVersion, kind, metadata, spec) as one model: validation and schema."""
        # Literal types built at run time: typed Any, as static checkers cannot follow them.
        api_version: Any = Literal[API_VERSION]
        kind: Any = Literal[self.kind]
        model: type[BaseModel] = create_model(
            self.kind,
            __config__=ConfigDict(extra="forbid", title=self.kind, json_schema_extra=self._schema_extra()),
            apiVersion=(api_version, Field(description="always smartlive/v1")),
            kind=(kind, Field(description="the document's kind")),
            metadata=(Metadata, ...),
            spec=(self.spec_model, ...),
        )
        return model

    def _schema_extra(self) -> dict[str, Any]:
        return {"description": self.description} if self.description else {}


_KINDS: dict[str, KindSpec] = {}
_SET_CHECKS: list[SetCheck] = []


#: The package that registers the built-in kinds when imported.
BUILTIN_KINDS: Final = "reconciler.kinds"


def register_document(spec: KindSpec) -> KindSpec:
    """Make ``spec.kind`` a known document kind. Its ``lint`` checks get the built resource and yield
    findings whose paths start at the document root (``("spec", ...)``)."""
    if spec.kind in _KINDS:
        raise ValueError(f"kind {spec.kind} is already registered")
    _KINDS[spec.kind] = spec
    return spec


def register_kind(
    kind: str,
    spec_model: type[BaseModel],
    *,
    resource_type: type[Manifest[Any]] = Manifest,
    lint: LintCheck | Sequence[LintCheck] = (),
    description: str = "",
) -> KindSpec:
    """register_document, spelled out."""
    checks = (lint,) if callable(lint) else tuple(lint)
    return register_document(KindSpec(kind, spec_model, resource_type, checks, description))


def register_set_check(
    check: Callable[[Sequence[tuple[ResourceRef, Any]]], Iterable[tuple[ResourceRef, Finding]]],
    *,
    extract: Callable[[Manifest[Any]], Any] = lambda resource: None,
) -> SetCheck:
    """Add a check across the manifest set (see SetCheck); by default it sees only each resource's
    kind, name and source."""
    registered = SetCheck(check, extract)
    _SET_CHECKS.append(registered)
    return registered


def kinds() -> Mapping[str, KindSpec]:
    """The registered kinds, in registration order."""
    _ensure_builtin_kinds()
    return dict(_KINDS)


def set_checks() -> Sequence[SetCheck]:
    _ensure_builtin_kinds()
    return tuple(_SET_CHECKS)


def _ensure_builtin_kinds() -> None:
    importlib.import_module(BUILTIN_KINDS)
