"""Stacks in the pure planner and the default stack's name (the CLI is tested in acceptance/test_stacks.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.commands._stack import checked, root_of
from reconciler.engine.plan import Action, ReasonCode
from reconciler.engine.planner import PlanOptions
from reconciler.engine.stacks import StackConflictError
from reconciler.errors import UsageError
from reconciler.resources import PENDING, Address, ManagedRecord
from tests.unit.test_planner import (
    GROUP,
    JOB,
    RULES,
    declaration,
    declared_group,
    declared_job,
    desired_job,
    live_group,
    plan_of,
    running_job,
)

WELCOME = Address(GROUP, "welcome")


def record(name: str, remote_id: str, stack: str, kind: str = GROUP) -> ManagedRecord:
    return ManagedRecord(Address(kind, name), remote_id, stack=stack)


def test_prune_sees_the_current_stacks_records_only() -> None:
    live = [live_group(RULES, "mine", "g1"), live_group(RULES, "theirs", "g2")]
    managed = {r.address: r for r in (record("mine", "g1", "shop-a"), record("theirs", "g2", "shop-b"))}
    plan = plan_of(live_groups=live, managed=managed, options=PlanOptions(prune=True, stack="shop-a"))
    assert [(str(c.address), c.actions) for c in plan.changes] == [
        ("InteractionRuleGroup/mine", (Action.DELETE,))
    ]
    kept = plan_of(live_groups=live, managed=managed, options=PlanOptions(stack="shop-b"))
    assert [(str(c.address), c.reason.code) for c in kept.changes] == [
        ("InteractionRuleGroup/theirs", ReasonCode.ORPHANED)
    ]


def test_a_declared_address_another_stack_manages_is_an_error_naming_it() -> None:
    managed = {WELCOME: record("welcome", "g1", "shop-a")}
    with pytest.raises(
        StackConflictError,
        match=r'^InteractionRuleGroup/welcome is managed by stack "shop-a", not "shop b": ',
    ):
        plan_of(
            desired_groups=[declared_group("welcome", RULES)],
            live_groups=[live_group(RULES)],
            managed=managed,
            options=PlanOptions(stack="shop b"),
        )


def test_a_namesake_no_stack_records_is_unmanaged_not_taken_over() -> None:
    declared, live = [declared_group("welcome", RULES)], [live_group(RULES, gid="g9")]
    plan = plan_of(desired_groups=declared, live_groups=live, managed={}, options=PlanOptions(stack="shop"))
    (change,) = plan.changes
    assert (change.is_unmanaged, change.actions, change.remote_id, change.glyph) == (
        True,
        (Action.NOOP,),
        "g9",
        "!",
    )
    assert change.reason.stack == "shop"
    assert (plan.summary.unmanaged, plan.summary.has_changes, plan.unmanaged) == (1, True, (change,))
    # Without a state store nothing is known to be managed: matched as before stacks.
    assert plan_of(desired_groups=declared, live_groups=live).changes[0].reason.code is ReasonCode.MATCHES
    # An interrupted apply's intent is ours: matched, so that apply adopts what its create made.
    intent = {WELCOME: record("welcome", PENDING, "shop")}
    adopted = plan_of(
        desired_groups=declared, live_groups=live, managed=intent, options=PlanOptions(stack="shop")
    )
    assert adopted.changes[0].reason.code is ReasonCode.MATCHES and adopted.changes[0].remote_id == "g9"


def test_records_from_before_stacks_are_taken_over_where_declared_and_kept_elsewhere_even_with_prune() -> (
    None
):
    live = [live_group(RULES, "welcome", "g1"), live_group(RULES, "old", "g2")]
    managed = {r.address: r for r in (record("welcome", "g1", ""), record("old", "g2", ""))}
    plan = plan_of(
        desired_groups=[declared_group("welcome", RULES)],
        live_groups=live,
        managed=managed,
        options=PlanOptions(prune=True, stack="shop"),
    )
    assert {str(c.address): (c.actions, c.reason.code) for c in plan.changes} == {
        "InteractionRuleGroup/welcome": ((Action.NOOP,), ReasonCode.MATCHES),
        "InteractionRuleGroup/old": ((Action.NOOP,), ReasonCode.ORPHANED_NO_STACK),
    }
    assert not plan.summary.has_changes and len(plan.orphans) == 1


def test_a_job_matching_another_stacks_running_job_is_an_error() -> None:
    decl = declaration()
    managed = {Address(JOB, "other"): record("other", "job-1", "shop-a", kind=JOB)}
    with pytest.raises(
        StackConflictError, match='job_id job-1 is managed as SmartLiveJob/other by stack "shop-a"'
    ):
        plan_of(
            desired_jobs=[declared_job(desired_job(decl))],
            live_jobs=[running_job("job-1")],
            managed=managed,
            options=PlanOptions(stack="shop-b"),
        )
    # The same stack's record under another name (a renamed manifest): planned as before stacks.
    mine = {Address(JOB, "other"): record("other", "job-1", "shop-b", kind=JOB)}
    plan = plan_of(
        desired_jobs=[declared_job(desired_job(decl))],
        live_jobs=[running_job("job-1")],
        managed=mine,
        options=PlanOptions(stack="shop-b"),
    )
    assert {str(c.address): c.reason.code for c in plan.changes}["SmartLiveJob/main"] is ReasonCode.RUNNING


def test_the_default_stack_is_the_common_directory_of_the_paths(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "c").mkdir()
    (tmp_path / "a" / "b" / "g.yaml").write_text("", encoding="utf-8")
    assert root_of(["a/b", "a/c"], tmp_path) == "a"
    assert root_of(["a/b/g.yaml"], tmp_path) == "a/b"
    assert root_of([str(tmp_path / "a" / "c")], tmp_path) == "a/c"
    assert root_of(["."], tmp_path) == root_of([str(tmp_path)], tmp_path) == "."
    assert root_of(["../b/g.yaml"], tmp_path / "a" / "c") == (tmp_path / "a" / "b").resolve().as_posix()


@pytest.mark.parametrize(
    ("name", "problem"),
    [("", "cannot be empty"), ("x" * 129, "has at most 128 characters"), ("a\tb", "must be printable")],
)
def test_a_stack_name_is_checked(name: str, problem: str) -> None:
    with pytest.raises(UsageError, match=f"^--stack: a stack name {problem}"):
        checked(name, "--stack")
    assert checked("teams/shop a", "--stack") == "teams/shop a"
