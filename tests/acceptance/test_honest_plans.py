"""Plans that tell the truth, through the CLI over a socket: a reorder that changes which rule answers
is a change."""

from __future__ import annotations

import json
from typing import Any

from tests.acceptance.conftest import PROJECT, Workspace


def _rule(name: str, priority: int) -> dict[str, Any]:
    return {
        "rule_name": name,
        "event_type": 1,
        "hit_condition": {"priority": priority},
        "trigger": {"reply_mode": "SYSTEM_REPLY", "reply_texts": [f"reply of {name}"]},
    }


def _group(rules: list[dict[str, Any]]) -> str:
    document = {"apiVersion": "smartlive/v1", "kind": "InteractionRuleGroup", "metadata": {"name": "tie"}}
    return json.dumps({**document, "spec": {"interaction_rules": rules}})


def test_swapping_rules_of_equal_priority_is_planned_and_applied(workspace: Workspace) -> None:
    ws = workspace
    folder = ws.root / "order"
    folder.mkdir()
    manifest = folder / "tie.yaml"
    manifest.write_text(
        _group([_rule("first", 100), _rule("second", 100), _rule("late", 300)]), encoding="utf-8"
    )
    assert ws.run("apply", str(folder), "--auto-approve", *ws.target()).code == 0

    # Swapping rules that do not tie changes nothing a viewer sees: no change.
    manifest.write_text(
        _group([_rule("late", 300), _rule("first", 100), _rule("second", 100)]), encoding="utf-8"
    )
    unchanged = ws.run("plan", str(folder), "--detailed-exitcode", *ws.target())
    assert unchanged.code == 0, unchanged.text

    # Swapping the two that tie changes which one answers: a change, shown, applied.
    manifest.write_text(
        _group([_rule("second", 100), _rule("first", 100), _rule("late", 300)]), encoding="utf-8"
    )
    planned = ws.run("plan", str(folder), "--detailed-exitcode", *ws.target())
    assert planned.code == 2, planned.text
    assert '~ rule_order[event_type 1, priority 100][0]: "first" -> "second"' in planned.out
    assert ws.run("apply", str(folder), "--auto-approve", *ws.target()).code == 0
    (group,) = ws.groups()
    with ws.signed() as client:
        shown = client.get(f"/v1/{PROJECT}/smart-live-interaction-rule-groups/{group['group_id']}").json()
    assert [r["rule_name"] for r in shown["interaction_rules"]] == ["second", "first", "late"]
    assert ws.run("plan", str(folder), "--detailed-exitcode", *ws.target()).code == 0
