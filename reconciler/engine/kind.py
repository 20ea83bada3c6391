"""The one protocol every resource kind implements, and the contexts the engine hands it.

A kind (reconciler/kinds/*.py) is one module behind `Kind`, as a Terraform provider's resource is one
file: its manifest document (spec and lint), the references it makes, how to build the desired value,
how to read and normalize live objects, how to match and plan one resource, how to apply each action,
and how to adopt or import a remote object. The engine (planner, session, apply, import, prune) loops
over the registered kinds and never names one.

Desired and live values are the kind's own types: the engine holds them and passes them back to the
kind that made them, never looks inside. What it does read is in `Desired` and in `ResourceChange`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from reconciler.engine.plan import ResourceChange
from reconciler.errors import UserError
from reconciler.resources import Address, ManagedRecord, Reference

if TYPE_CHECKING:
    import asyncio

    from reconciler.cloud.api import MetaStudioApi
    from reconciler.manifest.registry import KindSpec, Manifest, SetCheck
    from reconciler.manifest.secrets import Secret

T = TypeVar("T")
D = TypeVar("D")
L = TypeVar("L")

#: HMAC of a value under the state store's key.
Fingerprinter = Callable[[Any], str]


class AmbiguityError(UserError):
    """The live state admits more than one reading of a declared resource."""


class MissingReferenceError(UserError):
    """A declaration names a remote object that does not exist (a room_id made elsewhere, say): a plan
    error, with the manifest's position, rather than an apply failure."""


class ImportRefused(UserError):
    """An object cannot be imported as asked (unknown id, wrong kind or name, already managed)."""


@dataclass(frozen=True)
class Desired(Generic[D]):
    """One declared resource, built: the kind's value and what the engine needs to know of it."""

    address: Address
    value: D
    references: tuple[Reference, ...] = ()
    #: The annotation smartlive.io/allow-restart: "true": apply may interrupt this resource's stream.
    allow_interrupt: bool = False
    #: Something the user should know (its secrets are not available here, say).
    note: str | None = None
    #: Where it is declared (`FILE:LINE`), for messages about it.
    source: str = ""
    #: The address it had before its manifest was renamed (smartlive.io/previous-name): its record
    #: follows it, as Terraform's `moved` block.
    moved_from: Address | None = None


def _nothing(_address: Address) -> Desired[Any] | None:
    return None


@dataclass(frozen=True)
class BuildContext:
    """What building a desired value may use: the store's fingerprint function (None without a store),
    the environment secrets are resolved from, and the other declared resources (a room copies the rules
    of the groups it imports)."""

    fingerprint: Fingerprinter | None
    environ: Mapping[str, str]
    lookup: Callable[[Address], Desired[Any] | None] = _nothing


async def gather(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """asyncio.gather for the kinds' concurrent reads. asyncio is imported here, when a plan runs:
    `smartlive validate` loads every kind module and has no event loop to pay ~20 ms of imports for."""
    import asyncio

    return list(await asyncio.gather(*awaitables))


class SharedReads:
    """A read several kinds need in one plan (the project's active jobs: the jobs' own, and the rooms'
    running jobs), made once and awaited by each."""

    def __init__(self) -> None:
        self._reads: dict[str, asyncio.Future[Any]] = {}

    async def get(self, key: str, read: Callable[[], Awaitable[T]]) -> T:
        import asyncio  # when a plan runs, not when a kind module loads (see gather)

        future = self._reads.get(key)
        if future is None:
            future = self._reads[key] = asyncio.ensure_future(read())
        result: T = await asyncio.shield(future)
        return result


@dataclass(frozen=True)
class ReadRequest:
    """What one kind's live read is for: the addresses declared, the state store's records of the kind,
    and a lazy lookup of the desired values (the read cache compares fingerprints)."""

    declared: Collection[Address]
    records: Mapping[Address, ManagedRecord]
    desired: Callable[[Address], Desired[Any] | None]
    refresh: bool = False
    #: Reads shared with the other kinds of the same plan.
    shared: SharedReads = field(default_factory=SharedReads)
    #: Another kind's live view, by kind name, once it is read. Only for a kind this one references:
    #: kinds read at once, and the references between kinds have no cycle, so neither has the waiting.
    view: Callable[[str], Awaitable[Any]] | None = None


@dataclass(frozen=True)
class PlanContext:
    """What planning one resource may know of the resources it references, planned before it (kinds
    are planned in reference order): their remote ids where they exist, and their changes. A reference
    to a resource that is yet to be created has no remote id: Terraform's "known after apply"."""

    changes: Mapping[Address, ResourceChange] = field(default_factory=dict)
    #: The addresses named with --replace: each kind plans their replacement action even when nothing
    #: differs (see `replace_requested`).
    replace: frozenset[Address] = frozenset()

    def replace_requested(self, address: Address) -> bool:
        """The user asked for this resource to be written again (--replace): a kind plans its full
        replacement action for it (a job's restart, a whole update in place), never a delete and create
        that would change the id others refer to."""
        return address in self.replace

    def remote_id(self, address: Address) -> str | None:
        change = self.changes.get(address)
        return change.remote_id if change is not None and change.remote_id else None

    def change(self, address: Address) -> ResourceChange | None:
        return self.changes.get(address)


@dataclass(frozen=True)
class Adoption:
    """A state record the plan found out of date, brought up to date without a request."""

    record: ManagedRecord
    #: Shown to the user when the record completes an interrupted apply's intent.
    note: str | None = None


@dataclass(frozen=True)
class Applied:
    """What one action did, in the words of apply's per-action line."""

    message: str
    remote_id: str = ""
    #: Warnings the service returned with an otherwise successful answer.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Listed:
    """One remote object as `smartlive ls` lists it: what names it, nothing secret, nothing to compare."""

    remote_id: str
    name: str
    #: Its state in the service's words (a room's room_state, a job's state); "" for a kind without one.
    state: str = ""


@dataclass(frozen=True)
class ExportedSecret:
    """A secret field `smartlive export` wrote as a reference: where, and the variable it names."""

    #: Its path in the manifest ("spec.stream_keys[0]").
    path: str
    #: The environment variable of its `${env:NAME}` reference (export_names.secret_variable).
    variable: str


@dataclass(frozen=True)
class Exported:
    """One remote object as a manifest `smartlive export` writes: plain JSON data with the API's field
    names, defaults left out, every secret a `${env:NAME}` reference (never a value)."""

    address: Address
    remote_id: str
    #: What the service calls it (a group's group_name, a room's room_name, a job's room's name).
    remote_name: str
    spec: Mapping[str, Any]
    secrets: tuple[ExportedSecret, ...] = ()
    #: What the manifest cannot say (a field the service never shows), for the user.
    notes: tuple[str, ...] = ()
    #: Why the object cannot be exported (two of one name, which plan could not tell apart); nothing
    #: is written for it.
    refused: str = ""


def _all(_address: Address, _remote_name: str) -> bool:
    return True


def _none(_kind: str) -> Sequence[Exported]:
    return ()


@dataclass(frozen=True)
class ExportRequest:
    """What one kind's export is for. Kinds export in reference order, so a kind sees the objects of the
    kinds it references that are exported too (a room writes `{import: GROUP}` for an exported group's
    rules, a job `room: NAME` for an exported room), and writes the others out in full (inline rules,
    room_id)."""

    #: Whether the user selected an object (--name), by the address export gives it and its remote name.
    selected: Callable[[Address, str], bool] = _all
    #: The exported objects of a kind this one references, by kind name.
    exported: Callable[[str], Sequence[Exported]] = _none


class Limiter(Protocol):
    async def wait(self) -> None: ...

    def pause(self, seconds: float) -> None: ...


class ApplyContext(Protocol):
    """What a kind's apply may do besides calling the API: record state, resolve references, wait."""

    @property
    def api(self) -> MetaStudioApi: ...

    @property
    def fingerprint(self) -> Fingerprinter | None: ...

    async def record(self, record: ManagedRecord) -> None:
        """Write a record to the state store (off the event loop), durable when it returns."""

    async def forget(self, address: Address) -> None:
        """Remove a record from the state store."""

    def resolve(self, reference: Address) -> str:
        """The remote id of a referenced resource: from the plan, or from a create earlier in this run."""
        ...

    def limiter(self, operation: str) -> Limiter | None:
        """The spacing of one API operation's calls, where the run paces it."""
        ...

    async def patient(self, call: Callable[[], Awaitable[T]], *, limiter: Limiter | None = None) -> T:
        """`call`, sent again while the gateway throttles it (429), up to the run's patience. Every write
        to the service goes through here: the run checks its state lock before each one."""
        ...

    async def until_known(
        self,
        what: str,
        write: Callable[[], Awaitable[T]],
        *,
        lookup: Callable[[], Awaitable[T | None]] | None = None,
    ) -> T:
        """`write` until its outcome is known: after a lost answer, `lookup` (if any) finds the object
        the write may have made; without one the write is idempotent and is simply sent again."""
        ...


class Kind(Protocol[D, L]):
    """One resource kind. `D` is its desired value, `L` its live view (every remote object it read)."""

    #: The manifest kind, e.g. "InteractionRuleGroup".
    name: str
    #: What its remote id is called in messages ("group_id", "job_id").
    remote_id_name: str
    #: What a live object of it is called where only live ones count ("group_id", "active job").
    live_noun: str
    #: The kinds its references may point at: a delete of one of those waits for this kind's changes.
    referenced_kinds: frozenset[str]
    #: True when `match` finds a declaration with no state record a live object by its name alone: one
    #: made elsewhere (the console, another tool) is then shown as not managed, to `smartlive import`,
    #: never taken over. False where a match says more than a name (a job is its room's active job).
    matched_by_name: bool
    #: What `smartlive ls` accepts for it besides its name, in any case (kubectl's short names).
    short_names: tuple[str, ...]
    #: The folder of its manifests in a manifest tree laid out as examples/ is ("rule-groups").
    folder: str

    def document(self) -> KindSpec:
        """Its manifest document: spec model, resource class, lint."""
        ...

    def set_checks(self) -> tuple[SetCheck, ...]:
        """Its checks across the manifest set (one running job per room, say)."""
        ...

    def references(self, manifest: Manifest[Any]) -> Iterable[Reference]:
        """The resources a declaration names (checked at validate, resolved at apply)."""
        ...

    def secret_references(self, manifest: Manifest[Any]) -> Iterable[tuple[str, Secret]]:
        """(path, secret) for every secret field a declaration sets; nothing is resolved."""
        ...

    def build(self, manifest: Manifest[Any], ctx: BuildContext) -> Desired[D]:
        """The canonical desired value of one declaration."""
        ...

    async def read(self, api: MetaStudioApi, request: ReadRequest) -> L:
        """The live objects a plan needs, normalized, in as few requests as the API allows."""
        ...

    async def listing(self, api: MetaStudioApi) -> Sequence[Listed]:
        """Every remote object of the kind in the project, from its list requests alone (no object is
        read in full): `smartlive ls`, which shows what `smartlive import` can take."""
        ...

    def match(
        self, desired: Desired[D], live: L, record: ManagedRecord | None, ctx: PlanContext
    ) -> Sequence[Any]:
        """The live objects that are this declaration (by name, by room, by the recorded id, ...): one,
        none, or an ambiguity the kind's plan refuses."""
        ...

    def plan(
        self, desired: Desired[D], matched: Sequence[Any], record: ManagedRecord | None, ctx: PlanContext
    ) -> ResourceChange:
        """What to do with one declared resource."""
        ...

    def prune(self, record: ManagedRecord, live: L) -> ResourceChange | None:
        """The delete or stop of an undeclared managed object that still exists, else None."""
        ...

    def sequence(self, changes: Sequence[ResourceChange]) -> Mapping[Address, tuple[Address, ...]]:
        """Extra order among this kind's own changes (in one room, a stop before a start)."""
        ...

    def live_material(self, live: L) -> Any:
        """What a saved plan depends on (ids and versions), as JSON-ready data."""
        ...

    def live_ids(self, live: L) -> Collection[str]:
        """The remote ids that exist: a record of an id not among them is forgotten by --prune."""
        ...

    def adopt(
        self, change: ResourceChange, record: ManagedRecord, desired: Desired[D] | None, live: L
    ) -> Adoption | None:
        """A record the plan found out of date (an interrupted apply's intent, a version moved)."""
        ...

    async def apply(self, change: ResourceChange, desired: Desired[D] | None, ctx: ApplyContext) -> Applied:
        """Carry out one change; UserError when it fails."""
        ...

    async def settle(self, ctx: ApplyContext, written: Mapping[Address, Desired[D]]) -> None:
        """Bookkeeping after every change of this kind ran (versions of what was written, say)."""
        ...

    async def import_record(self, api: MetaStudioApi, address: Address, remote_id: str) -> ManagedRecord:
        """The record of an existing remote object, checked against the address; ImportRefused."""
        ...

    def adopted(
        self, record: ManagedRecord, desired: Desired[D], fingerprint: Fingerprinter
    ) -> ManagedRecord:
        """`record` (import_record's) with what an apply of `desired` would record of it (fingerprints):
        `smartlive export --adopt`, whose manifests were made from the object, asserts they match it. A
        secret `desired` could not resolve has no fingerprint, and plan still shows it "? may change"."""
        ...

    async def export(self, api: MetaStudioApi, request: ExportRequest) -> Sequence[Exported]:
        """Every selected remote object of the kind as a manifest (`smartlive export`), sorted by address;
        names follow export_names.py, which docs/export.md documents."""
        ...


K = TypeVar("K", bound="Kind[Any, Any]")


def in_reference_order(kinds: Sequence[K]) -> list[K]:
    """`kinds`, each after the kinds its references point at (they have no cycle): planning one sees the
    changes of what it references, exporting one the objects of what it references."""
    from graphlib import TopologicalSorter  # when a plan or an export runs, not when a kind loads

    by_name = {kind.name: kind for kind in kinds}
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for kind in kinds:
        sorter.add(kind.name, *(name for name in kind.referenced_kinds if name in by_name))
    return [by_name[name] for name in sorter.static_order()]
