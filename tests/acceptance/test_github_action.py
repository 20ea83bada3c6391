"""The GitHub Action (action.yml) as a workflow uses it: its steps run as a runner runs them
(tests/acceptance/action_runner.py) against the embedded emulator (SMARTLIVE_LOCAL=1), and what the
workflow gets is checked: annotations, outputs, the job summary, the plan's Markdown file, exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.acceptance.action_runner import run_action
from tests.acceptance.conftest import EXAMPLES, ROOT, SECRETS

BROKEN = ROOT / "tests" / "data" / "invalid" / "r008-layer-config-missing.yaml"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A checkout of a repository holding the example manifests under manifests/."""
    root = tmp_path / "workspace"
    shutil.copytree(EXAMPLES, root / "manifests", ignore=shutil.ignore_patterns("ci"))
    return root


def local(**extra: str) -> dict[str, str]:
    """The job's environment: the embedded emulator, and the secrets the example jobs reference."""
    return {"SMARTLIVE_LOCAL": "1", **SECRETS, **extra}


def test_validate_annotates_the_broken_line_and_fails_the_step(workspace: Path) -> None:
    (workspace / "manifests" / "broken").mkdir()
    shutil.copy(BROKEN, workspace / "manifests" / "broken" / "popup.yaml")

    run = run_action(workspace, {"command": "validate", "paths": "manifests/"})

    assert run.code == 1
    assert run.outputs == {"exit-code": "1"}
    assert run.annotations == [
        "::error file=manifests/broken/popup.yaml,line=15,col=23,title=smartlive R008::[R008] layer_type VIDEO "
        "needs video_config (at spec.interaction_rules[0].trigger.layer_config.layer_type)",
        "::warning file=manifests/broken/popup.yaml,line=16,col=11,title=smartlive R009::[R009] image_config "
        "is ignored on a layer of layer_type VIDEO (at spec.interaction_rules[0].trigger.layer_config.image_config)",
    ]
    assert "### smartlive validate\n\n❌ 1 error, 1 warning\n" in run.summary
    assert (
        "| `manifests/broken/popup.yaml:15:23` | error | R008 | layer_type VIDEO needs video_config"
        in run.summary
    )


def test_validate_of_clean_manifests_passes_quietly(workspace: Path) -> None:
    run = run_action(workspace, {"command": "validate", "paths": "manifests/"})

    assert (run.code, run.outputs, run.annotations) == (0, {"exit-code": "0"}, [])
    assert "✅ 0 errors, 0 warnings" in run.summary


def test_rule_tests_report_in_the_summary(workspace: Path) -> None:
    run = run_action(workspace, {"command": "test", "paths": "manifests/"})

    assert (run.code, run.outputs) == (0, {"exit-code": "0"})
    assert "### smartlive test\n\n✅ passed\n" in run.summary
    assert "ok    faq-answers-by-keyword (manifests/tests/faq.yaml:5)" in run.summary


def test_plan_then_apply_the_saved_plan_then_no_changes(workspace: Path) -> None:
    plan = run_action(workspace, {"command": "plan", "paths": "manifests/"}, local())

    assert plan.code == 0, plan.err  # changes are not a failure
    assert plan.outputs["exit-code"] == "2"
    assert plan.outputs["has-changes"] == "true"
    plan_file, markdown_file = Path(plan.outputs["plan-file"]), Path(plan.outputs["markdown-file"])
    assert plan_file.is_absolute() and plan_file.is_file()
    assert plan_file.parent == workspace.parent / "runner-temp"  # RUNNER_TEMP, not the checkout
    markdown = markdown_file.read_text(encoding="utf-8")
    assert "9 to create" in markdown and "<details>" in markdown
    assert "### smartlive plan\n\n" in plan.summary and markdown.strip() in plan.summary
    # No state input: the store is a file of this job's, and the workflow is told so.
    assert any(
        line.startswith("::warning title=smartlive action::no state input") for line in plan.out.splitlines()
    )

    apply = run_action(workspace, {"command": "apply", "plan-file": str(plan_file)}, local())

    assert apply.code == 0, apply.err
    assert apply.outputs == {"exit-code": "0", "plan-file": str(plan_file)}
    assert "✅ applied" in apply.summary and "Apply complete: 9 created" in apply.summary

    again = run_action(workspace, {"command": "plan", "paths": "manifests/"}, local())

    assert again.code == 0
    assert (again.outputs["exit-code"], again.outputs["has-changes"]) == ("0", "false")
    assert "No changes." in Path(again.outputs["markdown-file"]).read_text(encoding="utf-8")
    for run in (plan, apply, again):
        for secret in SECRETS.values():
            assert secret not in run.everything()


def test_apply_without_a_plan_file_plans_and_applies_the_paths(workspace: Path) -> None:
    apply = run_action(workspace, {"command": "apply", "paths": "manifests/", "stack": "shop"}, local())

    assert (apply.code, apply.outputs) == (0, {"exit-code": "0"}), apply.err
    assert "### smartlive apply (stack `shop`)" in apply.summary
    again = run_action(workspace, {"command": "plan", "paths": "manifests/", "stack": "shop"}, local())
    assert again.outputs["has-changes"] == "false"


def test_a_failed_plan_fails_the_step_and_says_why_in_the_comment_without_the_password(
    workspace: Path,
) -> None:
    password = "pg-pass-7d1e93"
    state = f"postgresql://smartlive:{password}@127.0.0.1:9/smartlive"  # nothing listens on port 9

    run = run_action(workspace, {"command": "plan", "paths": "manifests/", "state": state}, local())

    assert run.code == 1
    assert run.outputs["exit-code"] == "1"
    assert "has-changes" not in run.outputs and "plan-file" not in run.outputs
    markdown = Path(run.outputs["markdown-file"]).read_text(encoding="utf-8")
    assert markdown.startswith("**smartlive plan failed** (exit code 1).")
    assert "error:" in markdown
    # The runner hides the password from the log; nothing else the step wrote holds it.
    assert f"::add-mask::{password}" in run.out.splitlines()
    assert "no state input" not in run.out
    assert password not in run.everything().replace(f"::add-mask::{password}", "")


def test_a_usage_error_in_args_is_a_failure_not_changes(workspace: Path) -> None:
    # plan --detailed-exitcode exits 2 for "changes", and argparse 2 for a usage error.
    run = run_action(
        workspace, {"command": "plan", "paths": "manifests/", "args": "--no-such-option"}, local()
    )

    assert run.code == 2
    assert run.outputs["exit-code"] == "2"
    assert "has-changes" not in run.outputs
    assert "unrecognized arguments: --no-such-option" in run.err


def test_an_unknown_command_is_an_error_annotation(workspace: Path) -> None:
    run = run_action(workspace, {"command": "destroy"})

    assert run.code == 2
    assert run.out.splitlines() == [
        "::error title=smartlive action::command must be one of validate, test, plan, apply, not 'destroy'"
    ]


def test_the_environment_input_selects_the_project_file_s_environment(workspace: Path) -> None:
    """`environment: staging` is --env staging for every command: its variables reach the plan, and the
    summary and the comment name it."""
    (workspace / "manifests" / "smartlive.yaml").write_text(
        "apiVersion: smartlive/v1\nkind: Project\n"
        "variables:\n"
        "  push_host: push.live.example.com\n  mobile_push_host: push.mobile.example.com\n"
        "  hooks: https://hooks.example.com\n"
        "  landscape_stream_key: ${env:LANDSCAPE_STREAM_KEY}\n  portrait_stream_key: ${env:PORTRAIT_STREAM_KEY}\n"
        "environments:\n  staging:\n    local: true\n    variables: {push_host: push-staging.live.example.com}\n",
        encoding="utf-8",
    )
    inputs = {"paths": "manifests/", "environment": "staging"}
    validate = run_action(workspace, {"command": "validate", **inputs})
    assert validate.code == 0, validate.err
    assert "### smartlive validate (environment `staging`)" in validate.summary

    plan = run_action(workspace, {"command": "plan", **inputs}, {**SECRETS})
    assert plan.code == 0 and plan.outputs["has-changes"] == "true", plan.err
    markdown = Path(plan.outputs["markdown-file"]).read_text(encoding="utf-8")
    assert "· environment `staging` ·" in markdown.splitlines()[0]
    assert "rtmp://push-staging.live.example.com/live" in markdown
    assert "### smartlive plan (environment `staging`)" in plan.summary

    unknown = run_action(
        workspace, {"command": "plan", "paths": "manifests/", "environment": "prod"}, {**SECRETS}
    )
    assert unknown.code == 2
    assert (
        "--env prod: manifests/smartlive.yaml declares no such environment (declared: staging)" in unknown.err
    )
