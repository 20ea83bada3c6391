"""Environments (issue 14, item 4), through the CLI: one manifest set, a smartlive.yaml declaring staging
and prod, two emulators on loopback with two project ids and two key pairs. Each environment plans and
applies its own variables into its own emulator and keeps its own state store; what the project file gets
wrong is reported at FILE:LINE:COL; a saved plan applies in the environment it was made in only.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from reconciler.cloud.auth import SdkHmacAuth
from reconciler.cloud.config import Credentials
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import running_emulator
from tests.cli_runner import Result, run_cli


@dataclass(frozen=True)
class Place:
    """One environment's emulator and identity."""

    name: str
    url: str
    project: str
    ak: str
    sk: str

    def groups(self) -> dict[str, list[str]]:
        """group_name -> the reply texts of its rules, as this emulator holds them."""
        auth = SdkHmacAuth(Credentials(self.ak, self.sk), self.project)
        base = f"/v1/{self.project}/smart-live-interaction-rule-groups"
        with httpx.Client(base_url=self.url, auth=auth, timeout=10) as client:
            listed = client.get(base, params={"limit": 100}).json()["interaction_rule_groups"]
            out = {}
            for group in listed:
                shown = client.get(f"{base}/{group['group_id']}").json()
                out[group["group_name"]] = [
                    text for rule in shown["interaction_rules"] for text in rule["trigger"]["reply_texts"]
                ]
            return out


GROUP = """apiVersion: smartlive/v1
kind: InteractionRuleGroup
metadata:
  name: welcome
spec:
  interaction_rules:
    - rule_name: hello
      event_type: 2
      trigger:
        reply_mode: SYSTEM_REPLY
        reply_texts: ["${var:greeting}"]
"""

PROJECT_FILE = """apiVersion: smartlive/v1
kind: Project
stack: shop
paths: [manifests]
variables:
  greeting: hello from everywhere
environments:
  staging:
    endpoint: {staging.url}
    project_id: {staging.project}
    credentials: {{ak_env: STAGING_AK, sk_env: STAGING_SK}}
    state: .smartlive/staging.db
    variables:
      greeting: hello from staging
  prod:
    endpoint: {prod.url}
    project_id: {prod.project}
    credentials: {{ak_env: PROD_AK, sk_env: PROD_SK}}
    state: .smartlive/prod.db
    variables:
      greeting: hello from prod
"""


@dataclass
class Project:
    root: Path
    staging: Place
    prod: Place
    monkeypatch: pytest.MonkeyPatch

    @property
    def file(self) -> Path:
        return self.root / "smartlive.yaml"

    def run(self, *argv: str, cwd: Path | None = None) -> Result:
        return run_cli(*argv, cwd=cwd or self.root)

    def edit(self, old: str, new: str) -> None:
        text = self.file.read_text(encoding="utf-8")
        assert old in text, old
        self.file.write_text(text.replace(old, new, 1), encoding="utf-8")

    def line_of(self, text: str) -> int:
        lines = self.file.read_text(encoding="utf-8").splitlines()
        return next(number for number, line in enumerate(lines, 1) if text in line)

    def records(self, place: Place) -> list[tuple[str, str, str]]:
        """(target, address, stack) of every record in the environment's own state store."""
        with sqlite3.connect(self.root / ".smartlive" / f"{place.name}.db") as conn:
            return conn.execute("SELECT target, address, stack FROM resources ORDER BY address").fetchall()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    for name in (
        "SMARTLIVE_ENV",
        "SMARTLIVE_STATE",
        "SMARTLIVE_LOCAL",
        "SMARTLIVE_STACK",
        "SMARTLIVE_ENDPOINT",
    ):
        monkeypatch.delenv(name, raising=False)
    for name in (
        "HUAWEICLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_SK",
        "HUAWEICLOUD_SDK_PROJECT_ID",
        "SMARTLIVE_AUTH_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no stray ~/.huaweicloud/credentials
    monkeypatch.setenv("NO_COLOR", "1")
    secrets = {
        "STAGING_AK": "stg-ak",
        "STAGING_SK": "stg-sk-secret",
        "PROD_AK": "prd-ak",
        "PROD_SK": "prd-sk-secret",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    staging_config = EmulatorConfig(
        ak="stg-ak", sk="stg-sk-secret", project_id="proj-staging", rate_limits={}
    )
    prod_config = EmulatorConfig(ak="prd-ak", sk="prd-sk-secret", project_id="proj-prod", rate_limits={})
    with running_emulator(staging_config) as staging_url, running_emulator(prod_config) as prod_url:
        staging = Place("staging", staging_url, "proj-staging", "stg-ak", "stg-sk-secret")
        prod = Place("prod", prod_url, "proj-prod", "prd-ak", "prd-sk-secret")
        (tmp_path / "manifests").mkdir()
        (tmp_path / "manifests" / "welcome.yaml").write_text(GROUP, encoding="utf-8")
        (tmp_path / "smartlive.yaml").write_text(
            PROJECT_FILE.format(staging=staging, prod=prod), encoding="utf-8"
        )
        yield Project(tmp_path, staging, prod, monkeypatch)


def test_each_environment_plans_and_applies_its_own_variables_into_its_own_target_and_state(
    project: Project,
) -> None:
    staging = project.run("plan", "--env", "staging")
    assert staging.code == 0, staging.text
    assert staging.out.startswith("Environment: staging\n")
    assert '"hello from staging"' in staging.out and "hello from prod" not in staging.out
    prod = project.run("plan", "--env", "prod")
    assert prod.code == 0, prod.text
    assert prod.out.startswith("Environment: prod\n") and '"hello from prod"' in prod.out

    assert project.run("apply", "--env", "staging", "--auto-approve").code == 0
    project.monkeypatch.setenv("SMARTLIVE_ENV", "prod")  # the variable selects as --env does
    applied = project.run("apply", "--auto-approve")
    assert applied.code == 0, applied.text
    assert applied.out.startswith("Environment: prod\n")

    assert project.staging.groups() == {"welcome": ["hello from staging"]}
    assert project.prod.groups() == {"welcome": ["hello from prod"]}
    # Each environment's own store, holding its own target's record, under the project's stack.
    assert project.records(project.staging) == [
        (f"{project.staging.url}|proj-staging", "InteractionRuleGroup/welcome", "shop")
    ]
    assert project.records(project.prod) == [
        (f"{project.prod.url}|proj-prod", "InteractionRuleGroup/welcome", "shop")
    ]
    assert not (project.root / ".smartlive" / "state.db").exists()

    # From a subdirectory, with no PATH: the project file is found upwards, its paths are used.
    project.monkeypatch.delenv("SMARTLIVE_ENV")
    for name in ("staging", "prod"):
        again = project.run("plan", "--env", name, "--detailed-exitcode", cwd=project.root / "manifests")
        assert again.code == 0 and "No changes" in again.out, again.text


def test_an_environment_names_itself_in_json_and_markdown_plans(project: Project) -> None:
    as_json = project.run("plan", "--env", "prod", "--format", "json")
    assert as_json.code == 0, as_json.text
    assert json.loads(as_json.out)["environment"] == "prod"
    markdown = project.run("plan", "--env", "prod", "--format", "markdown")
    first = markdown.out.splitlines()[0]
    assert first.startswith("### smartlive plan · stack `shop` · environment `prod` · target "), first
    # No environment selected (no --env, no default_environment): none is named, the target is the
    # command line's, and ${var:} takes the project's own variables (the base); a name the base lacks is
    # an error naming the environments to choose from.
    project.monkeypatch.setenv("HUAWEICLOUD_SDK_AK", project.staging.ak)
    project.monkeypatch.setenv("HUAWEICLOUD_SDK_SK", project.staging.sk)
    target = ("--endpoint", project.staging.url, "--project-id", project.staging.project)
    based = project.run("plan", *target, "--format", "json")
    assert based.code == 0, based.text
    assert '"hello from everywhere"' in based.out
    (project.root / "manifests" / "welcome.yaml").write_text(
        GROUP.replace("${var:greeting}", "${var:farewell}"), encoding="utf-8"
    )
    unselected = project.run("plan", *target)
    assert unselected.code == 1 and "select an environment that defines it with --env NAME" in unselected.err
    (project.root / "manifests" / "welcome.yaml").write_text(
        GROUP.replace("${var:greeting}", "hi"), encoding="utf-8"
    )
    plain = project.run("plan", *target, "--format", "json")
    assert plain.code == 0, plain.text
    assert "environment" not in json.loads(plain.out)
    assert not project.run("plan", *target).out.startswith("Environment:")
    # The project's shared variables are the base an environment's own override.
    project.edit("      greeting: hello from prod", "      other: unused")
    (project.root / "manifests" / "welcome.yaml").write_text(GROUP, encoding="utf-8")
    assert '"hello from everywhere"' in project.run("plan", "--env", "prod").out


def test_the_project_file_is_found_from_the_manifests_root_and_its_paths_are_its_own(
    project: Project, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    manifests = str(project.root / "manifests")
    applied = project.run("apply", manifests, "--env", "prod", "--auto-approve", cwd=elsewhere)
    assert applied.code == 0, applied.text
    assert project.prod.groups() == {"welcome": ["hello from prod"]}
    # The environment's state path is relative to smartlive.yaml, not to the working directory.
    assert len(project.records(project.prod)) == 1
    assert not (elsewhere / ".smartlive" / "prod.db").exists()


def test_an_unknown_environment_is_one_usage_line_listing_the_declared_ones(project: Project) -> None:
    for argv, env in ((("plan", "--env", "prd"), None), (("validate",), "prd"), (("ls", "groups"), "prd")):
        if env is not None:
            project.monkeypatch.setenv("SMARTLIVE_ENV", env)
        result = project.run(*argv)
        how = "--env" if env is None else "SMARTLIVE_ENV"
        assert (result.code, result.err) == (
            2,
            f"error: {how} prd: smartlive.yaml declares no such environment (declared: staging, prod)\n",
        ), result.text


def test_the_project_file_never_holds_credentials(project: Project) -> None:
    project.edit(
        "    state: .smartlive/prod.db\n", "    state: .smartlive/prod.db\n    secret_key: prd-sk-secret\n"
    )
    line = project.line_of("secret_key")
    validated = project.run("validate", "--env", "staging")
    assert validated.code == 1
    expected = (
        f"smartlive.yaml:{line}:5: error[M008]: credentials never live in smartlive.yaml: keep them in "
        "environment variables and name those here, under credentials: with ak_env and sk_env (or token_env) "
        "(at environments.prod.secret_key)"
    )
    assert validated.out.splitlines()[0] == expected
    planned = project.run("plan", "--env", "staging")
    assert planned.code == 1 and expected in planned.err.splitlines()
    assert "prd-sk-secret" not in planned.text + validated.text  # the value itself is never shown


def test_a_state_url_with_a_password_is_refused(project: Project) -> None:
    project.edit(".smartlive/prod.db", "postgresql://ci:pw@db/smartlive")
    result = project.run("validate")
    assert result.code == 1
    line = project.line_of("postgresql://")
    assert result.out.startswith(
        f"smartlive.yaml:{line}:12: error[M007]: credentials never live in smartlive.yaml"
    )


def test_project_file_errors_are_reported_at_file_line_col(project: Project) -> None:
    project.edit("environments:", "enviroments:")
    project.edit("paths: [manifests]", "paths: manifests")
    result = project.run("validate", "--format", "json")
    assert result.code == 1
    found = [(d["line"], d["column"], d["code"], d["message"]) for d in json.loads(result.out)]
    assert found == [
        (4, 8, "M006", "Input should be a valid list"),
        (
            project.line_of("enviroments"),
            1,
            "M004",
            "unknown field 'enviroments' (did you mean 'environments'?)",
        ),
    ]
    planned = project.run("plan", "--env", "staging")
    assert planned.code == 1
    assert planned.err.splitlines()[1:] == [
        "smartlive.yaml:4:8: error[M006]: Input should be a valid list (at paths)",
        f"smartlive.yaml:{project.line_of('enviroments')}:1: error[M004]: unknown field 'enviroments' "
        "(did you mean 'environments'?) (at enviroments)",
    ]


def test_a_variable_of_the_wrong_type_and_a_bad_default_environment(project: Project) -> None:
    project.edit("      greeting: hello from prod", "      greeting: [hello]")
    result = project.run("validate")
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"smartlive.yaml:{project.line_of('[hello]')}:7: error[M006]: Input should be a valid string, a valid "
        "integer, a valid number or a valid boolean (at environments.prod.variables.greeting)"
    )
    project.edit("      greeting: [hello]", "      greeting: hello from prod")
    project.edit("stack: shop", "stack: shop\ndefault_environment: production")
    result = project.run("validate")
    assert (result.code, result.out.splitlines()[0]) == (
        1,
        "smartlive.yaml:4:22: error[M007]: default_environment 'production' is not declared under environments "
        "(declared: staging, prod) (at default_environment)",
    )


def test_explicit_flags_win_over_the_environment_which_wins_over_the_variables(project: Project) -> None:
    # SMARTLIVE_ENDPOINT and HUAWEICLOUD_SDK_PROJECT_ID say otherwise: the environment's target is used.
    project.monkeypatch.setenv("SMARTLIVE_ENDPOINT", "http://127.0.0.1:9")
    project.monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "someone-else")
    project.monkeypatch.setenv("SMARTLIVE_STATE", str(project.root / "shared.db"))
    assert project.run("apply", "--env", "staging", "--auto-approve").code == 0
    assert project.staging.groups() == {"welcome": ["hello from staging"]}
    assert len(project.records(project.staging)) == 1 and not (project.root / "shared.db").exists()
    # --endpoint and --project-id win over the environment's (here: prod's emulator, staging's variables
    # and credentials, which prod's emulator refuses).
    crossed = project.run(
        "plan", "--env", "staging", "--endpoint", project.prod.url, "--project-id", project.prod.project
    )
    assert crossed.code == 1 and "401" in crossed.err, crossed.text
    # The environment's credential variables are the only ones read: unset, they are named.
    project.monkeypatch.delenv("STAGING_SK")
    project.monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "stg-ak")
    project.monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "stg-sk-secret")
    missing = project.run("plan", "--env", "staging")
    assert missing.error_lines == [
        "error: environment 'staging' of smartlive.yaml reads its credentials from STAGING_AK and STAGING_SK, "
        "but STAGING_SK is not set"
    ]
    # --state wins over the environment's store.
    project.monkeypatch.setenv("STAGING_SK", "stg-sk-secret")
    fresh = project.run("plan", "--env", "staging", "--state", str(project.root / "other.db"))
    assert fresh.code == 0 and "1 to import" in fresh.out, fresh.text  # another store: nothing recorded there


def test_a_saved_plan_applies_in_its_own_environment_only(project: Project) -> None:
    saved = project.run("plan", "--env", "staging", "--out", "plan.out")
    assert saved.code == 0, saved.text
    assert "apply it with: smartlive apply plan.out\n" in saved.err
    assert json.loads((project.root / "plan.out").read_text(encoding="utf-8"))["environment"] == "staging"
    refused = project.run("apply", "plan.out", "--env", "prod")
    assert (refused.code, refused.err) == (
        1,
        'error: the saved plan was made in environment "staging", not "prod" (--env): apply it without '
        "--env, or plan again with --env prod\n",
    )
    project.monkeypatch.setenv("SMARTLIVE_ENV", "prod")
    assert 'not "prod" (SMARTLIVE_ENV)' in project.run("apply", "plan.out").err
    assert project.prod.groups() == {} and project.staging.groups() == {}
    project.monkeypatch.delenv("SMARTLIVE_ENV")
    applied = project.run("apply", "plan.out")  # its environment: staging's target, store and variables
    assert applied.code == 0, applied.text
    assert project.staging.groups() == {"welcome": ["hello from staging"]} and project.prod.groups() == {}
    assert [address for _t, address, _s in project.records(project.staging)] == [
        "InteractionRuleGroup/welcome"
    ]


def test_a_default_environment_is_selected_when_none_is_named(project: Project) -> None:
    project.edit("stack: shop", "stack: shop\ndefault_environment: prod")
    result = project.run("plan")
    assert result.code == 0 and result.out.startswith("Environment: prod\n"), result.text


def test_the_project_file_is_no_manifest_of_a_walked_directory(project: Project) -> None:
    result = project.run("validate", ".", "--env", "staging")
    assert (result.code, result.out) == (0, "1 file, 1 resource: 0 errors, 0 warnings\n")
    # Named on its own, it is checked as the project file it is.
    assert project.run("validate", "smartlive.yaml").out == "0 files, 0 resources: 0 errors, 0 warnings\n"
    project.edit("stack: shop", "stack: shop\nstak: shop")
    named = project.run("validate", "smartlive.yaml")
    assert named.code == 1 and named.out.startswith("smartlive.yaml:4:1: error[M004]: unknown field 'stak'")


def test_ls_and_state_take_the_environment(project: Project) -> None:
    assert project.run("apply", "--env", "prod", "--auto-approve").code == 0
    listed = project.run("ls", "groups", "--env", "prod")
    assert listed.code == 0 and "welcome" in listed.out and "shop" in listed.out, listed.text
    assert "welcome" not in project.run("ls", "groups", "--env", "staging").out
    state = project.run("state", "list", "--env", "prod")
    assert state.code == 0 and "InteractionRuleGroup/welcome" in state.out, state.text
    assert "InteractionRuleGroup/welcome" not in project.run("state", "list", "--env", "staging").out


# ${var:NAME} substitution is the loader's (reconciler/manifest/); these tests see it through the CLI.
#: What the undefined-variable message says the environment does define (the project's shared variable).
DEFINED = "(it defines: greeting)"


def test_an_undefined_variable_fails_validate_at_its_position(project: Project) -> None:
    manifest = project.root / "manifests" / "welcome.yaml"
    manifest.write_text(GROUP.replace("${var:greeting}", "${var:farewell}"), encoding="utf-8")
    result = project.run("validate", "--env", "staging")
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        "manifests/welcome.yaml:11:23: error[M013]: variable 'farewell' is not defined in environment 'staging' "
        f"of smartlive.yaml {DEFINED} (at spec.interaction_rules[0].trigger.reply_texts[0])"
    )
    planned = project.run("plan", "--env", "staging")
    assert planned.code == 1 and planned.err.splitlines()[1] == result.out.splitlines()[0]
    assert "run `smartlive validate --env staging` for all of them" in planned.err.splitlines()[0]
    assert project.staging.groups() == {}


def test_a_project_file_that_is_no_regular_file_is_reported_not_passed_over(tmp_path: Path) -> None:
    """A FIFO named smartlive.yaml would hang a read, and passing it over would take a file further up
    (another project's) for this one's: it is one Y001 line."""
    (tmp_path / "outer").mkdir()
    (tmp_path / "outer" / "smartlive.yaml").write_text(
        "apiVersion: smartlive/v1\nkind: Project\nenvironments:\n  other: {local: true}\n", encoding="utf-8"
    )
    inner = tmp_path / "outer" / "inner"
    inner.mkdir()
    (inner / "welcome.yaml").write_text(GROUP.replace("${var:greeting}", "hi"), encoding="utf-8")
    os.mkfifo(inner / "smartlive.yaml")
    result = run_cli("validate", str(inner))
    assert result.code == 1, result.text
    assert (
        "smartlive.yaml:1:1: error[Y001]: the project file is not a regular file (a named pipe)" in result.out
    )


def test_all_envs_checks_every_environment_and_names_those_a_problem_is_found_in(project: Project) -> None:
    project.edit(
        "      greeting: hello from staging", "      greeting: hello from staging\n      farewell: bye"
    )
    manifest = project.root / "manifests" / "welcome.yaml"
    manifest.write_text(GROUP.replace("${var:greeting}", "${var:farewell}"), encoding="utf-8")
    assert project.run("validate", "--env", "staging").code == 0
    result = project.run("validate", "--all-envs")
    assert result.code == 1
    assert result.out.splitlines() == [
        "manifests/welcome.yaml:11:23: error[M013]: [prod] variable 'farewell' is not defined in environment "
        f"'prod' of smartlive.yaml {DEFINED} (at spec.interaction_rules[0].trigger.reply_texts[0])",
        "1 file, 1 resource: 1 error, 0 warnings",
    ]
    # Undefined in both: each environment's own line (the messages name it), each prefixed.
    project.edit("      farewell: bye\n", "")
    everywhere = project.run("validate", "--all-envs")
    assert everywhere.code == 1
    assert [line.split(": ")[2][:9] for line in everywhere.out.splitlines()[:-1]] == [
        "[staging]",
        "[prod] va",
    ]
    # A problem every environment has alike is reported once, with no environment named.
    manifest.write_text(
        GROUP.replace("reply_mode: SYSTEM_REPLY", "reply_mode: SYSTEM_REPLAY"), encoding="utf-8"
    )
    alike = project.run("validate", "--all-envs")
    assert alike.code == 1 and len(alike.out.splitlines()) == 2, alike.out
    assert alike.out.startswith("manifests/welcome.yaml:10:21: error[M007]: Input should be ")
    both = project.run("validate", "--all-envs", "--env", "prod")
    assert both.code == 2 and "does not go with --env" in both.err
