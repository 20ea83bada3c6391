"""A plan is data only: what apply would do, per resource, and why. Rendering lives in reconciler/render/.

Modelled on Terraform's internal/plans: an action enum whose values carry their glyphs, a change record
per resource address with before/after and the field paths that force a restart, and a reason that is a
code plus structured fields (Terraform's ActionReason), never a sentence: every sentence a user reads is
written in render/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.resources import Address

#: Shown instead of a secret value in every output format and in saved plans.
SENSITIVE = "(sensitive)"
#: Shown for fields the service never returns and that no state record lets us verify.
UNVERIFIABLE = "(not verifiable)"
#: Marks a field (and an otherwise unchanged resource) that could not be compared: it may differ.
MAY_CHANGE_GLYPH = "?"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    START = "start"
    STOP = "stop"
    REFRESH_OUTPUT = "refresh-output"
    NOOP = "no-op"


#: A restart is the pair (stop, start), as Terraform's replace is (delete, create).
RESTART: tuple[Action, ...] = (Action.STOP, Action.START)


class ReasonCode(StrEnum):
    """Why a resource gets its action. The JSON plan carries the value; render/ writes the sentence."""

    #: Declared, and no remote object matches it: create.
    ABSENT = "absent"
    #: Declared running, and no active job runs it: start.
    NOT_RUNNING = "not_running"
    #: The remote object matches the declaration: no-op.
    MATCHES = "matches"
    #: The state store shows the object unchanged since it was applied (not read again): no-op.
    UNCHANGED_SINCE_APPLY = "unchanged_since_apply"
    #: Running as declared: no-op.
    RUNNING = "running"
    #: Declared stopped and not running: no-op.
    STOPPED = "stopped"
    #: Fields differ and can be changed in place: update.
    FIELDS_DIFFER = "fields_differ"
    #: Only the output (RTMP URL, stream key) differs: refreshed without a restart.
    OUTPUT_ONLY = "output_only"
    #: A field that only a restart changes differs: stop, then start.
    RESTART_REQUIRED = "restart_required"
    #: Declared stopped while running: stop.
    DECLARED_STOPPED = "declared_stopped"
    #: Managed by smartlive, no longer declared, --prune given: delete or stop.
    PRUNED = "pruned"
    #: Managed by smartlive, no longer declared, no --prune: kept, and shown (apply --prune removes it).
    ORPHANED = "orphaned"
    #: Named with --replace: written again (an update, a job's restart) even where nothing differs.
    REPLACE_REQUESTED = "replace_requested"
    #: Recorded before stacks existed and declared by no manifest of this stack: kept even with --prune
    #: (it may be another stack's, not yet applied under its name), and shown.
    ORPHANED_NO_STACK = "orphaned_no_stack"
    #: Declared, and a live object of that name exists that smartlive does not manage: nothing is done
    #: until `smartlive import` records it (apply refuses), rather than taking it over.
    UNMANAGED = "unmanaged"


@dataclass(frozen=True)
class Reason:
    """A reason code and the facts its sentence needs."""

    code: ReasonCode
    #: The fields that force a restart (RESTART_REQUIRED).
    forced_by: tuple[str, ...] = ()
    #: The remote object this is about and its state (a running job being stopped, say).
    remote_state: str = ""
    #: The version the state store recorded (UNCHANGED_SINCE_APPLY).
    version: str = ""
    #: The referenced resources whose own change this one carries (a room's rules copied from a group).
    caused_by: tuple[Address, ...] = ()
    #: The stack an import would record it under (UNMANAGED).
    stack: str = ""


@dataclass(frozen=True)
class LiveCommand:
    """A command apply sends to a running job so that a change reaches it without a restart
    (ExecuteSmartLiveCommand: REWRITE_INTERACTION_RULES, REWRITE_PLAY_SCRIPT)."""

    command: str
    job_id: str


@dataclass(frozen=True)
class FieldChange:
    """One changed field. `path` reads like `interaction_rules[greet].trigger.reply_texts[1]`."""

    path: str
    before: Any
    after: Any
    forces_restart: bool = False


@dataclass(frozen=True)
class ResourceChange:
    address: Address
    actions: tuple[Action, ...]
    reason: Reason
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    changes: tuple[FieldChange, ...] = ()
    #: The remote object's id (a group_id, a running job's job_id), when one exists.
    remote_id: str | None = None
    #: Where the remote object lives when its id alone does not say (a job's room).
    room_id: str | None = None
    #: Declared fields of an existing object that could not be compared and that apply leaves as they
    #: are: the service shows them masked or not at all and no state record vouches for them. Shown as
    #: "? may change"; never on a create, start or restart (those write every field).
    unverifiable: tuple[str, ...] = ()
    #: Why a read that would have compared them failed (the service's answer), when one did.
    unverifiable_because: str = ""
    #: True when the action takes a live broadcast down (a running job stopped or restarted).
    interrupts_stream: bool = False
    #: The changes that must succeed before this one runs (references, deletes after their referrers).
    depends_on: tuple[Address, ...] = ()
    #: Commands that carry this change into running jobs, with no restart.
    live_commands: tuple[LiveCommand, ...] = ()
    #: Changed fields that running jobs keep until their next start (no command carries them).
    deferred: tuple[str, ...] = ()
    #: The running jobs `deferred` concerns.
    deferred_jobs: tuple[str, ...] = ()
    #: The address whose state record this resource takes over (a renamed manifest): apply moves the
    #: record, without a request to the service.
    moved_from: Address | None = None

    @property
    def kind(self) -> str:
        return self.address.kind

    @property
    def name(self) -> str:
        return self.address.name

    @property
    def glyph(self) -> str:
        if self.is_unmanaged:
            return UNMANAGED_GLYPH
        if self.is_noop and self.unverifiable:
            return MAY_CHANGE_GLYPH
        return glyph_of(self.actions)

    @property
    def is_noop(self) -> bool:
        return self.actions == (Action.NOOP,)

    @property
    def is_restart(self) -> bool:
        return self.actions == RESTART

    @property
    def is_orphan(self) -> bool:
        """No longer declared and kept (no --prune, or recorded before stacks): shown in every plan,
        changed by nothing."""
        return self.reason.code in (ReasonCode.ORPHANED, ReasonCode.ORPHANED_NO_STACK)

    @property
    def is_unmanaged(self) -> bool:
        """Declared, and exists unmanaged: shown in every plan, to import before apply touches it."""
        return self.reason.code is ReasonCode.UNMANAGED

    @property
    def is_delete(self) -> bool:
        """Something goes away: a delete or a stop that is not the first half of a restart."""
        return self.actions in ((Action.DELETE,), (Action.STOP,))


#: The glyph of a declared object that exists but is not managed (it is to be imported first).
UNMANAGED_GLYPH = "!"


def glyph_of(actions: tuple[Action, ...]) -> str:
    if actions == RESTART:
        return "-/+"
    return {
        Action.CREATE: "+",
        Action.START: "+",
        Action.UPDATE: "~",
        Action.REFRESH_OUTPUT: "~",
        Action.DELETE: "-",
        Action.STOP: "-",
        Action.NOOP: " ",
    }[actions[0]]


@dataclass(frozen=True)
class Summary:
    create: int = 0
    update: int = 0
    restart: int = 0
    destroy: int = 0
    #: Declared fields that could not be compared ("? may change"): apply does not change them.
    unverifiable: int = 0
    #: State records that follow a renamed manifest (apply writes them; the service is not touched).
    move: int = 0
    #: Declared objects that exist unmanaged: `smartlive import` them before apply (a change to make).
    unmanaged: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.create or self.update or self.restart or self.destroy or self.move or self.unmanaged)

    @property
    def may_differ(self) -> bool:
        """Something would change, or may already differ unseen: what --detailed-exitcode reports as 2."""
        return self.has_changes or bool(self.unverifiable)


@dataclass(frozen=True)
class Plan:
    changes: tuple[ResourceChange, ...]
    #: Digest of the live state the plan was made from; apply refuses a saved plan when it moved.
    live_fingerprint: str = ""
    #: Things the user should know that are not changes (e.g. why prune planned nothing).
    notes: tuple[str, ...] = field(default=())
    #: The stack it was made for (docs/stacks.md); "" when planned without one.
    stack: str = ""

    @property
    def summary(self) -> Summary:
        create = update = restart = destroy = 0
        unverifiable = sum(len(c.unverifiable) for c in self.changes)
        move = sum(1 for c in self.changes if c.moved_from is not None)
        for change in self.changes:
            if change.is_restart:
                restart += 1
            elif change.actions[0] in (Action.CREATE, Action.START):
                create += 1
            elif change.actions[0] in (Action.UPDATE, Action.REFRESH_OUTPUT):
                update += 1
            elif change.actions[0] in (Action.DELETE, Action.STOP):
                destroy += 1
        unmanaged = sum(1 for change in self.changes if change.is_unmanaged)
        return Summary(create, update, restart, destroy, unverifiable, move, unmanaged)

    @property
    def orphans(self) -> tuple[ResourceChange, ...]:
        """Managed resources no manifest declares any more, kept because --prune was not given."""
        return tuple(c for c in self.changes if c.is_orphan)

    @property
    def unmanaged(self) -> tuple[ResourceChange, ...]:
        """Declared objects that exist and that smartlive does not manage: to import first."""
        return tuple(c for c in self.changes if c.is_unmanaged)

    @property
    def actionable(self) -> tuple[ResourceChange, ...]:
        return tuple(c for c in self.changes if not c.is_noop)
