"""`smartlive import ADDRESS REMOTE_ID`: adopt an existing rule group or running job into the state store."""

from __future__ import annotations

from typing import Any

from tests.acceptance.conftest import LANDSCAPE_ROOM_NAME, PROJECT, Workspace

GROUPS = f"/v1/{PROJECT}/smart-live-interaction-rule-groups"


def apply(ws: Workspace, *extra: str) -> int:
    return ws.run("apply", "examples", *ws.target(), "--auto-approve", *extra).code


def create_group(ws: Workspace, name: str, rules: list[dict[str, Any]] | None = None) -> str:
    with ws.signed() as client:
        response = client.post(GROUPS, json={"group_name": name, "interaction_rules": rules or []})
        response.raise_for_status()
        return str(response.json()["group_id"])


def test_import_a_group_made_by_hand_then_apply_updates_it_instead_of_creating_another(
    workspace: Workspace,
) -> None:
    group_id = create_group(workspace, "welcome")
    result = workspace.run("import", "InteractionRuleGroup/welcome", group_id, *workspace.target())
    assert result.code == 0, result.text
    assert f"Imported InteractionRuleGroup/welcome (group_id {group_id})" in result.out

    shown = workspace.run("state", "show", "InteractionRuleGroup/welcome", *workspace.target())
    assert f"remote_id:          {group_id}" in shown.out
    assert "fingerprint:        -" in shown.out  # smartlive applied nothing to it yet

    plan = workspace.run("plan", "examples", *workspace.target())
    assert "~ InteractionRuleGroup/welcome" in plan.out  # compared in full with its manifest
    assert apply(workspace) == 0
    assert [g["group_id"] for g in workspace.groups() if g["group_name"] == "welcome"] == [group_id]

    # Managed now: pruned once no manifest declares it (nor imports it into a room).
    (workspace.manifests / "rule-groups" / "welcome.yaml").unlink()
    assert workspace.drop_import("welcome") == ["evening-show", "flagship-store"]
    assert (
        "- InteractionRuleGroup/welcome"
        in workspace.run("plan", "examples", *workspace.target(), "--prune").out
    )


def test_imported_group_that_already_matches_is_recorded_for_the_read_cache(workspace: Workspace) -> None:
    assert apply(workspace) == 0
    group_id = next(g["group_id"] for g in workspace.groups() if g["group_name"] == "faq")
    assert workspace.run("state", "rm", "InteractionRuleGroup/faq", *workspace.target()).code == 0
    assert workspace.run("import", "InteractionRuleGroup/faq", group_id, *workspace.target()).code == 0

    workspace.api("POST", "/_emulator/stats/reset")
    result = workspace.run("apply", "examples", *workspace.target(), "--auto-approve")
    assert "Apply complete: 0 created, 0 updated, 0 restarted, 0 stopped or deleted." in result.out
    assert workspace.mutating_requests() == 0
    # That apply recorded the fingerprint and update_time: the next plan does not read the group again.
    workspace.api("POST", "/_emulator/stats/reset")
    assert workspace.run("plan", "examples", *workspace.target()).code == 0
    assert not any("{group_id}" in key for key in workspace.api("GET", "/_emulator/stats")["requests"])


def test_an_imported_job_is_compared_by_reading_it_back_and_its_secrets_may_change(
    workspace: Workspace,
) -> None:
    assert apply(workspace) == 0
    room_id = workspace.room_id(LANDSCAPE_ROOM_NAME)
    job_id = next(j["job_id"] for j in workspace.active_jobs() if j["room_id"] == room_id)
    assert workspace.run("state", "rm", "SmartLiveJob/store-landscape", *workspace.target()).code == 0

    result = workspace.run("import", "SmartLiveJob/store-landscape", job_id, *workspace.target())
    assert result.code == 0, result.text
    assert f"Imported SmartLiveJob/store-landscape (job_id {job_id} in room {room_id})" in result.out
    assert "'? may change' until apply next writes it" in result.out
    shown = workspace.run("state", "show", "SmartLiveJob/store-landscape", *workspace.target())
    assert f"room_id:            {room_id}" in shown.out
    assert "field_fingerprints: -" in shown.out

    plan = workspace.run("plan", "examples", *workspace.target(), "--verbose", "--detailed-exitcode")
    # No change is invented, and none hidden: its secrets could not be compared.
    assert plan.code == 2, plan.text
    assert "SmartLiveJob/store-landscape may differ: 2 declared fields could not be compared" in plan.out
    assert "? stream_keys: may change" in plan.out
    workspace.api("POST", "/_emulator/stats/reset")
    assert apply(workspace) == 0
    # Nothing was written: the job's configuration was only read back.
    assert workspace.mutating_requests() == 0
    assert set(workspace.api("GET", "/_emulator/stats")["commands"]) == {"GET_LIVE_JOB_CONFIG_INFO"}
    assert [j["job_id"] for j in workspace.active_jobs() if j["room_id"] == room_id] == [job_id]


def test_import_refuses_unknown_ids_kinds_names_and_ended_jobs(workspace: Workspace) -> None:
    target = workspace.target()
    unknown = workspace.run("import", "InteractionRuleGroup/welcome", "no-such-group", *target)
    assert unknown.code == 1 and "error: no rule group no-such-group in project acc-project" in unknown.err

    group_id = create_group(workspace, "greetings")
    misnamed = workspace.run("import", "InteractionRuleGroup/welcome", group_id, *target)
    assert misnamed.code == 1
    assert f"rule group {group_id} is named 'greetings', not 'welcome'" in misnamed.err
    assert "import it as InteractionRuleGroup/greetings" in misnamed.err

    kind = workspace.run("import", "RuleGroup/welcome", group_id, *target)
    assert kind.code == 1 and "is not an address smartlive can import" in kind.err

    no_job = workspace.run("import", "SmartLiveJob/store-landscape", "no-such-job", *target)
    assert no_job.code == 1 and "no running job no-such-job" in no_job.err

    assert apply(workspace) == 0
    room_id = workspace.room_id(LANDSCAPE_ROOM_NAME)
    job_id = next(j["job_id"] for j in workspace.active_jobs() if j["room_id"] == room_id)
    with workspace.signed() as client:
        client.post(
            f"/v1/{PROJECT}/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/stop"
        ).raise_for_status()
    ended = workspace.run("import", "SmartLiveJob/store-landscape", job_id, *target, "--force")
    assert ended.code == 1 and f"no running job {job_id}" in ended.err
    assert "Traceback" not in "\n".join(workspace.outputs)
    assert workspace.run("state", "list", *target).out.count("InteractionRuleGroup/") == 5


def test_import_of_an_address_already_managed_needs_force(workspace: Workspace) -> None:
    assert apply(workspace) == 0
    target = workspace.target()
    faq_id = next(g["group_id"] for g in workspace.groups() if g["group_name"] == "faq")
    again = workspace.run("import", "InteractionRuleGroup/faq", faq_id, *target)
    assert again.code == 0 and "already managed as group_id" in again.out and "nothing to do" in again.out

    # Someone deleted the group and made it again by hand: the record points at the old one.
    with workspace.signed() as client:
        client.delete(f"{GROUPS}/{faq_id}").raise_for_status()
    other_id = create_group(workspace, "faq")
    refused = workspace.run("import", "InteractionRuleGroup/faq", other_id, *target)
    assert refused.code == 1
    assert (
        f"InteractionRuleGroup/faq is already managed as InteractionRuleGroup group_id {faq_id}"
        in refused.err
    )
    assert "--force" in refused.err
    forced = workspace.run("import", "InteractionRuleGroup/faq", other_id, *target, "--force")
    assert forced.code == 0, forced.text
    assert (
        f"remote_id:          {other_id}"
        in workspace.run("state", "show", "InteractionRuleGroup/faq", *target).out
    )

    second = create_group(workspace, "faq")  # two groups of one name: plan could not tell them apart
    ambiguous = workspace.run("import", "InteractionRuleGroup/faq", second, *target, "--force")
    assert ambiguous.code == 1 and "2 rule groups are named 'faq'" in ambiguous.err

    room_id = workspace.room_id(LANDSCAPE_ROOM_NAME)
    job_id = next(j["job_id"] for j in workspace.active_jobs() if j["room_id"] == room_id)
    twice = workspace.run("import", "SmartLiveJob/another-name", job_id, *target)
    assert twice.code == 1
    assert f"SmartLiveJob {job_id} is already managed as SmartLiveJob/store-landscape" in twice.err


def test_import_waits_for_or_is_refused_by_a_running_apply(workspace: Workspace) -> None:
    from reconciler.cloud.config import Target
    from reconciler.state import LockHolder, open_store

    group_id = create_group(workspace, "welcome")
    store = open_store(None, workdir=workspace.root)
    key = Target(workspace.base_url, PROJECT, credentials=None).key  # type: ignore[arg-type]
    with store.lock(key, timeout=0, holder=LockHolder.current("apply")):
        result = workspace.run("import", "InteractionRuleGroup/welcome", group_id, *workspace.target())
    store.close()
    assert result.code == 1 and "locked by pid" in result.err
    listed = workspace.run("state", "list", *workspace.target())
    assert "No resources recorded" in listed.out
