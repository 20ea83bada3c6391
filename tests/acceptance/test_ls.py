"""`smartlive ls KIND`: every remote object of a kind on the target, and which stack manages it."""

from __future__ import annotations

import json
from typing import Any

from tests.acceptance.conftest import LANDSCAPE_ROOM_NAME, SECRETS, Workspace
from tests.acceptance.test_apply_import import create_group

EXAMPLE_GROUPS = {"faq", "gift-thanks", "like-milestones", "product-popup", "welcome"}


def apply(ws: Workspace) -> None:
    result = ws.run("apply", "examples", *ws.target(), "--auto-approve")
    assert result.code == 0, result.text


def table(ws: Workspace, kind: str) -> dict[str, list[str]]:
    """`ls KIND`'s text rows by NAME: [ID, STATE, MANAGED BY], cut at the header's column starts."""
    result = ws.run("ls", kind, *ws.target())
    assert result.code == 0, result.text
    header, *lines = result.out.splitlines()
    starts = [header.index(title) for title in ("ID", "NAME", "STATE", "MANAGED BY")]
    rows = {}
    for line in lines:
        cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        rows[cells[1]] = [cells[0], cells[2], cells[3]]
    return rows


def listed(ws: Workspace, kind: str) -> list[dict[str, Any]]:
    result = ws.run("ls", kind, *ws.target(), "--format", "json")
    assert result.code == 0, result.text
    rows: list[dict[str, Any]] = json.loads(result.out)
    return rows


def test_ls_groups_shows_each_group_with_the_stack_that_manages_it_and_dash_for_the_others(
    workspace: Workspace,
) -> None:
    apply(workspace)
    by_hand = create_group(workspace, "made-in-the-console")

    rows = table(workspace, "groups")
    assert set(rows) == EXAMPLE_GROUPS | {"made-in-the-console"}
    ids = {g["group_name"]: g["group_id"] for g in workspace.groups()}
    for name in EXAMPLE_GROUPS:
        assert rows[name] == [ids[name], "-", f"InteractionRuleGroup/{name} (stack examples)"]
    assert rows["made-in-the-console"] == [by_hand, "-", "-"]

    # The id listed is what import takes; the group is managed from then on.
    imported = workspace.run(
        "import",
        "InteractionRuleGroup/made-in-the-console",
        by_hand,
        *workspace.target(),
        "--stack",
        "shop-a",
    )
    assert imported.code == 0, imported.text
    assert table(workspace, "InteractionRuleGroup")["made-in-the-console"] == [
        by_hand,
        "-",
        "InteractionRuleGroup/made-in-the-console (stack shop-a)",
    ]


def test_ls_json_has_the_same_keys_for_every_kind_and_no_secret(workspace: Workspace) -> None:
    apply(workspace)
    keys = {"kind", "id", "name", "state", "address", "stack"}
    rooms = listed(workspace, "SmartLiveRoom")
    assert all(set(row) == keys for row in rooms)
    landscape = next(row for row in rooms if row["name"] == LANDSCAPE_ROOM_NAME)
    assert landscape == {
        "kind": "SmartLiveRoom",
        "id": workspace.room_id(LANDSCAPE_ROOM_NAME),
        "name": LANDSCAPE_ROOM_NAME,
        "state": landscape["state"],
        "address": "SmartLiveRoom/flagship-store",
        "stack": "examples",
    }
    assert landscape["state"]  # a room has a state of its own

    groups = listed(workspace, "group")
    assert {row["name"] for row in groups} == EXAMPLE_GROUPS
    assert all(set(row) == keys and row["state"] is None for row in groups)  # a group has no state

    jobs = listed(workspace, "jobs")
    assert all(set(row) == keys for row in jobs)
    assert {(row["id"], row["state"]) for row in jobs} == {
        (job["job_id"], job["state"]) for job in workspace.active_jobs()
    }
    assert all(row["state"] in ("WAITING", "PROCESSING") for row in jobs)
    for output in workspace.outputs:
        for secret in SECRETS.values():
            assert secret not in output


def test_a_listed_job_id_is_what_import_takes_and_an_unrecorded_job_is_unmanaged(
    workspace: Workspace,
) -> None:
    apply(workspace)
    assert workspace.run("state", "rm", "SmartLiveJob/store-landscape", *workspace.target()).code == 0
    job = next(row for row in listed(workspace, "JOBS") if row["name"] == LANDSCAPE_ROOM_NAME)
    assert (job["address"], job["stack"]) == (None, None)

    result = workspace.run("import", "SmartLiveJob/store-landscape", job["id"], *workspace.target())
    assert result.code == 0, result.text
    # Imported without --stack: managed, by no stack yet.
    row = table(workspace, "smartlivejob")[LANDSCAPE_ROOM_NAME]
    assert row[0] == job["id"]
    assert row[2] == "SmartLiveJob/store-landscape (no stack)"


def test_ls_of_an_empty_target_says_so(workspace: Workspace) -> None:
    result = workspace.run("ls", "rooms", *workspace.target())
    assert result.code == 0, result.text
    assert result.out.startswith("No SmartLiveRoom found on ")
    assert listed(workspace, "rooms") == []


def test_an_unknown_kind_is_a_usage_error_naming_the_valid_ones(workspace: Workspace) -> None:
    result = workspace.run("ls", "InteractionRuleTest", *workspace.target())
    assert result.code == 2
    assert result.out == ""
    assert result.error_lines == [
        "error: unknown KIND 'InteractionRuleTest': one of InteractionRuleGroup (group, groups), "
        "SmartLiveRoom (room, rooms), SmartLiveJob (job, jobs)"
    ]
