"""`--local`: the real CLI against the embedded emulator in-process (no socket, no account), state kept
under .smartlive/ between commands, as a newcomer runs `make demo`."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from tests.acceptance.conftest import SECRETS, Workspace


@pytest.fixture
def local(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    # No account at all: --local must not need one. Nor a seed: apply creates the example rooms.
    for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID"):
        monkeypatch.delenv(name)

    def no_socket(*args: object, **kwargs: object) -> None:
        raise AssertionError("--local opened a network connection")

    monkeypatch.setattr(asyncio.BaseEventLoop, "create_connection", no_socket)
    monkeypatch.setattr(socket, "create_connection", no_socket)
    return workspace


def test_local_plan_apply_plan_converges_in_process(local: Workspace) -> None:
    first = local.run("plan", "examples", "--local", "--detailed-exitcode")
    assert first.code == 2, first.text
    # 5 groups, 2 rooms, 2 jobs.
    assert first.out.rstrip().endswith("Plan: 9 to create, 0 to update, 0 to restart, 0 to stop or delete.")
    applied = local.run("apply", "examples", "--local", "--auto-approve")
    assert applied.code == 0, applied.text
    again = local.run("plan", "examples", "--local", "--detailed-exitcode")
    assert again.code == 0, again.text
    assert again.out.strip() == "No changes. MetaStudio matches the manifests."
    assert (local.root / ".smartlive" / "emulator.db").is_file()


def test_local_markdown_plan_names_the_embedded_emulator_and_the_stack(local: Workspace) -> None:
    result = local.run("plan", "examples", "--local", "--format", "markdown", "--stack", "shop-a")
    assert result.code == 0, result.text
    assert result.out.startswith(
        "### smartlive plan · stack `shop-a` · target `embedded emulator`\n\n"
        "**Plan:** 9 to create, 0 to update, 0 to restart, 0 to stop or delete.\n\n"
    )


def test_local_one_field_edit_plans_exactly_that_change(local: Workspace) -> None:
    assert local.run("apply", "examples", "--local", "--auto-approve").code == 0
    local.edit("rule-groups/faq.yaml", "priority: 200", "priority: 201")
    result = local.run("plan", "examples", "--local", "--format", "json", "--detailed-exitcode")
    assert result.code == 2, result.text
    changed = [c for c in json.loads(result.out)["resource_changes"] if c["actions"] != ["no-op"]]
    # Both rooms import faq and hold copies of its rules: the same one field differs in each.
    assert [(c["address"], [f["path"] for f in c["changes"]]) for c in changed] == [
        ("InteractionRuleGroup/faq", ["interaction_rules[faq-price].hit_condition.priority"]),
        ("SmartLiveRoom/evening-show", ["interaction_rules[faq-price].hit_condition.priority"]),
        ("SmartLiveRoom/flagship-store", ["interaction_rules[faq-price].hit_condition.priority"]),
    ]
    for fmt in ("text", "json", "markdown"):
        shown = local.run("plan", "examples", "--local", "--format", fmt)
        for secret in SECRETS.values():
            assert secret not in shown.text


def test_a_seeded_room_is_a_room_made_elsewhere_that_a_job_names_by_room_id(local: Workspace) -> None:
    # The examples' rooms are declared; `emulator seed` still makes rooms with fixed ids for jobs that
    # run in a room made elsewhere (`room_id:`).
    room_id = "5f0c3a52-7e1b-4c8e-9a26-1d4b8e2f6a01"
    (local.root / "seed.yaml").write_text(
        f"rooms:\n  - room_id: {room_id}\n    room_name: made elsewhere\n", encoding="utf-8"
    )
    seeded = local.run("emulator", "seed", "seed.yaml")
    assert seeded.code == 0, seeded.text
    (local.root / "elsewhere").mkdir()
    (local.root / "elsewhere" / "job.yaml").write_text(
        "apiVersion: smartlive/v1\nkind: SmartLiveJob\nmetadata: {name: elsewhere}\n"
        f"spec:\n  room_id: {room_id}\n",
        encoding="utf-8",
    )
    first = local.run("plan", "elsewhere", "--local", "--detailed-exitcode")
    assert first.code == 2, first.text
    assert f"  + SmartLiveJob/elsewhere (room {room_id})\n" in first.out
    assert first.out.rstrip().endswith("Plan: 1 to create, 0 to update, 0 to restart, 0 to stop or delete.")
    assert local.run("apply", "elsewhere", "--local", "--auto-approve").code == 0
    assert local.run("plan", "elsewhere", "--local", "--detailed-exitcode").code == 0
