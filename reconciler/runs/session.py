"""One plan (and apply) session: manifests + live state + state store -> Plan, and what apply needs.

This is where the I/O edges meet the pure core: load the manifests (reconciler.manifest), let every
registered kind read its live state, take what was applied from the state store, and hand plain values
to the planner. Secrets are resolved here only to fingerprint them under the store's HMAC key. No kind is
named here: each one builds, reads and plans its own resources (reconciler/kinds/).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.cloud.api import MetaStudioApi
from reconciler.engine.kind import BuildContext, Desired, Kind, ReadRequest, SharedReads
from reconciler.engine.plan import Plan
from reconciler.engine.planner import PlanInput, PlanOptions, make_plan
from reconciler.engine.stacks import Ownership
from reconciler.errors import ManifestError, UsageError
from reconciler.heap import freeze_now, frozen_while
from reconciler.kinds import RESOURCE_KINDS, resource_kind
from reconciler.manifest import LoadResult, Manifest, load_manifests
from reconciler.manifest.lint_metadata import PREVIOUS_NAME
from reconciler.manifest.variables import Variables
from reconciler.resources import Address, ManagedRecord

if TYPE_CHECKING:
    from reconciler.manifest.variables import Variables
    from reconciler.state.base import StateStore


@dataclass(frozen=True)
class DesiredSet:
    """Every declared resource of the resource kinds, built, in load order."""

    resources: dict[Address, Desired[Any]]
    manifests: dict[Address, Manifest[Any]]
    loaded: LoadResult = field(repr=False)
    notes: tuple[str, ...] = ()

    @cached_property
    def digest(self) -> str:
        """Digest of the manifests' content: a saved plan is stale when they changed since. Computed
        when a saved plan needs it: it reads every spec, which a warm plan otherwise never validates."""
        return manifest_digest(self.loaded)

    def of_kind(self, name: str) -> list[Desired[Any]]:
        return [d for a, d in self.resources.items() if a.kind == name]


@dataclass(frozen=True)
class Session:
    desired: DesiredSet
    #: kind name -> that kind's live view, as its `read` returned it.
    live: dict[str, Any]
    plan: Plan
    #: The records the plan's stack may write (engine/stacks.py, `Ownership.claimed`): what apply's
    #: bookkeeping may correct or forget. None without a state store.
    managed: Mapping[Address, ManagedRecord] | None = None
    request_count: int = 0


def load(
    paths: Sequence[str | Path], *, parse_cache: Path | None = None, variables: Variables | None = None
) -> LoadResult:
    """Manifests that must be valid: any error stops here, with validate's own messages.
    `parse_cache`: a directory to keep parsed files in between runs (manifest/parse_cache.py);
    `variables`: the selected environment's (None: no project file)."""
    result = load_manifests(paths, cache_dir=parse_cache, variables=variables)
    if not result.ok:
        shown = "\n".join(str(d) for d in result.errors[:20])
        more = f"\n... and {len(result.errors) - 20} more" if len(result.errors) > 20 else ""
        # The same check, in the same environment: its variables are part of what failed.
        env = f" --env {variables.environment}" if variables is not None and variables.environment else ""
        raise ManifestError(
            f"the manifests have {len(result.errors)} error(s); run `smartlive validate{env}` for all of them:"
            f"\n{shown}{more}"
        )
    return result


def _require_resources(result: LoadResult, paths: Sequence[str | Path]) -> None:
    """An empty set is refused, not planned as "No changes": validate warns of an empty file (Y008) and
    fails a directory without manifests (Y009), and a plan or apply of nothing is a wrong path far more
    often than a wish (with --prune it would plan removing everything the stack manages)."""
    if any(resource_kind(m.kind) is not None for m in result.resources):
        return
    where = ", ".join(str(p) for p in paths)
    documents = sorted({m.kind for m in result.resources})
    why = (
        f"only {', '.join(documents)} documents, which plan and apply do not act on"
        if documents
        else "nothing to plan or apply (an empty file or directory?)"
    )
    raise ManifestError(f"no manifests in {where}: {why}")


def manifest_digest(result: LoadResult) -> str:
    """Digest of every resource as loaded (secret references, never values)."""
    digest = hashlib.sha256()
    for resource in sorted(result.resources, key=lambda r: (r.kind, r.name)):
        digest.update(f"{Address(resource.kind, resource.name)}\0".encode())
        digest.update(resource.spec.model_dump_json(exclude_none=True).encode())
        digest.update(repr(sorted(resource.annotations.items())).encode())
    return digest.hexdigest()


class DesiredBuilder:
    """Builds the desired state one resource at a time, so that plan can do it while the live state is
    being read (the event loop is idle most of that time), and can build one resource early when a
    kind's read cache needs its fingerprint. With a state store's key, fingerprints of the fields the
    service never returns are computed from the resolved secrets."""

    #: Resources built between two yields to the event loop: small enough not to delay answers waiting.
    CHUNK = 20

    def __init__(
        self, result: LoadResult, hmac_key: bytes | None, environ: Mapping[str, str] | None = None
    ) -> None:
        self.result = result
        self.context = BuildContext(
            fingerprint=self._fingerprinter(hmac_key), environ=environ or os.environ, lookup=self.get
        )
        self._manifests: dict[Address, tuple[Kind[Any, Any], Manifest[Any]]] = {}
        for manifest in result.resources:
            kind = resource_kind(manifest.kind)
            if kind is not None:
                self._manifests[Address(manifest.kind, manifest.name)] = (kind, manifest)
        self._built: dict[Address, Desired[Any]] = {}

    @staticmethod
    def _fingerprinter(hmac_key: bytes | None) -> Any:
        if hmac_key is None:
            return None
        from reconciler.state.base import fingerprint

        return lambda value: fingerprint(value, hmac_key)

    @property
    def addresses(self) -> list[Address]:
        return list(self._manifests)

    def get(self, address: Address) -> Desired[Any] | None:
        """The declared resource at `address` (None when none is declared), built once."""
        built = self._built.get(address)
        if built is None:
            entry = self._manifests.get(address)
            if entry is None:
                return None
            kind, manifest = entry
            built = kind.build(manifest, self.context)
            previous = manifest.annotations.get(PREVIOUS_NAME)
            moved_from = Address(address.kind, previous) if previous else None
            built = self._built[address] = replace(built, source=str(manifest.source), moved_from=moved_from)
        return built

    def _steps(self) -> Iterator[None]:
        for address in self._manifests:
            self.get(address)
            yield

    def _desired(self) -> DesiredSet:
        resources = {address: self._built[address] for address in self._manifests}
        manifests = {address: manifest for address, (_kind, manifest) in self._manifests.items()}
        notes = tuple(d.note for d in resources.values() if d.note is not None)
        return DesiredSet(resources, manifests, self.result, notes)

    def build(self) -> DesiredSet:
        for _ in self._steps():
            pass
        return self._desired()

    async def build_async(self) -> DesiredSet:
        """`build`, giving the event loop a turn every CHUNK resources."""
        for count, _ in enumerate(self._steps(), start=1):
            if count % self.CHUNK == 0:
                await asyncio.sleep(0)
        return self._desired()


def build_desired(
    result: LoadResult, hmac_key: bytes | None, environ: Mapping[str, str] | None = None
) -> DesiredSet:
    """The desired state (see DesiredBuilder), all at once."""
    return DesiredBuilder(result, hmac_key, environ).build()


async def read_live(
    api: MetaStudioApi,
    builder: DesiredBuilder,
    managed: Mapping[Address, ManagedRecord],
    *,
    refresh: bool = False,
) -> dict[str, Any]:
    """Every kind's live view, read at once."""
    declared = builder.addresses
    shared = SharedReads()
    reads: dict[str, asyncio.Future[Any]] = {}

    async def view(name: str) -> Any:
        return await asyncio.shield(reads[name])

    async def one(kind: Kind[Any, Any]) -> Any:
        request = ReadRequest(
            declared=[a for a in declared if a.kind == kind.name],
            records={a: r for a, r in managed.items() if a.kind == kind.name},
            desired=builder.get,
            refresh=refresh,
            shared=shared,
            view=view,
        )
        return await kind.read(api, request)

    for kind in RESOURCE_KINDS:
        reads[kind.name] = asyncio.ensure_future(one(kind))
    views = await asyncio.gather(*reads.values())
    return dict(zip(reads, views, strict=True))


async def plan_session(
    api: MetaStudioApi,
    paths: Sequence[str | Path],
    *,
    store: StateStore | None,
    target_key: str,
    options: PlanOptions,
    refresh: bool = False,
    environ: Mapping[str, str] | None = None,
    parse_cache: Path | None = None,
    variables: Variables | None = None,
) -> Session:
    """`variables`: the selected environment's, for `${var:NAME}` (None: no project file)."""
    with frozen_while():
        return await _plan_session(
            api,
            paths,
            store,
            target_key,
            options,
            refresh=refresh,
            environ=environ,
            parse_cache=parse_cache,
            variables=variables,
        )


async def _plan_session(
    api: MetaStudioApi,
    paths: Sequence[str | Path],
    store: StateStore | None,
    target_key: str,
    options: PlanOptions,
    *,
    refresh: bool,
    environ: Mapping[str, str] | None,
    parse_cache: Path | None,
    variables: Variables | None,
) -> Session:
    # The live state is read once the manifests are loaded, not during the load: a kind's read needs
    # the declared addresses (which listed objects are its) and, for the read cache, their fingerprints.
    # Overlapping the two would split every kind's read in two (the lists, then the rest) to win at
    # most the load's time, which the parse cache makes small: 0.09 s of a warm plan of 2,000 groups,
    # under its paged list's own round trips.
    result = load(paths, parse_cache=parse_cache, variables=variables)
    # The manifests too, now loaded: they live as long as the session (reconciler/heap.py).
    freeze_now()
    _require_resources(result, paths)
    # Every stack's records: the planner needs the others' to name their owner, never to read them.
    managed = store.records(target_key) if store is not None else None
    owners = Ownership(options.stack, managed or {})
    builder = DesiredBuilder(result, store.hmac_key() if store is not None else None, environ)
    undeclared = sorted(options.replace - set(builder.addresses))
    if undeclared:
        raise UsageError(
            f"--replace {', '.join(str(a) for a in undeclared)}: no manifest declares it; only a declared "
            "resource can be written again"
        )
    before = api.http.stats.total
    # The desired state is built while the live state is read: the event loop mostly waits on the network.
    live, desired = await asyncio.gather(
        read_live(api, builder, owners.visible, refresh=refresh), builder.build_async()
    )
    inputs = [PlanInput(kind, desired.of_kind(kind.name), live[kind.name]) for kind in RESOURCE_KINDS]
    plan = make_plan(inputs, managed=managed, options=options)
    if desired.notes:
        plan = replace(plan, notes=plan.notes + desired.notes)
    # The records apply may write: those of what is declared, and those a renamed manifest takes over.
    moved = {c.moved_from for c in plan.changes if c.moved_from is not None}
    claimed = owners.claimed({*desired.resources, *moved}) if managed is not None else None
    return Session(desired, live, plan, claimed, api.http.stats.total - before)
