"""One plan (and apply) session: manifests + live state + state store -> Plan, and what apply needs.

This is where the I/O edges meet the pure core: load the manifests (reconciler.manifest), read the live
state (reconciler.cloud.live), take what was applied from the state store, and hand plain values to
the planner. Secrets are resolved here only to fingerprint them under the store's HMAC key.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.api import models
from reconciler.cloud.api import MetaStudioApi
from reconciler.cloud.live import LiveSnapshot, read_live
from reconciler.engine.desired import JobDeclaration, desired_group, desired_job
from reconciler.engine.plan import GROUP_KIND, JOB_KIND, Plan
from reconciler.engine.planner import DesiredGroup, DesiredJob, ManagedRecord, PlanOptions, make_plan
from reconciler.errors import ManifestError
from reconciler.manifest import LiveJobManifest, LoadResult, load_manifests

if TYPE_CHECKING:
    from reconciler.engine.apply import JobInputs
    from reconciler.state.base import StateStore


@dataclass(frozen=True)
class Desired:
    groups: dict[str, DesiredGroup]
    jobs: dict[str, DesiredJob]
    job_manifests: dict[str, LiveJobManifest]
    #: Digest of the manifests' content: a saved plan is stale when they changed since.
    digest: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Session:
    desired: Desired
    snapshot: LiveSnapshot
    plan: Plan
    managed: Mapping[str, ManagedRecord] | None = None
    request_count: int = 0
    extras: dict[str, Any] = field(default_factory=dict)

    def job_inputs(self, environ: Mapping[str, str] | None = None) -> dict[str, JobInputs]:
        from reconciler.engine.apply import JobInputs  # apply's machinery only when applying

        return {
            address: JobInputs(
                self.desired.jobs[address],
                build_request=lambda m=manifest: m.to_start_request(environ),  # type: ignore[misc]
                allow_restart=manifest.allow_restart,
            )
            for address, manifest in self.desired.job_manifests.items()
        }


def load(paths: Sequence[str | Path]) -> LoadResult:
    """Manifests that must be valid: any error stops here, with validate's own messages."""
    result = load_manifests(paths)
    if not result.ok:
        shown = "\n".join(str(d) for d in result.errors[:20])
        more = f"\n... and {len(result.errors) - 20} more" if len(result.errors) > 20 else ""
        raise ManifestError(
            f"the manifests have {len(result.errors)} error(s); run `smartlive validate` for all of them:\n{shown}{more}"
        )
    return result


def manifest_digest(result: LoadResult) -> str:
    """Digest of every resource as loaded (secret references, never values)."""
    digest = hashlib.sha256()
    for resource in sorted(result.resources, key=lambda r: (r.kind, r.name)):
        digest.update(f"{resource.kind}/{resource.name}\0".encode())
        digest.update(resource.spec.model_dump_json(exclude_none=True).encode())
        digest.update(repr(sorted(resource.annotations.items())).encode())
    return digest.hexdigest()


def _job_request_with_references(manifest: LiveJobManifest) -> dict[str, Any]:
    body: dict[str, Any] = manifest.spec.model_dump(
        mode="json", exclude_none=True, exclude={"room_id", "state"}
    )
    return body


class DesiredBuilder:
    """Builds the canonical desired state one resource at a time, so that plan can do it while the live
    state is being read (the event loop is idle most of that time), and can build one group early when the
    read cache needs its fingerprint. With a state store's key, fingerprints of the fields the service
    never returns are computed from the resolved secrets."""

    #: Resources built between two yields to the event loop: small enough not to delay answers waiting.
    CHUNK = 20

    def __init__(
        self, result: LoadResult, hmac_key: bytes | None, environ: Mapping[str, str] | None = None
    ) -> None:
        self.result = result
        self.hmac_key = hmac_key
        self.environ = environ
        self._group_manifests = {f"{GROUP_KIND}/{g.name}": g for g in result.groups}
        self._groups: dict[str, DesiredGroup] = {}
        self._jobs: dict[str, DesiredJob] = {}
        self._notes: list[str] = []

    def _fingerprint(self, value: Any) -> str:
        from reconciler.state.base import fingerprint as hmac_fingerprint

        return hmac_fingerprint(value, self.hmac_key) if self.hmac_key is not None else ""

    def group(self, address: str) -> DesiredGroup | None:
        """The declared group at `address` (None when none is declared), built once."""
        built = self._groups.get(address)
        if built is None:
            manifest = self._group_manifests.get(address)
            if manifest is None:
                return None
            rules = [rule.model_dump(mode="json", exclude_none=True) for rule in manifest.interaction_rules]
            fingerprint = self._fingerprint if self.hmac_key is not None else None
            built = self._groups[address] = desired_group(manifest.name, rules, fingerprint)
        return built

    def job(self, manifest: LiveJobManifest) -> tuple[DesiredJob, str | None]:
        """The desired job, and a note when its secrets are not available here."""
        declaration = JobDeclaration(
            manifest.name,
            manifest.room_id,
            manifest.state,
            _job_request_with_references(manifest),
            manifest.allow_restart,
        )
        note = None
        resolved: dict[str, Any] | None = None
        if self.hmac_key is not None:
            try:
                resolved = models.to_wire(manifest.to_start_request(self.environ))
            except ManifestError as exc:
                # Plan still works where secrets are not available (a pull-request check, say); apply
                # resolves them again and fails there.
                note = f"{JOB_KIND}/{manifest.name}: its secrets are not available here ({exc}); its output is not verified"

        def resolve(_request: Mapping[str, Any]) -> dict[str, Any]:
            assert resolved is not None
            return resolved

        verifiable = resolved is not None
        built = desired_job(
            declaration,
            resolve=resolve if verifiable else None,
            fingerprint=self._fingerprint if verifiable else None,
        )
        return built, note

    def _steps(self) -> Iterator[None]:
        """Build everything, yielding after each resource."""
        for address in self._group_manifests:
            self.group(address)
            yield
        self._jobs.clear()
        self._notes.clear()
        for manifest in self.result.jobs:
            built, note = self.job(manifest)
            self._jobs[f"{JOB_KIND}/{manifest.name}"] = built
            if note is not None:
                self._notes.append(note)
            yield

    def _desired(self) -> Desired:
        groups = {address: self._groups[address] for address in self._group_manifests}
        manifests = {f"{JOB_KIND}/{m.name}": m for m in self.result.jobs}
        return Desired(groups, self._jobs, manifests, manifest_digest(self.result), tuple(self._notes))

    def build(self) -> Desired:
        for _ in self._steps():
            pass
        return self._desired()

    async def build_async(self) -> Desired:
        """`build`, giving the event loop a turn every CHUNK resources."""
        for count, _ in enumerate(self._steps(), start=1):
            if count % self.CHUNK == 0:
                await asyncio.sleep(0)
        return self._desired()


def build_desired(
    result: LoadResult, hmac_key: bytes | None, environ: Mapping[str, str] | None = None
) -> Desired:
    """Canonical desired state (see DesiredBuilder), all at once."""
    return DesiredBuilder(result, hmac_key, environ).build()


async def plan_session(
    api: MetaStudioApi,
    paths: Sequence[str | Path],
    *,
    store: StateStore | None,
    target_key: str,
    options: PlanOptions,
    refresh: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Session:
    result = load(paths)
    managed = store.records(target_key) if store is not None else None
    builder = DesiredBuilder(result, store.hmac_key() if store is not None else None, environ or os.environ)
    records = managed or {}
    declared_names = {g.name for g in result.groups}
    managed_group_ids = {r.remote_id for r in records.values() if r.kind == GROUP_KIND}

    def wanted(summary: models.InteractionRuleGroupSummary) -> bool:
        return summary.group_name in declared_names or summary.group_id in managed_group_ids

    def unchanged(summary: models.InteractionRuleGroupSummary) -> bool:
        """The read cache: same group, same update_time as recorded, same declaration as applied."""
        if refresh or summary.group_name is None:
            return False
        address = f"{GROUP_KIND}/{summary.group_name}"
        record = records.get(address)
        if (
            record is None
            or not record.update_time
            or record.remote_id != summary.group_id
            or record.update_time != summary.update_time
        ):
            return False
        declared = builder.group(address)
        return (
            declared is not None and bool(declared.fingerprint) and record.fingerprint == declared.fingerprint
        )

    rooms = {j.room_id for j in result.jobs} | {r.room_id for r in records.values() if r.kind == JOB_KIND}
    before = api.http.stats.total
    # The desired state is built while the live state is read: the event loop mostly waits on the network.
    snapshot, desired = await asyncio.gather(
        read_live(api, group_wanted=wanted, group_unchanged=unchanged, rooms=rooms), builder.build_async()
    )
    plan = make_plan(
        desired_groups=list(desired.groups.values()),
        desired_jobs=list(desired.jobs.values()),
        live_groups=snapshot.groups,
        live_jobs=snapshot.jobs,
        managed=managed,
        options=options,
    )
    if desired.notes:
        plan = replace(plan, notes=plan.notes + desired.notes)
    return Session(desired, snapshot, plan, managed, api.http.stats.total - before)
