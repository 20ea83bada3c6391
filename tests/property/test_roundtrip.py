"""For any valid manifest set: create it in the emulator, read it back, plan: no changes.

The manifests are written as files and go through the real loader and validation; the resources are
created with the API directly (what apply sends), read back by the live reader and planned by the planner.
A false difference found here is fixed in the kind's normalizer (reconciler/kinds/; the generic rules are
in reconciler/engine/normalize.py) and pinned by a golden pair under tests/golden/normalize/.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

import httpx
import yaml
from hypothesis import HealthCheck, given, note, settings

from reconciler.api import models
from reconciler.cloud.api import MetaStudioApi
from reconciler.cloud.config import Credentials, Target
from reconciler.cloud.http import HttpClient
from reconciler.emulator.app import create_app
from reconciler.emulator.config import EmulatorConfig
from reconciler.engine.planner import PlanOptions
from reconciler.kinds.live_job import LiveJobManifest
from reconciler.kinds.rule_group import RuleGroupManifest
from reconciler.render import render
from reconciler.runs.session import load, plan_session
from tests.property.strategies import manifest_sets

AK, SK, PROJECT = "prop-ak", "prop-sk", "prop-project"


class QuotedDumper(yaml.SafeDumper):
    """Every string double-quoted: YAML 1.1 (PyYAML's emitter) and 1.2 (the loader) disagree on plain
    scalars such as 1e3, which one reads as text and the other as a number."""


QuotedDumper.add_representer(
    str, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"')
)


def write_manifests(directory: Path, drawn: dict[str, Any]) -> None:
    for index, (group, rules) in enumerate(drawn["groups"].items()):
        document = {
            "apiVersion": "smartlive/v1",
            "kind": "InteractionRuleGroup",
            "metadata": {"name": group},
            "spec": {"interaction_rules": rules},
        }
        (directory / f"group-{index}.yaml").write_text(
            yaml.dump(document, Dumper=QuotedDumper, allow_unicode=True), encoding="utf-8"
        )
    for job, spec in drawn["jobs"].items():
        document = {
            "apiVersion": "smartlive/v1",
            "kind": "SmartLiveJob",
            "metadata": {"name": job},
            "spec": spec,
        }
        (directory / f"{job}.yaml").write_text(
            yaml.dump(document, Dumper=QuotedDumper, allow_unicode=True), encoding="utf-8"
        )


async def create_and_plan(directory: Path, drawn: dict[str, Any]) -> str | None:
    """Create the drawn set in a fresh emulator; return the plan rendered when it has changes, else None."""
    app = create_app(EmulatorConfig(ak=AK, sk=SK, project_id=PROJECT, start_delay=0.0, rate_limits={}))
    backend = app.state.emulator.backend
    for room_id, config in drawn["rooms"].items():
        backend.create_smart_live_room(
            models.CreateSmartLiveRoomReq.model_validate({"room_name": room_id, **config}), room_id=room_id
        )
    loaded = load([directory])  # raises if the generated set is not valid: the generator is then wrong
    target = Target("http://emulator.test", PROJECT, Credentials(ak=AK, sk=SK))
    try:
        async with HttpClient(target, transport=httpx.ASGITransport(app=app)) as http:
            api = MetaStudioApi(http)
            for group in loaded.of_kind(RuleGroupManifest):
                await api.create_rule_group(group.to_request())
            for job in loaded.of_kind(LiveJobManifest):
                await api.start_job(job.room_id, job.to_start_request(drawn["env"]))
            session = await plan_session(
                api,
                [directory],
                store=None,
                target_key=target.key,
                options=PlanOptions(),
                environ=drawn["env"],
            )
    finally:
        app.state.emulator.store.close()
    assert len(session.plan.changes) == len(drawn["groups"]) + len(drawn["jobs"])
    if not session.plan.summary.has_changes:
        return None
    return render(session.plan, "text", color=False)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(manifest_sets())
def test_what_was_created_from_the_manifests_plans_no_changes(drawn: dict[str, Any]) -> None:
    note(json.dumps(drawn, ensure_ascii=False, indent=1))
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_manifests(directory, drawn)
        plan = asyncio.run(create_and_plan(directory, drawn))
    assert plan is None, plan
