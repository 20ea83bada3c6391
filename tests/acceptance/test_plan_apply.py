"""plan and apply, end to end: the real CLI against the emulator over a socket, as a pipeline runs them."""

from __future__ import annotations

import json

from tests.acceptance.conftest import LANDSCAPE_ROOM, PORTRAIT_ROOM, SECRETS, Workspace


def apply(ws: Workspace, *extra: str) -> int:
    return ws.run("apply", "examples", *ws.target(), "--auto-approve", *extra).code


def test_new_manifest_set_plans_creates_and_starts(workspace: Workspace) -> None:
    result = workspace.run("plan", "examples", *workspace.target(), "--detailed-exitcode")
    assert result.code == 2, result.text
    assert "+ InteractionRuleGroup/welcome" in result.out
    assert f"+ SmartLiveJob/store-landscape (room {LANDSCAPE_ROOM})" in result.out
    assert result.out.rstrip().endswith("Plan: 7 to create, 0 to update, 0 to restart, 0 to stop or delete.")


def test_apply_converges_and_then_plans_no_changes(workspace: Workspace) -> None:
    assert apply(workspace) == 0
    names = sorted(g["group_name"] for g in workspace.groups())
    assert names == ["faq", "gift-thanks", "like-milestones", "product-popup", "welcome"]
    assert sorted(j["room_id"] for j in workspace.active_jobs()) == sorted([LANDSCAPE_ROOM, PORTRAIT_ROOM])

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
    assert [(c["address"], c["actions"]) for c in changed] == [("InteractionRuleGroup/welcome", ["update"])]
    assert changed[0]["changes"] == [
        {
            "path": "interaction_rules[welcome-vip].hit_condition.priority",
            "before": 100,
            "after": 90,
            "forces_restart": False,
        }
    ]
    assert apply(workspace) == 0
    assert workspace.run("plan", "examples", *workspace.target(), "--detailed-exitcode").code == 0


def test_running_job_config_change_needs_permission_to_restart(workspace: Workspace) -> None:
    assert apply(workspace) == 0
    before = {j["room_id"]: j["job_id"] for j in workspace.active_jobs()}
    workspace.edit("jobs/store-landscape.yaml", "bitrate: 4000", "bitrate: 5000")
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
    assert after[LANDSCAPE_ROOM] != before[LANDSCAPE_ROOM]
    assert after[PORTRAIT_ROOM] == before[PORTRAIT_ROOM]
    stored = workspace.api("GET", f"/_emulator/jobs/{after[LANDSCAPE_ROOM]}")
    assert stored["request"]["video_config"]["bitrate"] == 5000


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
    assert [j["room_id"] for j in workspace.active_jobs()] == [LANDSCAPE_ROOM]


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
    (workspace.manifests / "rule-groups" / "faq.yaml").unlink()
    plan = workspace.run("plan", "examples", *workspace.target(), "--prune")
    assert "- InteractionRuleGroup/faq" in plan.out
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
    workspace.edit("jobs/store-landscape.yaml", "bitrate: 4000", "bitrate: 4500")
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
