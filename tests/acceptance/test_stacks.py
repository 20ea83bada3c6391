"""Stacks (issue 11, item 3), through the CLI over a socket: every managed record belongs to the stack
(manifest set) that applied it; prune touches the current stack's records only, a second stack declaring
a managed name is an error naming the owner, and a namesake no stack manages is imported, not taken over.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.conftest import PROJECT, Workspace

GROUPS = f"/v1/{PROJECT}/smart-live-interaction-rule-groups"
VIDEO = {"codec": "H264", "bitrate": 4000, "width": 1920, "height": 1080, "frame_rate": "25"}


def _doc(kind: str, name: str, spec: dict[str, Any]) -> str:
    return json.dumps(
        {"apiVersion": "smartlive/v1", "kind": kind, "metadata": {"name": name}, "spec": spec},
        ensure_ascii=False,
    )


def _rule(reply: str) -> dict[str, Any]:
    return {
        "rule_name": "hello",
        "event_type": 2,
        "trigger": {"reply_mode": "SYSTEM_REPLY", "reply_texts": [reply]},
    }


def group(name: str, reply: str = "hi") -> str:
    return _doc("InteractionRuleGroup", name, {"interaction_rules": [_rule(reply)]})


def room(name: str, room_name: str, imports: str) -> str:
    spec = {
        "room_name": room_name,
        "scene_scripts": [
            {"script_name": "main", "shoot_scripts": [{"sequence_no": 1, "text_config": {"text": "welcome"}}]}
        ],
        "interaction_rules": [{"import": imports}],
    }
    return _doc("SmartLiveRoom", name, spec)


def job(name: str, **where: str) -> str:
    return _doc("SmartLiveJob", name, {**where, "video_config": VIDEO})


def write(folder: Path, documents: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def stacks(ws: Workspace) -> dict[str, str]:
    """address -> stack, as the state store holds them."""
    with sqlite3.connect(ws.root / ".smartlive" / "state.db") as conn:
        return dict(conn.execute("SELECT address, stack FROM resources ORDER BY address").fetchall())


def group_names(ws: Workspace) -> list[str]:
    return sorted(g["group_name"] for g in ws.groups())


def create_group(ws: Workspace, name: str) -> str:
    with ws.signed() as client:
        response = client.post(GROUPS, json={"group_name": name, "interaction_rules": []})
        response.raise_for_status()
        return str(response.json()["group_id"])


def shop(ws: Workspace, letter: str) -> Path:
    """A manifest set of its own: two groups, a room importing one, a job in the room."""
    return write(
        ws.root / f"shop-{letter}",
        {
            "greet": group(f"{letter}-greet"),
            "faq": group(f"{letter}-faq"),
            "room": room(f"{letter}-room", f"shop {letter}", f"{letter}-greet"),
            "job": job(f"{letter}-live", room=f"{letter}-room"),
        },
    )


def test_two_stacks_side_by_side_prune_only_their_own(workspace: Workspace) -> None:
    ws = workspace
    shop(ws, "a")
    shop(ws, "b")
    for folder in ("shop-a", "shop-b"):
        applied = ws.run("apply", folder, "--auto-approve", *ws.target())
        assert applied.code == 0, applied.text
    recorded = stacks(ws)
    assert {a: s for a, s in recorded.items() if "/a-" in a} == {
        "InteractionRuleGroup/a-faq": "shop-a",
        "InteractionRuleGroup/a-greet": "shop-a",
        "SmartLiveJob/a-live": "shop-a",
        "SmartLiveRoom/a-room": "shop-a",
    }
    assert {s for a, s in recorded.items() if "/b-" in a} == {"shop-b"}

    # Each stack's prune sees nothing of the other: before stacks, this planned deleting all of shop-b.
    for mine, other in (("shop-a", "b-"), ("shop-b", "a-")):
        quiet = ws.run("plan", mine, "--prune", "--detailed-exitcode", *ws.target())
        assert quiet.code == 0, quiet.text
        assert quiet.out == "No changes. MetaStudio matches the manifests.\n"
        assert other not in quiet.text

    # A manifest removed from shop-a: its prune deletes that group, and only that.
    (ws.root / "shop-a" / "faq.yaml").unlink()
    planned = ws.run("plan", "shop-a", "--prune", "--format", "json", *ws.target())
    document = json.loads(planned.out)
    assert document["stack"] == "shop-a"
    assert [
        (c["address"], c["actions"]) for c in document["resource_changes"] if c["actions"] != ["no-op"]
    ] == [("InteractionRuleGroup/a-faq", ["delete"])]
    assert all(not c["address"].split("/")[1].startswith("b-") for c in document["resource_changes"])
    assert ws.run("apply", "shop-a", "--prune", "--auto-approve", *ws.target()).code == 0
    assert group_names(ws) == ["a-greet", "b-faq", "b-greet"]

    # shop-b drops its job and room: its prune stops its broadcast and deletes its room, not shop-a's.
    for name in ("job", "room"):
        (ws.root / "shop-b" / f"{name}.yaml").unlink()
    pruned = ws.run("apply", "shop-b", "--prune", "--allow-restart", "--auto-approve", *ws.target())
    assert pruned.code == 0, pruned.text
    assert "Apply complete: 0 created, 0 updated, 0 restarted, 2 stopped or deleted." in pruned.out
    assert [r["room_name"] for r in ws.rooms()] == ["shop a"]
    assert [j["room_id"] for j in ws.active_jobs()] == [ws.room_id("shop a")]
    assert ws.run("plan", "shop-a", "--prune", "--detailed-exitcode", *ws.target()).code == 0


def test_a_second_stack_declaring_a_managed_name_is_an_error_naming_the_owner(workspace: Workspace) -> None:
    ws = workspace
    shop(ws, "a")
    assert ws.run("apply", "shop-a", "--auto-approve", *ws.target()).code == 0
    write(ws.root / "shop-b", {"greet": group("a-greet", reply="other words")})
    before, recorded = ws.mutating_requests(), stacks(ws)

    expected = (
        'error: InteractionRuleGroup/a-greet is managed by stack "shop-a", not "shop-b": declare it in one '
        "stack only, plan it with --stack shop-a, or move its record: smartlive state mv "
        "InteractionRuleGroup/a-greet --stack shop-a --to-stack shop-b\n"
    )
    for command in (("plan", "shop-b"), ("plan", "shop-b", "--prune"), ("apply", "shop-b", "--auto-approve")):
        refused = ws.run(*command, *ws.target())
        assert (refused.code, refused.out, refused.err) == (1, "", expected)
    assert ws.mutating_requests() == before and stacks(ws) == recorded  # nothing written anywhere

    # The same room under another address (its room_name is what the service matches): named too.
    write(ws.root / "shop-c", {"greet": group("c-greet"), "room": room("c-room", "shop a", "c-greet")})
    other = ws.run("plan", "shop-c", *ws.target())
    room_id = ws.room_id("shop a")
    assert other.code == 1 and other.err == (
        f'error: SmartLiveRoom/c-room: room_id {room_id} is managed as SmartLiveRoom/a-room by stack "shop-a": '
        "declare it in one stack only\n"
    )
    # A job declared in a room where another stack's job runs: the broadcast is not shop-d's to restart.
    write(ws.root / "shop-d", {"job": job("d-live", room_id=room_id)})
    (running,) = ws.active_jobs()
    taken = ws.run("plan", "shop-d", *ws.target())
    assert taken.code == 1 and (
        f'SmartLiveJob/d-live: job_id {running["job_id"]} is managed as SmartLiveJob/a-live by stack "shop-a"'
        in taken.err
    )

    # Moving the record, as the message says, hands the group to shop-b; shop-a now hears about it.
    moved = ws.run(
        "state",
        "mv",
        "InteractionRuleGroup/a-greet",
        "--stack",
        "shop-a",
        "--to-stack",
        "shop-b",
        *ws.target(),
    )
    assert moved.code == 0, moved.text
    assert 'from stack "shop-a" to stack "shop-b"' in moved.out
    assert ws.run("apply", "shop-b", "--auto-approve", *ws.target()).code == 0
    assert stacks(ws)["InteractionRuleGroup/a-greet"] == "shop-b"
    back = ws.run("plan", "shop-a", *ws.target())
    assert (
        back.code == 1
        and 'InteractionRuleGroup/a-greet is managed by stack "shop-b", not "shop-a"' in back.err
    )


def test_a_console_made_namesake_is_imported_never_taken_over(workspace: Workspace) -> None:
    ws = workspace
    group_id = create_group(ws, "welcome")
    write(
        ws.root / "shop",
        {
            "welcome": group("welcome", reply="hello"),
            "fresh": group("fresh"),
            "room": room("store", "store", "welcome"),
        },
    )
    command = f"smartlive import InteractionRuleGroup/welcome {group_id} --stack shop"

    text = ws.run("plan", "shop", "--detailed-exitcode", *ws.target())
    assert text.code == 2, text.text
    assert f"  # InteractionRuleGroup/welcome exists, not managed: import it ({command})\n" in text.out
    assert f"  ! InteractionRuleGroup/welcome (id {group_id})\n" in text.out
    assert "  ! exists, not managed: import it first (apply refuses it until then)\n" in text.out
    assert (
        "\nsmartlive will perform the following actions once the objects marked ! are imported:\n" in text.out
    )
    assert text.out.endswith(
        "Plan: 2 to create, 0 to update, 0 to restart, 0 to stop or delete, 1 to import.\n"
    )
    document = json.loads(ws.run("plan", "shop", "--format", "json", *ws.target()).out)
    (welcome,) = [c for c in document["resource_changes"] if c["address"] == "InteractionRuleGroup/welcome"]
    assert (welcome["reason"], welcome["actions"], welcome["remote_id"]) == ("unmanaged", ["no-op"], group_id)
    assert welcome["reason_detail"] == {"stack": "shop"}
    assert document["summary"]["import"] == 1 and document["summary"]["has_changes"] is True
    markdown = ws.run("plan", "shop", "--format", "markdown", *ws.target()).out
    assert (
        f"<code>! InteractionRuleGroup/welcome</code> exists, not managed: import it ({command})" in markdown
    )

    # Apply refuses before any write, naming the command; a target that needs the group is refused too.
    before = ws.mutating_requests()
    for extra in ((), ("--target", "SmartLiveRoom/store")):
        refused = ws.run("apply", "shop", "--auto-approve", *extra, *ws.target())
        assert refused.code == 1 and refused.out == ""
        assert refused.err.splitlines() == [
            "error: apply refused: 1 declared object already exists in MetaStudio and smartlive does not "
            "manage it; import it first, or leave it out with --target:",
            f"  InteractionRuleGroup/welcome exists, not managed: {command}",
        ]
    assert ws.mutating_requests() == before
    assert not (ws.root / ".smartlive" / "state.db").exists() or stacks(ws) == {}
    # A target that leaves it out applies.
    assert (
        ws.run("apply", "shop", "--target", "InteractionRuleGroup/fresh", "--auto-approve", *ws.target()).code
        == 0
    )
    assert group_names(ws) == ["fresh", "welcome"]

    imported = ws.run(*command.split()[1:], *ws.target())
    assert imported.code == 0, imported.text
    assert 'stack "shop"' in imported.out
    managed = ws.run("plan", "shop", *ws.target())
    assert "~ InteractionRuleGroup/welcome" in managed.out and "not managed" not in managed.out
    assert ws.run("apply", "shop", "--auto-approve", *ws.target()).code == 0
    (welcome_group,) = [g for g in ws.groups() if g["group_name"] == "welcome"]
    assert welcome_group["group_id"] == group_id  # updated in place: the same group, not another one
    assert ws.run("plan", "shop", "--detailed-exitcode", *ws.target()).code == 0


def test_records_from_before_stacks_are_taken_over_where_declared_and_never_pruned_elsewhere(
    workspace: Workspace,
) -> None:
    ws = workspace
    write(ws.root / "shop-a", {"one": group("a-one"), "two": group("a-two")})
    write(ws.root / "shop-b", {"one": group("b-one")})
    for folder in ("shop-a", "shop-b"):
        assert ws.run("apply", folder, "--auto-approve", *ws.target()).code == 0
    with sqlite3.connect(ws.root / ".smartlive" / "state.db") as conn:  # as a store written before stacks
        conn.execute("UPDATE resources SET stack = ''")

    kept = ws.run("plan", "shop-b", "--prune", "--detailed-exitcode", *ws.target())
    assert kept.code == 0, kept.text
    assert (
        "# InteractionRuleGroup/a-one is kept: recorded before stacks, declared by no manifest of this stack; "
        "kept even with --prune" in kept.out
    )
    assert kept.out.endswith(
        "No changes to apply. 2 managed resources are no longer declared and kept (listed above; recorded "
        "before stacks: apply --prune leaves them).\n"
    )
    reasons = {
        c["address"]: c["reason"]
        for c in json.loads(ws.run("plan", "shop-b", "--prune", "--format", "json", *ws.target()).out)[
            "resource_changes"
        ]
    }
    assert reasons == {
        "InteractionRuleGroup/a-one": "orphaned_no_stack",
        "InteractionRuleGroup/a-two": "orphaned_no_stack",
        "InteractionRuleGroup/b-one": "unchanged_since_apply",
    }
    applied = ws.run("apply", "shop-b", "--prune", "--auto-approve", *ws.target())
    assert applied.code == 0, applied.text
    assert '• 1 record written before stacks now belongs to stack "shop-b", which declares it' in applied.out
    assert group_names(ws) == ["a-one", "a-two", "b-one"]  # nothing pruned
    assert stacks(ws) == {
        "InteractionRuleGroup/a-one": "",
        "InteractionRuleGroup/a-two": "",
        "InteractionRuleGroup/b-one": "shop-b",
    }
    assert ws.run("apply", "shop-a", "--auto-approve", *ws.target()).code == 0
    assert set(stacks(ws).values()) == {"shop-a", "shop-b"}


def test_a_saved_plan_applies_as_its_own_stack(workspace: Workspace) -> None:
    ws = workspace
    write(ws.root / "shop", {"one": group("one")})
    saved = ws.run("plan", "shop", "--stack", "team-x", "--out", "plan.out", *ws.target())
    assert saved.code == 0, saved.text
    assert json.loads((ws.root / "plan.out").read_text(encoding="utf-8"))["stack"] == "team-x"

    before = ws.mutating_requests()
    refused = ws.run("apply", "plan.out", "--stack", "shop")
    assert refused.code == 1 and refused.err == (
        'error: the saved plan was made for stack "team-x", not "shop": apply it without --stack '
        "(or SMARTLIVE_STACK), or plan again with --stack shop\n"
    )
    ws.monkeypatch.setenv("SMARTLIVE_STACK", "shop")
    assert ws.run("apply", "plan.out").code == 1
    ws.monkeypatch.delenv("SMARTLIVE_STACK")
    assert ws.mutating_requests() == before

    applied = ws.run("apply", "plan.out")
    assert applied.code == 0, applied.text
    assert stacks(ws) == {"InteractionRuleGroup/one": "team-x"}
    listed = ws.run("state", "list", "--stack", "team-x", *ws.target())
    assert "InteractionRuleGroup/one" in listed.out and "1 resource recorded for" in listed.out
    other = ws.run("state", "show", "InteractionRuleGroup/one", "--stack", "shop", *ws.target())
    assert other.code == 1 and 'is managed by stack "team-x", not "shop"' in other.err


@pytest.mark.parametrize(
    ("how", "value", "message"),
    [
        ("option", "", "error: --stack: a stack name cannot be empty"),
        ("option", "x" * 129, "error: --stack: a stack name has at most 128 characters, not 129"),
        (
            "env",
            "shop\nb",
            "error: SMARTLIVE_STACK: a stack name must be printable (no control characters or line breaks)",
        ),
    ],
)
def test_a_bad_stack_name_is_one_usage_line(workspace: Workspace, how: str, value: str, message: str) -> None:
    ws = workspace
    write(ws.root / "shop", {"one": group("one")})
    extra = ["--stack", value] if how == "option" else []
    if how == "env":
        ws.monkeypatch.setenv("SMARTLIVE_STACK", value)
    for command in (("plan", "shop"), ("apply", "shop", "--auto-approve"), ("state", "list")):
        result = ws.run(*command, *extra, *ws.target())
        assert (result.code, result.err) == (2, message + "\n"), result.text


def test_the_default_stack_is_the_manifest_sets_root(workspace: Workspace) -> None:
    ws = workspace
    folder = write(ws.root / "teams" / "shop", {"one": group("one")})
    write(folder / "rooms", {"two": group("two")})

    def stack_of(*paths: str) -> str:
        result = ws.run("plan", *paths, "--format", "json", *ws.target())
        assert result.code == 0, result.text
        return str(json.loads(result.out)["stack"])

    assert stack_of("teams/shop") == "teams/shop"
    assert stack_of("teams/shop/rooms", "teams/shop/one.yaml") == "teams/shop"  # a file is its directory
    assert stack_of(str(folder / "rooms" / "two.yaml")) == "teams/shop/rooms"  # absolute, inside: relative
    ws.monkeypatch.chdir(folder)
    assert stack_of(".") == "."
    ws.monkeypatch.chdir(folder / "rooms")
    assert stack_of("../one.yaml") == folder.resolve().as_posix()  # outside the working directory


def test_import_records_under_the_stack_named_or_leaves_it_to_the_stack_that_declares_it(
    workspace: Workspace,
) -> None:
    ws = workspace
    write(ws.root / "shop-a", {"one": group("one")})
    assert ws.run("apply", "shop-a", "--auto-approve", *ws.target()).code == 0
    (one,) = ws.groups()
    taken = ws.run("import", "InteractionRuleGroup/one", one["group_id"], "--stack", "shop-b", *ws.target())
    assert taken.code == 1 and taken.err.startswith(
        'error: InteractionRuleGroup/one is managed by stack "shop-a", not "shop-b":'
    )
    again = ws.run("import", "InteractionRuleGroup/one", one["group_id"], *ws.target())
    assert again.code == 0 and "nothing to do" in again.out
    assert stacks(ws) == {"InteractionRuleGroup/one": "shop-a"}

    # Imported with no stack named: the first stack that declares it owns it from its next apply.
    two_id = create_group(ws, "two")
    imported = ws.run("import", "InteractionRuleGroup/two", two_id, *ws.target())
    assert imported.code == 0 and "no stack yet" in imported.out
    write(ws.root / "shop-b", {"two": group("two")})
    assert "not managed" not in ws.run("plan", "shop-b", *ws.target()).out
    assert ws.run("apply", "shop-b", "--auto-approve", *ws.target()).code == 0
    assert stacks(ws) == {"InteractionRuleGroup/one": "shop-a", "InteractionRuleGroup/two": "shop-b"}
    assert [g["group_id"] for g in ws.groups() if g["group_name"] == "two"] == [two_id]
