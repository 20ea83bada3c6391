"""A plan is data only: what apply would do, per resource, and why. Rendering lives in reconciler/render/.

Modelled on Terraform's internal/plans: an action enum whose values carry their glyphs, and a change
record per resource address with before/after and the field paths that force a restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

GROUP_KIND = "InteractionRuleGroup"
JOB_KIND = "SmartLiveJob"
#: Shown instead of a secret value in every output format and in saved plans.
SENSITIVE = "(sensitive)"
#: Shown for fields the service never returns and that no state record lets us verify.
UNVERIFIABLE = "(not verifiable)"


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


@dataclass(frozen=True)
class FieldChange:
    """One changed field. `path` reads like `interaction_rules[greet].trigger.reply_texts[1]`."""

    path: str
    before: Any
    after: Any
    forces_restart: bool = False


@dataclass(frozen=True)
class ResourceChange:
    address: str
    kind: str
    name: str
    actions: tuple[Action, ...]
    reason: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    changes: tuple[FieldChange, ...] = ()
    #: group_id for groups, job_id for jobs (the live one: stopped, restarted or left alone).
    remote_id: str | None = None
    room_id: str | None = None
    #: Fields whose live value cannot be read back (API.md) and that no state record covers.
    unverifiable: tuple[str, ...] = ()

    @property
    def glyph(self) -> str:
        return glyph_of(self.actions)

    @property
    def is_noop(self) -> bool:
        return self.actions == (Action.NOOP,)

    @property
    def is_restart(self) -> bool:
        return self.actions == RESTART

    @property
    def interrupts_stream(self) -> bool:
        """True when a live broadcast goes down: a running job is stopped or restarted."""
        return self.kind == JOB_KIND and Action.STOP in self.actions


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

    @property
    def has_changes(self) -> bool:
        return bool(self.create or self.update or self.restart or self.destroy)


@dataclass(frozen=True)
class Plan:
    changes: tuple[ResourceChange, ...]
    #: Digest of the live state the plan was made from; apply refuses a saved plan when it moved.
    live_fingerprint: str = ""
    #: Things the user should know that are not changes (e.g. why prune planned nothing).
    notes: tuple[str, ...] = field(default=())

    @property
    def summary(self) -> Summary:
        create = update = restart = destroy = 0
        for change in self.changes:
            if change.is_restart:
                restart += 1
            elif change.actions[0] in (Action.CREATE, Action.START):
                create += 1
            elif change.actions[0] in (Action.UPDATE, Action.REFRESH_OUTPUT):
                update += 1
            elif change.actions[0] in (Action.DELETE, Action.STOP):
                destroy += 1
        return Summary(create, update, restart, destroy)

    @property
    def actionable(self) -> tuple[ResourceChange, ...]:
        return tuple(c for c in self.changes if not c.is_noop)
