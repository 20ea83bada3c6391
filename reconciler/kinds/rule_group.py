"""InteractionRuleGroup: a MetaStudio interaction rule group, matched to the live one by group_name.

Live state: the paged list (it has no rules), then a show for each group the plan needs, all at once
under the client's bound; a group the state store saw at the same update_time, with an unchanged
declaration, is not shown again (the read cache). Apply: create (after an intent record; a lost answer
is looked up by group_name before trying again), a whole-group PUT (idempotent), delete (a group already
gone counts as deleted); afterwards one paged list records the written groups' update_times.
"""

from __future__ import annotations

import marshal
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Final

from pydantic import BaseModel, ConfigDict, Field

from reconciler.api import models
from reconciler.engine import normalize
from reconciler.engine.diff import diff
from reconciler.engine.export_names import namesakes_refused
from reconciler.engine.kind import (
    Adoption,
    AmbiguityError,
    Applied,
    ApplyContext,
    BuildContext,
    Desired,
    Exported,
    ExportRequest,
    Fingerprinter,
    ImportRefused,
    Listed,
    PlanContext,
    ReadRequest,
    gather,
)
from reconciler.engine.plan import Action, Reason, ReasonCode, ResourceChange
from reconciler.errors import AuthError, RemoteError, UserError
from reconciler.kinds.common import answered_id, delete_remote, pruned_delete, update_requested
from reconciler.manifest.lint_rules import lint_rules
from reconciler.manifest.registry import KindSpec, Manifest, SetCheck
from reconciler.manifest.secrets import Secret
from reconciler.resources import PENDING, Address, CanonicalJson, ManagedRecord, Reference, canonical_json

if TYPE_CHECKING:  # the HTTP stack loads only where a plan or apply runs, not for validate
    from reconciler.cloud.api import MetaStudioApi

NAME: Final = "InteractionRuleGroup"


class RuleGroupSpec(BaseModel):
    """The rule group: its interaction rules as CreateInteractionRuleGroup takes them; metadata.name is
    its group_name."""

    api_model: ClassVar[type[BaseModel]] = models.InteractionRuleGroup
    model_config = ConfigDict(extra="forbid")

    interaction_rules: list[models.InteractionRuleInfo] = Field(default_factory=list)


@dataclass(frozen=True)
class RuleGroupManifest(Manifest[RuleGroupSpec]):
    """A declared interaction rule group; ``name`` is the group_name."""

    @property
    def group_name(self) -> str:
        return self.name

    @property
    def interaction_rules(self) -> list[models.InteractionRuleInfo]:
        return self.spec.interaction_rules

    def to_request(self) -> models.InteractionRuleGroup:
        """The Create/UpdateInteractionRuleGroup body."""
        return models.InteractionRuleGroup(
            group_name=self.name, interaction_rules=list(self.spec.interaction_rules)
        )


@dataclass(frozen=True, eq=False)
class DesiredGroup:
    name: str
    #: The canonical form, marshal-encoded (as the parse cache keeps it, see `prepare`): decoded on
    #: first use, which a warm plan of groups unchanged since apply never makes.
    encoded: bytes = field(repr=False)
    #: Digest of the canonical form, compared with the state store's record for the read cache.
    fingerprint: str = ""

    @cached_property
    def canonical(self) -> dict[str, Any]:
        canonical: dict[str, Any] = marshal.loads(self.encoded)
        return canonical

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DesiredGroup):
            return NotImplemented
        return (self.name, self.fingerprint, self.canonical) == (
            other.name,
            other.fingerprint,
            other.canonical,
        )

    __hash__ = None  # type: ignore[assignment]  # as before: a canonical form (a dict) is not hashable


@dataclass(frozen=True)
class LiveGroup:
    group_id: str
    group_name: str
    update_time: str = ""
    #: None when the group was not read because the state store shows it unchanged since apply.
    canonical: dict[str, Any] | None = None


@dataclass(frozen=True)
class LiveGroups:
    """The groups a plan read, indexed: a plan matches thousands of groups, each by a lookup."""

    groups: tuple[LiveGroup, ...] = ()
    by_name: dict[str, list[LiveGroup]] = field(init=False, repr=False, compare=False)
    by_id: dict[str, LiveGroup] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, list[LiveGroup]] = {}
        for group in self.groups:
            by_name.setdefault(group.group_name, []).append(group)
        object.__setattr__(self, "by_name", by_name)
        object.__setattr__(self, "by_id", {g.group_id: g for g in self.groups})


def normalize_group(group: Mapping[str, Any]) -> dict[str, Any]:
    """{"group_name", "interaction_rules": {key: rule}} from a request body or a show response; the key is
    the rule_name (see normalize.rule_key)."""
    rules = normalize.normalize_rules(group.get("interaction_rules") or [])
    return normalize.with_rule_order({"group_name": group.get("group_name"), "interaction_rules": rules})


def desired_group(name: str, rules: list[dict[str, Any]], fingerprint: Any = None) -> DesiredGroup:
    canonical = normalize_group({"group_name": name, "interaction_rules": rules})
    return DesiredGroup(name, marshal.dumps(canonical), fingerprint(canonical) if fingerprint else "")


def prepare(manifest: Manifest[Any]) -> tuple[bytes, str]:
    """What `build` needs of a declared group, computed when its file is checked and kept in the parse
    cache (KindSpec.prepare): its canonical form, marshal-encoded, and that form's canonical JSON, so
    that a warm plan neither normalizes its rules nor serializes them to fingerprint them."""
    rules = [rule.model_dump(mode="json", exclude_none=True) for rule in manifest.spec.interaction_rules]
    canonical = normalize_group({"group_name": manifest.name, "interaction_rules": rules})
    return marshal.dumps(canonical), canonical_json(canonical)


def live_group(
    detail: models.ShowInteractionRuleGroupResponse, summary: models.InteractionRuleGroupSummary | None = None
) -> LiveGroup:
    """A shown group, canonical. The list entry fills what the show left out (the name, the version)."""
    canonical = normalize_group(detail.model_dump(mode="json", exclude_none=True))
    name = detail.group_name or (summary.group_name if summary else None) or ""
    if canonical["group_name"] is None:
        canonical["group_name"] = name
    update_time = detail.update_time or (summary.update_time if summary else None) or ""
    group_id = detail.group_id or (summary.group_id if summary else None) or ""
    return LiveGroup(group_id, name, update_time, canonical)


def exported_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A rule as shown, as a manifest writes it: without what the service fills in (ids, times, the
    index) and without the documented defaults the normalizer fills back."""
    shown = {k: v for k, v in rule.items() if k not in normalize.RULE_SERVER_FIELDS}
    return normalize.without_defaults(shown, normalize.RULE_DEFAULTS, recreated=("hit_condition",))


def group_body(desired: DesiredGroup) -> models.InteractionRuleGroup:
    rules = list(desired.canonical["interaction_rules"].values())
    return models.InteractionRuleGroup.model_validate(
        {"group_name": desired.name, "interaction_rules": rules}
    )


def _record(desired: Desired[DesiredGroup], group_id: str, update_time: str = "") -> ManagedRecord:
    return ManagedRecord(
        desired.address, group_id, fingerprint=desired.value.fingerprint, update_time=update_time
    )


class RuleGroupKind:
    name = NAME
    remote_id_name = "group_id"
    live_noun = "group_id"
    referenced_kinds: frozenset[str] = frozenset()
    matched_by_name = True
    short_names: tuple[str, ...] = ("group", "groups")
    folder = "rule-groups"

    # Manifest -----------------------------------------------------------------------------------

    def document(self) -> KindSpec:
        return KindSpec(
            NAME,
            RuleGroupSpec,
            RuleGroupManifest,
            (lambda r: lint_rules(r.spec.interaction_rules, ("spec", "interaction_rules")),),
            "A MetaStudio smart-live interaction rule group; metadata.name is its group_name.",
            prepare=prepare,
        )

    def set_checks(self) -> tuple[SetCheck, ...]:
        return ()

    def references(self, manifest: Manifest[Any]) -> Iterable[Reference]:
        return ()

    def secret_references(self, manifest: Manifest[Any]) -> Iterable[tuple[str, Secret]]:
        return ()

    def build(self, manifest: Manifest[Any], ctx: BuildContext) -> Desired[DesiredGroup]:
        # A manifest made without the loader (a test's) has nothing prepared yet.
        encoded, text = manifest.prepared if manifest.prepared is not None else prepare(manifest)
        fingerprint = ctx.fingerprint(CanonicalJson(text)) if ctx.fingerprint else ""
        return Desired(Address(NAME, manifest.name), DesiredGroup(manifest.name, encoded, fingerprint))

    # Live state ---------------------------------------------------------------------------------

    async def read(self, api: MetaStudioApi, request: ReadRequest) -> LiveGroups:
        declared_names = {a.name for a in request.declared}
        managed_ids = {r.remote_id for r in request.records.values()}

        def unchanged(summary: models.InteractionRuleGroupSummary) -> bool:
            """The read cache: same group, same update_time as recorded, same declaration as applied."""
            if request.refresh or summary.group_name is None:
                return False
            address = Address(NAME, summary.group_name)
            record = request.records.get(address)
            if (
                record is None
                or not record.update_time
                or record.remote_id != summary.group_id
                or record.update_time != summary.update_time
            ):
                return False
            declared = request.desired(address)
            return (
                declared is not None
                and bool(declared.value.fingerprint)
                and record.fingerprint == declared.value.fingerprint
            )

        summaries = [
            s
            for s in await api.list_rule_groups()
            if s.group_name in declared_names or s.group_id in managed_ids
        ]

        async def show(summary: models.InteractionRuleGroupSummary) -> LiveGroup:
            return live_group(await api.show_rule_group(summary.group_id or ""), summary)

        # The groups the read cache vouches for are not read: no request, and no task either (a warm
        # plan of thousands of unchanged groups spent more on scheduling those than on its requests).
        vouched = [unchanged(s) for s in summaries]
        shown = iter(await gather(show(s) for s, skip in zip(summaries, vouched, strict=True) if not skip))
        return LiveGroups(
            tuple(
                LiveGroup(s.group_id or "", s.group_name or "", s.update_time or "", canonical=None)
                if skip
                else next(shown)
                for s, skip in zip(summaries, vouched, strict=True)
            )
        )

    async def listing(self, api: MetaStudioApi) -> Sequence[Listed]:
        # A group has no state of its own: it is, or it is not.
        return [Listed(s.group_id, s.group_name or "") for s in await api.list_rule_groups() if s.group_id]

    def live_material(self, live: LiveGroups) -> Any:
        return sorted([g.group_name, g.group_id, g.update_time] for g in live.groups)

    def live_ids(self, live: LiveGroups) -> Collection[str]:
        return set(live.by_id)

    # Plan ---------------------------------------------------------------------------------------

    def match(
        self,
        desired: Desired[DesiredGroup],
        live: LiveGroups,
        record: ManagedRecord | None,
        ctx: PlanContext,
    ) -> Sequence[LiveGroup]:
        # The recorded group first: a renamed manifest (its record moved) renames the group in place,
        # keeping the group_id whatever refers to it holds.
        if record is not None and not record.is_intent:
            recorded = live.by_id.get(record.remote_id)
            if recorded is not None:
                return [recorded]
        return live.by_name.get(desired.value.name, [])

    def plan(
        self,
        desired: Desired[DesiredGroup],
        matched: Sequence[LiveGroup],
        record: ManagedRecord | None,
        ctx: PlanContext,
    ) -> ResourceChange:
        return update_requested(self._plan(desired, matched), ctx)

    def _plan(self, desired: Desired[DesiredGroup], matched: Sequence[LiveGroup]) -> ResourceChange:
        address, value = desired.address, desired.value
        if len(matched) > 1:
            ids = ", ".join(sorted(g.group_id for g in matched))
            raise AmbiguityError(
                f"{address}: {len(matched)} live rule groups are named {value.name!r} ({ids})"
            )
        if not matched:
            return ResourceChange(address, (Action.CREATE,), Reason(ReasonCode.ABSENT), after=value.canonical)
        current = matched[0]
        if current.canonical is None:
            reason = Reason(ReasonCode.UNCHANGED_SINCE_APPLY, version=current.update_time)
            return ResourceChange(address, (Action.NOOP,), reason, remote_id=current.group_id)
        changes = diff(current.canonical, value.canonical)
        base = ResourceChange(
            address,
            (Action.NOOP,),
            Reason(ReasonCode.MATCHES),
            before=current.canonical,
            after=value.canonical,
            remote_id=current.group_id,
        )
        if not changes:
            return base
        return replace(
            base, actions=(Action.UPDATE,), reason=Reason(ReasonCode.FIELDS_DIFFER), changes=changes
        )

    def prune(self, record: ManagedRecord, live: LiveGroups) -> ResourceChange | None:
        found = live.by_id.get(record.remote_id)
        return pruned_delete(record, found.canonical) if found is not None else None

    def sequence(self, changes: Sequence[ResourceChange]) -> Mapping[Address, tuple[Address, ...]]:
        return {}

    def adopt(
        self,
        change: ResourceChange,
        record: ManagedRecord,
        desired: Desired[DesiredGroup] | None,
        live: LiveGroups,
    ) -> Adoption | None:
        """An intent whose group the plan found (a create whose answer or state write a crash cut off),
        or a matching group recorded with another fingerprint or update_time (an update whose state
        write was cut off, an imported group): recorded as it is now, for the next plan's read cache."""
        remote_id = change.remote_id or ""
        found = live.by_id.get(remote_id)
        update_time = found.update_time if found is not None else ""
        fingerprint = desired.value.fingerprint if desired is not None else ""
        matches = change.is_noop and bool(fingerprint)
        if record.is_intent:
            if matches:
                fresh = replace(record, remote_id=remote_id, fingerprint=fingerprint, update_time=update_time)
            else:  # it differs from the declaration now: this apply's update records it again
                fresh = replace(record, remote_id=remote_id, update_time="")
            return Adoption(
                fresh, f"{change.address}: recorded group_id {remote_id}, created by an interrupted apply"
            )
        if (
            matches
            and record.remote_id == remote_id
            and update_time
            and (record.fingerprint, record.update_time) != (fingerprint, update_time)
        ):
            return Adoption(replace(record, fingerprint=fingerprint, update_time=update_time))
        return None

    # Apply --------------------------------------------------------------------------------------

    async def apply(
        self, change: ResourceChange, desired: Desired[DesiredGroup] | None, ctx: ApplyContext
    ) -> Applied:
        if change.actions == (Action.DELETE,):
            return await self._delete(change, ctx)
        assert desired is not None, "a create or update has a declaration"
        if change.actions == (Action.CREATE,):
            return await self._create(desired, ctx)
        return await self._update(change, desired, ctx)

    async def _create(self, desired: Desired[DesiredGroup], ctx: ApplyContext) -> Applied:
        body = group_body(desired.value)
        name = desired.value.name
        await ctx.record(_record(desired, PENDING))  # the intent (runs/apply.py's docstring)

        async def find() -> str | None:
            found = [g for g in await ctx.api.list_rule_groups(group_name=name) if g.group_name == name]
            return found[0].group_id if found else None

        adopted = False

        async def lookup() -> str | None:
            nonlocal adopted
            group_id = await find()
            adopted = group_id is not None  # our own lost create made it: the same body, adopting is exact
            return group_id

        async def create() -> str:
            group_id = await ctx.patient(lambda: ctx.api.create_rule_group(body))
            return answered_id(group_id, "group_id", "CreateInteractionRuleGroup")

        group_id = await ctx.until_known(f"{desired.address}: create", create, lookup=lookup)
        await ctx.record(_record(desired, group_id))
        suffix = ", adopted after a lost response" if adopted else ""
        return Applied(f"created (group_id {group_id}{suffix})", group_id)

    async def _update(
        self, change: ResourceChange, desired: Desired[DesiredGroup], ctx: ApplyContext
    ) -> Applied:
        group_id = change.remote_id or ""
        body = group_body(desired.value)
        # A whole-group PUT is idempotent: sending it again after a lost answer is safe.
        await ctx.until_known(
            f"{change.address}: update",
            lambda: ctx.patient(lambda: ctx.api.update_rule_group(group_id, body)),
        )
        await ctx.record(_record(desired, group_id))
        return Applied(f"updated in place (group_id {group_id}, {len(change.changes)} field(s))", group_id)

    async def _delete(self, change: ResourceChange, ctx: ApplyContext) -> Applied:
        async def listed() -> set[str]:
            return {g.group_id or "" for g in await ctx.api.list_rule_groups()}

        return await delete_remote(ctx, change, "group_id", ctx.api.delete_rule_group, listed)

    async def settle(self, ctx: ApplyContext, written: Mapping[Address, Desired[DesiredGroup]]) -> None:
        """One paged list records every written group's update_time (for the next plan's read cache)
        instead of one show per group. Best effort: without it the next plan reads them in full."""
        if not written:
            return
        try:
            by_id = {g.group_id: g for g in await ctx.api.list_rule_groups()}
        except UserError:
            return
        for address, desired in written.items():
            group_id = ctx.resolve(address)
            summary = by_id.get(group_id)
            if summary is not None:
                await ctx.record(_record(desired, group_id, summary.update_time or ""))

    # Export -------------------------------------------------------------------------------------

    async def export(self, api: MetaStudioApi, request: ExportRequest) -> Sequence[Exported]:
        """Each selected group under its own name (a group's metadata.name is its group_name); a name two
        groups share is refused, since plan could not tell them apart."""
        summaries = [s for s in await api.list_rule_groups() if s.group_id and s.group_name]
        ids_by_name: dict[str, list[str]] = {}
        for summary in summaries:
            ids_by_name.setdefault(summary.group_name or "", []).append(summary.group_id or "")
        chosen = sorted(
            (s for s in summaries if request.selected(Address(NAME, s.group_name or ""), s.group_name or "")),
            key=lambda s: (s.group_name or "", s.group_id or ""),
        )

        async def one(summary: models.InteractionRuleGroupSummary) -> Exported:
            name, group_id = summary.group_name or "", summary.group_id or ""
            refused = namesakes_refused("rule groups", name, ids_by_name[name])
            if refused:
                return Exported(Address(NAME, name), group_id, name, {}, refused=refused)
            detail = await api.show_rule_group(group_id)
            rules = [
                exported_rule(rule.model_dump(mode="json", exclude_none=True))
                for rule in detail.interaction_rules or []
            ]
            return Exported(
                Address(NAME, name), group_id, name, {"interaction_rules": rules} if rules else {}
            )

        return await gather(one(s) for s in chosen)

    def adopted(
        self, record: ManagedRecord, desired: Desired[DesiredGroup], fingerprint: Fingerprinter
    ) -> ManagedRecord:
        # As apply records it: the next plan's read cache skips the group while its update_time holds.
        return replace(record, fingerprint=desired.value.fingerprint)

    # Import -------------------------------------------------------------------------------------

    async def import_record(self, api: MetaStudioApi, address: Address, remote_id: str) -> ManagedRecord:
        try:
            group = await api.show_rule_group(remote_id)
        except AuthError:
            raise
        except RemoteError as exc:
            if exc.status in (400, 404):
                raise ImportRefused(
                    f"no rule group {remote_id} in project {api.http.target.project_id} ({exc.code or 'HTTP ' + str(exc.status)}: "
                    f"{exc.error_msg})"
                ) from None
            raise
        actual = group.group_name or ""
        if actual != address.name:
            raise ImportRefused(
                f"rule group {remote_id} is named {actual!r}, not {address.name!r}: smartlive matches rule "
                f"groups by name, so import it as {Address(NAME, actual)}"
            )
        namesakes = sorted(
            g.group_id or "" for g in await api.list_rule_groups(group_name=actual) if g.group_name == actual
        )
        if len(namesakes) > 1:
            raise ImportRefused(
                f"{len(namesakes)} rule groups are named {actual!r} ({', '.join(namesakes)}): plan could not tell "
                "them apart; delete or rename the others first"
            )
        return ManagedRecord(address, remote_id, update_time=group.update_time or "")


KIND = RuleGroupKind()
