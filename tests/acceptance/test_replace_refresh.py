"""`--replace` and `--refresh-only`, through the CLI against the emulator over a real socket: a named
resource is written again though nothing differs (a job restarted, a group and a room updated in place,
ids kept); the state store is corrected from what exists with not one write to the service."""

from __future__ import annotations

import json
from pathlib import Path

from tests.acceptance.conftest import PROJECT, Workspace
from tests.acceptance.test_rooms import _doc, _keyword_rule, write_chain

JOB = "SmartLiveJob/live"
GROUP = "InteractionRuleGroup/greet"
ROOM = "SmartLiveRoom/store"
STOP = "POST /v1/{project_id}/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/stop"
START = "POST /v1/{project_id}/smart-live-rooms/{room_id}/smart-live-jobs"
PUT_GROUP = "PUT /v1/{project_id}/smart-live-interaction-rule-groups/{group_id}"
PUT_ROOM = "PUT /v1/{project_id}/smart-live-rooms/{room_id}"


def requests(ws: Workspace) -> dict[str, int]:
    return dict(ws.api("GET", "/_emulator/stats")["requests"])


def records(ws: Workspace) -> dict[str, str]:
    """address -> remote id, from `smartlive state list --format json`."""
    listed = ws.run("state", "list", "--format", "json", *ws.target())
    assert listed.code == 0, listed.text
    return {r["address"]: r["remote_id"] for r in json.loads(listed.out)["resources"]}


def test_replace_rewrites_what_matches_keeping_ids_and_restarts_the_job_without_allow_restart(
    workspace: Workspace,
) -> None:
    ws = workspace
    folder = write_chain(ws.root)
    assert ws.run("apply", str(folder), "--auto-approve", *ws.target()).code == 0
    (job,) = ws.active_jobs()
    groups = {g["group_name"]: g["group_id"] for g in ws.groups()}
    room_id = ws.room_id("store room")
    assert ws.run("plan", str(folder), "--detailed-exitcode", *ws.target()).code == 0  # nothing differs
    replace = ("--replace", JOB, "--replace", GROUP, "--replace", ROOM)

    planned = ws.run("plan", str(folder), "--detailed-exitcode", *replace, *ws.target())
    assert planned.code == 2, planned.text
    assert f"# {JOB} must be restarted: replacement requested (--replace)" in planned.out
    assert f"# {GROUP} will be updated in place: replacement requested (--replace)" in planned.out
    assert f"# {ROOM} will be updated in place: replacement requested (--replace)" in planned.out
    assert "Plan: 0 to create, 2 to update, 1 to restart, 0 to stop or delete." in planned.out
    as_json = json.loads(ws.run("plan", str(folder), "--format", "json", *replace, *ws.target()).out)
    reasons = {c["address"]: c["reason"] for c in as_json["resource_changes"]}
    assert reasons[JOB] == reasons[GROUP] == reasons[ROOM] == "replace_requested"

    before = requests(ws)
    applied = ws.run("apply", str(folder), "--auto-approve", *replace, *ws.target())  # no --allow-restart
    assert applied.code == 0, applied.text
    assert "Apply complete: 0 created, 2 updated, 1 restarted, 0 stopped or deleted." in applied.out
    after = requests(ws)
    assert {op: after.get(op, 0) - before.get(op, 0) for op in (STOP, START, PUT_GROUP, PUT_ROOM)} == {
        STOP: 1,
        START: 1,
        PUT_GROUP: 1,
        PUT_ROOM: 1,
    }
    (restarted,) = ws.active_jobs()
    assert restarted["job_id"] != job["job_id"] and restarted["room_id"] == room_id
    # Written again in place, never deleted and created: the ids others refer to are the same.
    assert {g["group_name"]: g["group_id"] for g in ws.groups()} == groups
    assert ws.room_id("store room") == room_id
    assert records(ws)[JOB] == restarted["job_id"]
    assert ws.run("plan", str(folder), "--detailed-exitcode", *ws.target()).code == 0


def test_replace_of_an_undeclared_address_is_a_usage_error_in_one_line(workspace: Workspace) -> None:
    ws = workspace
    folder = write_chain(ws.root)
    for command in (("plan",), ("apply", "--auto-approve")):
        result = ws.run(*command, str(folder), "--replace", "SmartLiveJob/nope", *ws.target())
        assert result.code == 2, result.text
        assert result.err == (
            "error: --replace SmartLiveJob/nope: no manifest declares it; only a declared resource can be "
            "written again\n"
        )
    assert ws.mutating_requests() == 0


def test_refresh_only_corrects_the_records_from_what_exists_and_writes_nothing(workspace: Workspace) -> None:
    ws = workspace
    folder = write_chain(ws.root)
    (folder / "gone.yaml").write_text(
        _doc("InteractionRuleGroup", "gone", {"interaction_rules": [_keyword_rule("x", "x", "y")]}),
        encoding="utf-8",
    )
    assert ws.run("apply", str(folder), "--auto-approve", *ws.target()).code == 0
    (folder / "gone.yaml").unlink()  # no longer declared: kept, and recorded
    (job,) = ws.active_jobs()
    groups = {g["group_name"]: g["group_id"] for g in ws.groups()}

    # Outside smartlive: the job restarted from the console, a declared group and the kept one deleted,
    # and a group created by hand that a new manifest declares.
    base = f"/v1/{PROJECT}/smart-live-rooms/{job['room_id']}/smart-live-jobs"
    with ws.signed() as client:
        assert client.post(f"{base}/{job['job_id']}/stop", json={}).status_code < 300
        started = client.post(base, json={}).json()["job_id"]
        for name in ("faq", "gone"):
            path = f"/v1/{PROJECT}/smart-live-interaction-rule-groups/{groups[name]}"
            assert client.delete(path).status_code < 300
        extra = {"group_name": "extra", "interaction_rules": [_keyword_rule("e", "e", "f")]}
        assert client.post(f"/v1/{PROJECT}/smart-live-interaction-rule-groups", json=extra).status_code < 300
    (folder / "extra.yaml").write_text(
        _doc("InteractionRuleGroup", "extra", {"interaction_rules": [_keyword_rule("e", "e", "f")]}),
        encoding="utf-8",
    )
    recorded = records(ws)
    mutating = ws.mutating_requests()
    lines = [
        f"- InteractionRuleGroup/faq: forgotten, no group_id {groups['faq']} exists any more",
        f"- InteractionRuleGroup/gone: forgotten, no group_id {groups['gone']} exists any more",
        f"~ {JOB}: job_id {job['job_id']} -> {started} (changed outside smartlive; what it runs with is read "
        "back, not taken from what was applied)",
    ]

    preview = ws.run("plan", str(folder), "--refresh-only", "--detailed-exitcode", *ws.target())
    assert preview.code == 2, preview.text
    assert preview.out.splitlines() == [
        *lines,
        "Refresh-only plan: 1 record(s) to update, 2 to forget; apply --refresh-only writes them to the "
        "state store, and nothing to MetaStudio.",
    ]
    assert records(ws) == recorded  # a preview writes nothing

    applied = ws.run("apply", str(folder), "--refresh-only", "--auto-approve", *ws.target())
    assert applied.code == 0, applied.text
    assert applied.out.splitlines() == [
        *lines,
        "Refresh complete: 1 record(s) updated, 2 forgotten; nothing was sent to MetaStudio.",
    ]
    assert ws.mutating_requests() == mutating
    expected = {
        k: v
        for k, v in recorded.items()
        if k not in {"InteractionRuleGroup/faq", "InteractionRuleGroup/gone"}
    }
    assert records(ws) == {**expected, JOB: started}  # extra, never recorded, is not adopted

    again = ws.run("plan", str(folder), "--refresh-only", "--detailed-exitcode", *ws.target())
    assert again.code == 0, again.text
    assert again.out == "The state store matches MetaStudio: no record to update or forget.\n"
    # What the job now runs with is not taken for what was applied before: it is read back, and the
    # console's start (an empty body) left out the canvas the manifest declares.
    plan = ws.run("plan", str(folder), *ws.target())
    assert "+ InteractionRuleGroup/faq" in plan.out
    assert f"{JOB} must be restarted: video_config.bitrate, video_config.height" in plan.out, plan.out


def test_refresh_only_refuses_options_that_would_change_objects(workspace: Workspace, tmp_path: Path) -> None:
    ws = workspace
    folder = write_chain(ws.root)
    for extra in (("--prune",), ("--replace", JOB)):
        result = ws.run("apply", str(folder), "--refresh-only", "--auto-approve", *extra, *ws.target())
        assert result.code == 2, result.text
        assert result.err == f"error: --refresh-only changes no object: {extra[0]} does not go with it\n"
    saved = ws.run("plan", str(folder), "--refresh-only", "--out", str(tmp_path / "p.json"), *ws.target())
    assert (
        saved.code == 2
        and saved.err == "error: --refresh-only prints its corrections as text and saves no plan\n"
    )
    assert ws.mutating_requests() == 0


def test_a_plan_saved_with_replace_applies_the_replacement(workspace: Workspace, tmp_path: Path) -> None:
    ws = workspace
    folder = write_chain(ws.root)
    assert ws.run("apply", str(folder), "--auto-approve", *ws.target()).code == 0
    (job,) = ws.active_jobs()
    saved = tmp_path / "replace.plan"
    planned = ws.run("plan", str(folder), "--replace", JOB, "--out", str(saved), *ws.target())
    assert planned.code == 0, planned.text
    applied = ws.run("apply", str(saved), *ws.target())
    assert applied.code == 0, applied.text
    assert "Apply complete: 0 created, 0 updated, 1 restarted, 0 stopped or deleted." in applied.out
    (restarted,) = ws.active_jobs()
    assert restarted["job_id"] != job["job_id"]
