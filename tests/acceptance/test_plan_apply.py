"""plan and apply, end to end: the real CLI against the emulator over a socket, as a pipeline runs them."""

from __future__ import annotations

import json
import re

from tests.acceptance.conftest import LANDSCAPE_ROOM_NAME, PORTRAIT_ROOM_NAME, SECRETS, Workspace

#: A field of the job's own StartSmartLive body (the canvas and the play policy are its room's now): a
#: change of it restarts the running job.
CALLBACK_URL = "live_event_type_callback_url: ${var:hooks}/smartlive/events"
OTHER_CALLBACK_URL = "live_event_type_callback_url: ${var:hooks}/smartlive/live-events"


def apply(ws: Workspace, *extra: str) -> int:
    return ws.run("apply", "examples", *ws.target(), "--auto-approve", *extra).code


def test_new_manifest_set_plans_creates_and_starts(workspace: Workspace) -> None:
    result = workspace.run("plan", "examples", *workspace.target(), "--detailed-exitcode")
    assert result.code == 2, result.text
    assert "+ InteractionRuleGroup/welcome" in result.out
    assert "\n  + SmartLiveRoom/flagship-store\n" in result.out
    # The job's room is created by the same apply: its id is not known yet, so none is shown.
    assert "\n  + SmartLiveJob/store-landscape\n" in result.out
    # The room is 1920x1080, so the job runs LANDSCAPE: it sets neither video_config nor view_mode, and
    # its plan shows no other view_mode.
    job = result.out.split("\n  + SmartLiveJob/store-landscape\n", 1)[1].split("\n\n", 1)[0]
    assert re.findall(r"\bview_mode += (.*)", job) in ([], ['"LANDSCAPE"']), job
    # 5 groups, 2 rooms, 2 jobs.
    assert result.out.rstrip().endswith("Plan: 9 to create, 0 to update, 0 to restart, 0 to stop or delete.")


def test_apply_converges_and_then_plans_no_changes(workspace: Workspace) -> None:
    assert apply(workspace) == 0
    names = sorted(g["group_name"] for g in workspace.groups())
    assert names == ["faq", "gift-thanks", "like-milestones", "product-popup", "welcome"]
    assert sorted(r["room_name"] for r in workspace.rooms()) == sorted(
        [LANDSCAPE_ROOM_NAME, PORTRAIT_ROOM_NAME]
    )
    rooms = [workspace.room_id(LANDSCAPE_ROOM_NAME), workspace.room_id(PORTRAIT_ROOM_NAME)]
    assert sorted(j["room_id"] for j in workspace.active_jobs()) == sorted(rooms)

    again = workspace.run("plan", "examples", *workspace.target(), "--detailed-exitcode")
    assert again.code == 0, again.text
    assert "No changes. MetaStudio matches the manifests." in again.out


def test_second_apply_makes_no_mutating_request(workspace: Workspace) -> None:
    assert apply(workspace) == 0
    workspace.api("POST", "/_emulator/stats/reset")
    second = workspace.run("apply", "examples", *workspace.target(), "--auto-approve")
    assert second.code == 0, second.text
    assert "Apply complete: 0 created, 0 updated, 0 restarted, 0 stopped or deleted." in second.out
    assert workspace.mutating_requests() == 0


def test_warm_state_store_reads_no_group_in_full(workspace: Workspace) -> None:
    assert apply(workspace) == 0
    workspace.api("POST", "/_emulator/stats/reset")
    assert workspace.run("plan", "examples", *workspace.target()).code == 0
    stats = workspace.api("GET", "/_emulator/stats")["requests"]
    assert not any("{group_id}" in key for key in stats), stats


def test_one_field_edit_plans_exactly_that_change(workspace: Workspace) -> None:
    assert apply(workspace) == 0
    workspace.edit("rule-groups/welcome.yaml", "priority: 100", "priority: 90")
    result = workspace.run("plan", "examples", *workspace.target(), "--format", "json", "--detailed-exitcode")
    assert result.code == 2, result.text
    plan = json.loads(result.out)
    changed = [c for c in plan["resource_changes"] if c["actions"] != ["no-op"]]
    # Both rooms import welcome: they hold copies of its rules, so the one edit is a change of each, and
    # each rewrites the rules of the job running in it; no job is restarted.
    assert [(c["address"], c["actions"]) for c in changed] == [
        ("InteractionRuleGroup/welcome", ["update"]),
        ("SmartLiveRoom/evening-show", ["update"]),
        ("SmartLiveRoom/flagship-store", ["update"]),
    ]
    for change in changed:
        assert change["changes"] == [
            {
                "path": "interaction_rules[welcome-vip].hit_condition.priority",
                "before": 100,
                "after": 90,
                "forces_restart": False,
            }
        ]
    jobs = {j["room_id"]: j["job_id"] for j in workspace.active_jobs()}
    for change in changed[1:]:
        assert change["reason_detail"] == {"caused_by": ["InteractionRuleGroup/welcome"]}
        assert change["live_commands"] == [
            {"command": "REWRITE_INTERACTION_RULES", "job_id": jobs[change["remote_id"]]}
        ]
        assert change["deferred"] == {"fields": [], "jobs": []}
    assert apply(workspace) == 0
    assert {j["room_id"]: j["job_id"] for j in workspace.active_jobs()} == jobs
    for job_id in jobs.values():  # the running jobs run the edited rule
        rules = workspace.api("GET", f"/_emulator/jobs/{job_id}")["interaction_rules"]
        vip = [r for r in rules if r.get("rule_name") == "welcome-vip"]
        assert [r["hit_condition"]["priority"] for r in vip] == [90]
    assert workspace.run("plan", "examples", *workspace.target(), "--detailed-exitcode").code == 0


def test_running_job_config_change_needs_permission_to_restart(workspace: Workspace) -> None:
    assert apply(workspace) == 0
    before = {j["room_id"]: j["job_id"] for j in workspace.active_jobs()}
    workspace.edit("jobs/store-landscape.yaml", CALLBACK_URL, OTHER_CALLBACK_URL)
    plan = workspace.run("plan", "examples", *workspace.target())
    assert "-/+ SmartLiveJob/store-landscape" in plan.out
    assert "# forces restart" in plan.out

    refused = workspace.run("apply", "examples", *workspace.target(), "--auto-approve")
    assert refused.code == 1
    assert "! SmartLiveJob/store-landscape: SKIPPED" in refused.out
    assert {j["room_id"]: j["job_id"] for j in workspace.active_jobs()} == before

    allowed = workspace.run("apply", "examples", *workspace.target(), "--auto-approve", "--allow-restart")
    assert allowed.code == 0, allowed.text
    after = {j["room_id"]: j["job_id"] for j in workspace.active_jobs()}
    landscape, portrait = workspace.room_id(LANDSCAPE_ROOM_NAME), workspace.room_id(PORTRAIT_ROOM_NAME)
    assert after[landscape] != before[landscape]
    assert after[portrait] == before[portrait]
    stored = workspace.api("GET", f"/_emulator/jobs/{after[landscape]}")
    assert stored["request"]["live_event_callback_config"]["live_event_type_callback_url"] == (
        "https://hooks.example.com/smartlive/live-events"
    )


def test_stream_key_change_refreshes_output_without_restart(workspace: Workspace) -> None:
    assert apply(workspace) == 0
    before = {j["room_id"]: j["job_id"] for j in workspace.active_jobs()}
    workspace.monkeypatch.setenv("LANDSCAPE_STREAM_KEY", "sk-landscape-rotated-0042")
    result = workspace.run("apply", "examples", *workspace.target(), "--auto-approve")
    assert result.code == 0, result.text
    assert "SmartLiveJob/store-landscape: output refreshed without restart" in result.out
    assert {j["room_id"]: j["job_id"] for j in workspace.active_jobs()} == before
    assert "sk-landscape-rotated-0042" not in result.text


def test_declared_stopped_job_is_stopped_only_when_allowed_by_annotation_or_flag(
    workspace: Workspace,
) -> None:
    assert apply(workspace) == 0
    # evening-portrait carries smartlive.io/allow-restart: "true", so stopping it needs no flag.
    workspace.edit("jobs/evening-portrait.yaml", "state: running", "state: stopped")
    result = workspace.run("apply", "examples", *workspace.target(), "--auto-approve")
    assert result.code == 0, result.text
    assert [j["room_id"] for j in workspace.active_jobs()] == [workspace.room_id(LANDSCAPE_ROOM_NAME)]


def test_saved_plan_is_applied_and_refused_when_stale(workspace: Workspace) -> None:
    assert workspace.run("plan", "examples", *workspace.target(), "--out", "tfplan.json").code == 0
    assert workspace.run("apply", "tfplan.json", *workspace.target()).code == 0
    assert len(workspace.groups()) == 5

    workspace.edit("rule-groups/welcome.yaml", "priority: 100", "priority: 80")
    assert workspace.run("plan", "examples", *workspace.target(), "--out", "second.json").code == 0
    workspace.edit("rule-groups/welcome.yaml", "priority: 80", "priority: 70")
    stale = workspace.run("apply", "second.json", *workspace.target())
    assert stale.code == 1
    assert "Saved plan is stale: the manifests changed" in stale.err


def test_apply_without_tty_or_auto_approve_refuses(workspace: Workspace) -> None:
    result = workspace.run("apply", "examples", *workspace.target())
    assert result.code == 1
    assert "standard input is not a terminal; pass --auto-approve" in result.err
    assert workspace.groups() == []


def test_prune_deletes_managed_groups_only(workspace: Workspace) -> None:
    assert apply(workspace) == 0
    with workspace.signed() as client:  # a group this tool never created, named like a declared one
        client.post(
            "/v1/acc-project/smart-live-interaction-rule-groups", json={"group_name": "someone-elses"}
        ).raise_for_status()
    (workspace.manifests / "rule-groups" / "faq.yaml").unlink()  # and the rooms stop importing it
    assert workspace.drop_import("faq") == ["evening-show", "flagship-store"]
    plan = workspace.run("plan", "examples", *workspace.target(), "--prune")
    assert plan.code == 0, plan.text
    assert "- InteractionRuleGroup/faq" in plan.out
    # The rooms drop their copies of faq's rules (in their running jobs too) before faq is deleted.
    assert plan.out.rstrip().endswith("Plan: 0 to create, 2 to update, 0 to restart, 1 to stop or delete.")
    assert "someone-elses" not in plan.out
    assert apply(workspace, "--prune") == 0
    assert sorted(g["group_name"] for g in workspace.groups()) == [
        "gift-thanks",
        "like-milestones",
        "product-popup",
        "someone-elses",
        "welcome",
    ]


def test_secrets_never_appear_in_any_output_plan_file_or_state(workspace: Workspace) -> None:
    for fmt in ("text", "json", "markdown"):
        workspace.run("plan", "examples", *workspace.target(), "--format", fmt)
    workspace.run("plan", "examples", *workspace.target(), "--out", "saved.json")
    apply(workspace)
    workspace.run("state", "list")
    workspace.run("state", "show", "SmartLiveJob/store-landscape")
    workspace.monkeypatch.setenv("LANDSCAPE_STREAM_KEY", "sk-landscape-second-77aa")
    workspace.edit("jobs/store-landscape.yaml", CALLBACK_URL, OTHER_CALLBACK_URL)
    for fmt in ("text", "json", "markdown"):
        workspace.run("plan", "examples", *workspace.target(), "--format", fmt)
    apply(workspace, "--allow-restart")
    haystack = "\n".join(workspace.outputs) + (workspace.root / "saved.json").read_text()
    state = workspace.state_bytes()
    for value in [*SECRETS.values(), "sk-landscape-second-77aa", "acc-sk-secret-0000"]:
        assert value not in haystack
        assert value.encode() not in state
    assert "(sensitive)" in haystack


def test_bad_credentials_and_unreachable_endpoint_are_one_clear_error(workspace: Workspace) -> None:
    workspace.monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "wrong-secret")
    denied = workspace.run("plan", "examples", *workspace.target())
    assert denied.code == 1
    assert denied.err.startswith("error: ") and "APIGW.0301" in denied.err
    assert "Traceback" not in denied.text and "wrong-secret" not in denied.text

    unreachable = workspace.run("plan", "examples", "--endpoint", "http://127.0.0.1:9")
    assert unreachable.code == 1
    assert "cannot reach http://127.0.0.1:9" in unreachable.err

    workspace.monkeypatch.delenv("HUAWEICLOUD_SDK_AK")
    missing = workspace.run("plan", "examples", *workspace.target())
    assert missing.code == 1 and "HUAWEICLOUD_SDK_AK" in missing.err


def test_lock_held_by_another_apply_is_refused_naming_the_holder(workspace: Workspace) -> None:
    from reconciler.cloud.config import Target
    from reconciler.state import LockHolder, open_store

    store = open_store(None, workdir=workspace.root)
    key = Target(workspace.base_url, "acc-project", credentials=None).key  # type: ignore[arg-type]
    with store.lock(key, timeout=0, holder=LockHolder.current("apply")):
        result = workspace.run("apply", "examples", *workspace.target(), "--auto-approve")
    store.close()
    assert result.code == 1
    assert "locked by pid" in result.err
    assert workspace.groups() == []
