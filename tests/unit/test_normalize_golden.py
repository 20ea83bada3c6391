"""Golden desired/live pairs (tests/golden/normalize/<name>/): each is a false difference once found, or a
normalization rule pinned, and each must plan no change.

A pair is `desired.json` (what a manifest declares: an InteractionRuleGroup body, or a StartSmartLiveReq
body) and `live.json` (what the service answers: a ShowInteractionRuleGroup body, or a SmartLiveJob).
Both go the way plan takes them: the API models, the live reader's conversion, the normalizer, the planner.
`README.md` in each directory says why the pair exists.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.api import models
from reconciler.cloud.api import group_detail, parse
from reconciler.engine.kind import Desired
from reconciler.engine.plan import Plan
from reconciler.engine.planner import PlanInput, make_plan
from reconciler.kinds import live_job as job_kind
from reconciler.kinds import rule_group as group_kind
from reconciler.kinds.live_job import DesiredJobInputs, JobDeclaration, LiveJobs, desired_job, live_job
from reconciler.kinds.rule_group import LiveGroups, desired_group, live_group
from reconciler.resources import Address

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "normalize"
PAIRS = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())


def read(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    directory = GOLDEN / name
    desired = json.loads((directory / "desired.json").read_text(encoding="utf-8"))
    live = json.loads((directory / "live.json").read_text(encoding="utf-8"))
    return desired, live


def is_group(desired: dict[str, Any]) -> bool:
    return "group_name" in desired


def plan_pair(desired: dict[str, Any], live: dict[str, Any]) -> Plan:
    if is_group(desired):
        declared = models.InteractionRuleGroup.model_validate(desired)  # a body a manifest can declare
        rules = [r.model_dump(mode="json", exclude_none=True) for r in declared.interaction_rules or []]
        detail = group_detail(copy.deepcopy(live))
        # What the list says of the group (it always carries the name).
        summary = models.InteractionRuleGroupSummary(group_id=detail.group_id, group_name=declared.group_name)
        group = Desired(
            Address(group_kind.NAME, declared.group_name), desired_group(declared.group_name, rules)
        )
        return make_plan([PlanInput(group_kind.KIND, [group], LiveGroups((live_group(detail, summary),)))])
    models.StartSmartLiveReq.model_validate(desired)
    job = live_job(parse(models.SmartLiveJob, copy.deepcopy(live), "ShowSmartLive"))
    declaration = JobDeclaration("golden", job.room_id, "running", desired)
    job_declared = Desired(Address(job_kind.NAME, "golden"), DesiredJobInputs(desired_job(declaration)))
    return make_plan([PlanInput(job_kind.KIND, [job_declared], LiveJobs((job,)))])


def test_there_are_golden_pairs_each_explained() -> None:
    assert len(PAIRS) >= 10
    for name in PAIRS:
        assert (GOLDEN / name / "README.md").read_text(encoding="utf-8").strip(), name


@pytest.mark.parametrize("name", PAIRS)
def test_golden_pair_plans_no_change(name: str) -> None:
    desired, live = read(name)
    plan = plan_pair(desired, live)
    assert len(plan.changes) == 1
    change = plan.changes[0]
    assert change.is_noop, [(c.path, c.before, c.after) for c in change.changes]


@pytest.mark.parametrize("name", PAIRS)
def test_a_real_difference_in_the_same_pair_is_still_seen(name: str) -> None:
    """The pairs cannot pass by comparing nothing: one real edit of the desired side is a change."""
    desired, live = read(name)
    if is_group(desired):
        desired["interaction_rules"][0]["event_type"] = 77
        expected = "update"
    else:
        desired["co_streamer_config"] = {"streamer_action": "VOLUME_DOWN"}
        expected = "stop"
    change = plan_pair(desired, live).changes[0]
    assert not change.is_noop and change.actions[0].value == expected
