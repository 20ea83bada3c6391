"""Plans that tell the truth, through the CLI over a socket: a reorder that changes which rule answers
is a change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

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


def test_a_job_in_a_room_that_does_not_exist_is_a_plan_error_at_its_manifest(workspace: Workspace) -> None:
    ws = workspace
    folder = ws.root / "missing"
    folder.mkdir()
    job = folder / "job.yaml"
    job.write_text(
        "apiVersion: smartlive/v1\nkind: SmartLiveJob\nmetadata: {name: lost}\nspec:\n  room_id: no-such-room\n",
        encoding="utf-8",
    )
    before = ws.mutating_requests()
    planned = ws.run("plan", str(folder), *ws.target())
    applied = ws.run("apply", str(folder), "--auto-approve", *ws.target())
    for result in (planned, applied):
        assert result.code == 1, result.text
        assert (
            f"error: {job}:1: SmartLiveJob/lost: room_id no-such-room names no room in this project"
            in result.err
        )
    assert ws.mutating_requests() == before  # nothing was started, nothing was written


def test_a_target_brings_what_it_depends_on(workspace: Workspace) -> None:
    from tests.acceptance.test_rooms import write_chain

    ws = workspace
    folder = write_chain(ws.root)
    plan = ws.run("plan", str(folder), "--target", "SmartLiveJob/live", "--format", "json", *ws.target())
    assert plan.code == 0, plan.text
    document = json.loads(plan.out)
    planned = sorted(c["address"] for c in document["resource_changes"])
    # The job needs its room, and the room the groups it imports: Terraform's -target does the same.
    assert planned == [
        "InteractionRuleGroup/faq",
        "InteractionRuleGroup/greet",
        "SmartLiveJob/live",
        "SmartLiveRoom/store",
    ]
    assert any(
        note.startswith("--target also plans what the targets depend on:") for note in document["notes"]
    )
    applied = ws.run("apply", str(folder), "--target", "SmartLiveJob/live", "--auto-approve", *ws.target())
    assert applied.code == 0, applied.text
    assert len(ws.active_jobs()) == 1


def test_a_saved_plan_of_any_name_applies_from_another_checkout_and_knows_its_target(
    workspace: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.acceptance.test_rooms import write_chain

    ws = workspace
    write_chain(ws.root)
    saved = ws.run("plan", "chain", "--out", "plan.out", *ws.target())
    assert saved.code == 0, saved.text
    body = json.loads((ws.root / "plan.out").read_text(encoding="utf-8"))
    assert body["paths"] == ["chain"]  # relative: the plan travels with the checkout
    assert body["where"] == {"endpoint": ws.base_url, "project_id": PROJECT, "local": False}

    # Another checkout of the same files (a pipeline's apply job), another absolute path, no target options.
    elsewhere = tmp_path_factory.mktemp("checkout")
    shutil.copytree(ws.root / "chain", elsewhere / "chain")
    shutil.copy(ws.root / "plan.out", elsewhere / "plan.out")
    ws.monkeypatch.chdir(elsewhere)
    other = ws.run("apply", "plan.out", "--endpoint", "http://127.0.0.1:9", "--project-id", PROJECT)
    assert other.code == 1 and "Saved plan is stale: it was made for" in other.err, other.text
    applied = ws.run("apply", "plan.out")
    assert applied.code == 0, applied.text
    assert "Apply complete: 4 created" in applied.out


def test_a_deleted_manifest_is_shown_as_kept_in_every_format_until_prune_removes_it(
    workspace: Workspace,
) -> None:
    ws = workspace
    folder = ws.root / "kept"
    folder.mkdir()
    (folder / "tie.yaml").write_text(_group([_rule("first", 100)]), encoding="utf-8")
    other = {"apiVersion": "smartlive/v1", "kind": "InteractionRuleGroup", "metadata": {"name": "stays"}}
    (folder / "stays.yaml").write_text(
        json.dumps({**other, "spec": {"interaction_rules": []}}), encoding="utf-8"
    )
    assert ws.run("apply", str(folder), "--auto-approve", *ws.target()).code == 0
    (folder / "tie.yaml").unlink()

    text = ws.run("plan", str(folder), "--detailed-exitcode", *ws.target())
    assert text.code == 0, text.text  # apply would change nothing without --prune
    assert (
        "# InteractionRuleGroup/tie is kept: managed by smartlive, no longer declared; apply --prune would remove it"
        in text.out
    )
    assert text.out.rstrip().endswith(
        "No changes to apply. 1 managed resource is no longer declared and kept (listed above; apply --prune removes them)."
    )
    document = json.loads(ws.run("plan", str(folder), "--format", "json", *ws.target()).out)
    kept = [c for c in document["resource_changes"] if c["reason"] == "orphaned"]
    assert [(c["address"], c["actions"]) for c in kept] == [("InteractionRuleGroup/tie", ["no-op"])]
    markdown = ws.run("plan", str(folder), "--format", "markdown", *ws.target()).out
    assert "InteractionRuleGroup/tie" in markdown and "no longer declared" in markdown

    assert ws.run("apply", str(folder), "--auto-approve", *ws.target()).code == 0
    assert sorted(g["group_name"] for g in ws.groups()) == ["stays", "tie"]  # kept
    pruned = ws.run("plan", str(folder), "--prune", "--detailed-exitcode", *ws.target())
    assert pruned.code == 2 and "InteractionRuleGroup/tie will be deleted" in pruned.out
    assert ws.run("apply", str(folder), "--prune", "--auto-approve", *ws.target()).code == 0
    assert [g["group_name"] for g in ws.groups()] == ["stays"]


def _rename(manifest: Path, old: str, new: str, *, annotate: bool = False) -> None:
    document = json.loads(manifest.read_text(encoding="utf-8"))
    assert document["metadata"]["name"] == old
    document["metadata"]["name"] = new
    if annotate:
        document["metadata"]["annotations"] = {"smartlive.io/previous-name": old}
    manifest.write_text(json.dumps(document), encoding="utf-8")


def test_a_renamed_job_keeps_its_broadcast_with_prune_and_state_mv_moves_it_too(workspace: Workspace) -> None:
    from tests.acceptance.test_rooms import write_chain

    ws = workspace
    folder = write_chain(ws.root)
    assert ws.run("apply", str(folder), "--auto-approve", *ws.target()).code == 0
    (job,) = ws.active_jobs()
    manifest = folder / "job.yaml"

    # Renamed with no annotation: the room's running job is still declared (under its new name), so
    # --prune moves the record instead of stopping the broadcast.
    _rename(manifest, "live", "main")
    planned = ws.run("plan", str(folder), "--prune", "--detailed-exitcode", *ws.target())
    assert planned.code == 2, planned.text
    assert "will be stopped" not in planned.out
    assert "# SmartLiveJob/main has moved from SmartLiveJob/live: its state record follows it" in planned.out
    assert planned.out.rstrip().endswith("1 state record to move.")
    applied = ws.run("apply", str(folder), "--prune", "--auto-approve", *ws.target())
    assert applied.code == 0, applied.text
    assert "SmartLiveJob/main: moved from SmartLiveJob/live in the state store" in applied.out
    assert [j["job_id"] for j in ws.active_jobs()] == [job["job_id"]]
    assert ws.run("plan", str(folder), "--prune", "--detailed-exitcode", *ws.target()).code == 0

    # `state mv` does the same by hand, before the manifest is renamed.
    moved = ws.run("state", "mv", "SmartLiveJob/main", "SmartLiveJob/prime", *ws.target())
    assert moved.code == 0, moved.text
    assert f"Moved SmartLiveJob/main to SmartLiveJob/prime (SmartLiveJob {job['job_id']})" in moved.out
    _rename(manifest, "main", "prime")
    assert ws.run("plan", str(folder), "--prune", "--detailed-exitcode", *ws.target()).code == 0
    refused = ws.run("state", "mv", "SmartLiveJob/prime", "SmartLiveRoom/prime", *ws.target())
    assert refused.code == 1 and "cannot move to a SmartLiveRoom address" in refused.err


def test_a_group_renamed_with_previous_name_is_renamed_in_place_keeping_its_id(workspace: Workspace) -> None:
    ws = workspace
    folder = ws.root / "renamed"
    folder.mkdir()
    manifest = folder / "tie.yaml"
    manifest.write_text(_group([_rule("first", 100)]), encoding="utf-8")
    assert ws.run("apply", str(folder), "--auto-approve", *ws.target()).code == 0
    (before,) = ws.groups()

    _rename(manifest, "tie", "greetings", annotate=True)
    assert ws.run("validate", str(folder)).code == 0
    planned = ws.run("plan", str(folder), "--prune", "--detailed-exitcode", *ws.target())
    assert planned.code == 2, planned.text
    assert (
        "# InteractionRuleGroup/greetings (moved from InteractionRuleGroup/tie) will be updated in place"
        in planned.out
    )
    assert '~ group_name: "tie" -> "greetings"' in planned.out
    assert "will be deleted" not in planned.out and "will be created" not in planned.out
    document = json.loads(ws.run("plan", str(folder), "--format", "json", *ws.target()).out)
    (change,) = document["resource_changes"]
    assert change["moved_from"] == "InteractionRuleGroup/tie" and document["summary"]["move"] == 1

    assert ws.run("apply", str(folder), "--prune", "--auto-approve", *ws.target()).code == 0
    (after,) = ws.groups()
    assert (after["group_id"], after["group_name"]) == (before["group_id"], "greetings")
    listed = ws.run("state", "list", *ws.target()).out
    assert "InteractionRuleGroup/greetings" in listed and "InteractionRuleGroup/tie" not in listed
    # The annotation can stay: with nothing left to move, the plan is clean.
    assert ws.run("plan", str(folder), "--prune", "--detailed-exitcode", *ws.target()).code == 0


def test_previous_name_is_checked_by_validate(workspace: Workspace) -> None:
    folder = workspace.root / "self"
    folder.mkdir()
    document = json.loads(_group([_rule("first", 100)]))
    document["metadata"]["annotations"] = {"smartlive.io/previous-name": "tie"}
    (folder / "tie.yaml").write_text(json.dumps(document), encoding="utf-8")
    result = workspace.run("validate", str(folder))
    assert result.code == 1
    assert "annotation 'smartlive.io/previous-name' names the resource itself" in result.out


def _job(bitrate: int) -> str:
    return (
        "apiVersion: smartlive/v1\nkind: SmartLiveJob\nmetadata: {name: console-room-show}\nspec:\n"
        "  room_id: ROOM\n"
        f"  video_config: {{codec: H264, bitrate: {bitrate}, width: 1920, height: 1080, frame_rate: '25'}}\n"
        "  output_urls: [rtmp://push.example.com/live]\n"
        "  stream_keys: ['${env:LANDSCAPE_STREAM_KEY}']\n"
    )


def test_a_fresh_state_store_reads_the_running_job_back_and_finds_the_bitrate_change(
    workspace: Workspace,
) -> None:
    """A throwaway CI runner's state store knows nothing: the bitrate the job runs with is read back
    (GET_LIVE_JOB_CONFIG_INFO), so the change is planned (exit 2) and applied, never "No changes"."""
    ws = workspace
    with ws.signed() as client:
        room_id = client.post(f"/v1/{PROJECT}/smart-live-rooms", json={"room_name": "console"}).json()[
            "room_id"
        ]
    folder = ws.root / "show"
    folder.mkdir()
    manifest = folder / "job.yaml"
    manifest.write_text(_job(6000).replace("ROOM", room_id), encoding="utf-8")
    assert ws.run("apply", str(folder), "--auto-approve", *ws.target()).code == 0
    (started,) = ws.active_jobs()

    manifest.write_text(_job(7000).replace("ROOM", room_id), encoding="utf-8")
    fresh = ["--state", str(ws.root / "fresh.db")]
    planned = ws.run("plan", str(folder), "--detailed-exitcode", *fresh, *ws.target())
    assert planned.code == 2, planned.text
    assert "~ video_config.bitrate: 6000 -> 7000  # forces restart" in planned.out
    assert "SmartLiveJob/console-room-show must be restarted: video_config.bitrate changed" in planned.out

    applied = ws.run("apply", str(folder), "--auto-approve", "--allow-restart", *fresh, *ws.target())
    assert applied.code == 0, applied.text
    (restarted,) = ws.active_jobs()
    assert restarted["job_id"] != started["job_id"]
    config = ws.api("GET", f"/_emulator/jobs/{restarted['job_id']}")["config"]
    assert config["video_config"]["bitrate"] == 7000
    # That store now vouches for what it applied: the next plan compares without reading the job back.
    ws.api("POST", "/_emulator/stats/reset")
    assert ws.run("plan", str(folder), "--detailed-exitcode", *fresh, *ws.target()).code == 0
    assert not [key for key in ws.api("GET", "/_emulator/stats")["requests"] if key.endswith("/command")]


def test_a_pull_request_check_without_secrets_says_may_change_and_exits_2(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace
    assert ws.run("apply", "examples", "--auto-approve", *ws.target()).code == 0
    assert ws.run("plan", "examples", "--detailed-exitcode", *ws.target()).code == 0
    for name in (
        "LANDSCAPE_STREAM_KEY",
        "PORTRAIT_STREAM_KEY",
        "LIVE_CALLBACK_KEY",
        "INTERACTION_CALLBACK_URL",
    ):
        monkeypatch.delenv(name)
    checked = ws.run("plan", "examples", "--detailed-exitcode", *ws.target())
    assert checked.code == 2, checked.text
    assert "No changes" not in checked.out
    assert "  ? SmartLiveJob/store-landscape (id " in checked.out
    assert "      ? stream_keys: may change\n" in checked.out
    last = checked.out.rstrip().splitlines()[-1]
    assert last.startswith("Nothing to apply, but ") and "declared fields could not be compared" in last
    document = json.loads(ws.run("plan", "examples", "--format", "json", *ws.target()).out)
    unverifiable = {
        c["address"]: c["unverifiable"] for c in document["resource_changes"] if c["unverifiable"]
    }
    # Only the secrets: every other field is compared through the state store's fingerprints.
    assert all(
        set(fields) <= {"stream_keys", "live_event_callback_config.key", "interaction_callback_url"}
        for fields in unverifiable.values()
    ), unverifiable
    assert document["summary"]["unverifiable"] == sum(len(f) for f in unverifiable.values()) > 0
