"""`${var:NAME}` in manifests (reconciler/manifest/substitution.py), as the loader reports and loads it:
values with their types, undefined or malformed references at their positions, secret references
refused outside secret fields, `$${` for a literal `${`, and the parse cache keyed by the variables.
The environment is what the project file selects (docs/environments.md); here it is given directly.
Without a project file, through the real CLI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.manifest import load_manifests
from reconciler.manifest.loader import check_manifests
from reconciler.manifest.variables import Variables
from tests.cli_runner import run_cli

GROUP = """\
apiVersion: smartlive/v1
kind: InteractionRuleGroup
metadata:
  name: ${var:prefix}-welcome
  labels:
    tier: "${var:tier}"
spec:
  interaction_rules:
    - rule_name: hello
      event_type: 1
      hit_condition:
        relation: OR
        priority: ${var:priority}
        tags:
          - {tag: content, operation: NONE, match: REGEX, value: "(hi|hello)"}
      trigger:
        reply_mode: SYSTEM_REPLY
        reply_texts: ["welcome to ${var:shop}! today $${price} is ${var:price}"]
"""

STAGING = Variables(
    "staging",
    {"prefix": "stg", "tier": "gold", "priority": 120, "shop": "the staging store", "price": 9.5},
    ("staging", "prod"),
)


def write(tmp_path: Path, text: str, name: str = "group.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def loaded_spec(tmp_path: Path, variables: Variables | None, text: str = GROUP) -> Any:
    result = load_manifests([write(tmp_path, text)], variables=variables)
    assert result.ok, [str(d) for d in result.diagnostics]
    (resource,) = result.resources
    return resource


def test_each_reference_takes_the_value_and_a_whole_one_its_type(tmp_path: Path) -> None:
    resource = loaded_spec(tmp_path, STAGING)
    assert resource.name == "stg-welcome"
    assert resource.labels == {"tier": "gold"}
    rule = resource.spec.interaction_rules[0]
    assert rule.hit_condition.priority == 120  # an int, as the model requires (strict)
    assert rule.trigger.reply_texts == ["welcome to the staging store! today ${price} is 9.5"]


def test_another_environment_gives_other_values(tmp_path: Path) -> None:
    prod = Variables("prod", {**STAGING.values, "prefix": "prd", "priority": 300}, ("staging", "prod"))
    resource = loaded_spec(tmp_path, prod)
    assert resource.name == "prd-welcome"
    assert resource.spec.interaction_rules[0].hit_condition.priority == 300


def diagnostics(paths: list[Path], variables: Variables | None) -> list[str]:
    """Both entry points report the same, as `FILE:LINE:COL: error[CODE]: ...` lines."""
    loaded = [str(d) for d in load_manifests(paths, variables=variables).diagnostics]
    checked = [str(d) for d in check_manifests(paths, variables=variables).diagnostics]
    assert loaded == checked
    return loaded


def test_an_undefined_variable_is_reported_at_its_position_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, GROUP)
    values = {name: value for name, value in STAGING.values.items() if name != "priority"}
    variables = Variables("staging", {**values, "priorty": 1}, ("staging", "prod"))
    lines = diagnostics([path], variables)
    assert lines == [
        f"{path}:13:19: error[M013]: variable 'priority' is not defined in environment 'staging' of "
        "smartlive.yaml (did you mean 'priorty'?) (at spec.interaction_rules[0].hit_condition.priority)"
    ]  # and no type error for the text left in place of the int


def test_with_no_environment_selected_the_project_s_own_variables_apply(tmp_path: Path) -> None:
    """The base, as a kustomize base built alone; a name it lacks names the environments to select."""
    path = write(tmp_path, GROUP)
    base = {name: value for name, value in STAGING.values.items() if name != "prefix"}
    lines = diagnostics([path], Variables(None, base, ("staging", "prod")))
    assert lines == [
        f"{path}:4:9: error[M013]: ${{var:prefix}} is not among the project's own variables: select an "
        "environment that defines it with --env NAME or SMARTLIVE_ENV (smartlive.yaml declares: staging, prod) "
        "(at metadata.name)"
    ]
    resource = loaded_spec(tmp_path, Variables(None, {**base, "prefix": "base"}, ("staging", "prod")))
    assert resource.name == "base-welcome"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${var:bad name}", "malformed variable reference"),
        ("open ${var:", "malformed variable reference"),
    ],
)
def test_a_malformed_reference_is_an_error_never_kept_literally(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, GROUP.replace("(hi|hello)", text))
    lines = diagnostics([path], STAGING)
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}:15:66:") and "error[M013]" in lines[0] and message in lines[0]
    assert lines[0].endswith("(at spec.interaction_rules[0].hit_condition.tags[0].value)")


def test_a_variable_in_a_key_is_reported_at_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, GROUP.replace('tier: "${var:tier}"', 'tier-${var:tier}: "x"'))
    lines = diagnostics([path], STAGING)
    assert lines == [
        f"{path}:6:5: error[M013]: variables are not substituted in keys: only in values "
        '(at metadata.labels["tier-${var:tier}"])'
    ]


def test_a_secret_reference_outside_a_secret_field_is_an_error(tmp_path: Path) -> None:
    text = GROUP.replace("${var:prefix}-welcome", "${env:GROUP_PREFIX}-welcome")
    path = write(tmp_path, text)
    lines = diagnostics([path], STAGING)
    assert len(lines) == 1
    assert lines[0].startswith(
        f"{path}:4:9: error[M014]: ${{env:...}} and ${{file:...}} are secret references"
    )
    assert lines[0].endswith("(at metadata.name)")


def test_a_variable_whose_value_is_a_secret_reference_is_taken_by_a_secret_field_only(tmp_path: Path) -> None:
    job = """\
apiVersion: smartlive/v1
kind: SmartLiveJob
metadata:
  name: evening
spec:
  room_id: a3e9d0c4-2b7f-4f61-8c15-6e2d9b4a7c02
  video_config: {width: 1080, height: 1920, bitrate: 4000}
  output_urls: ["${var:push_url}"]
  stream_keys: ["${var:stream_key}"]
"""
    variables = Variables(
        "prod", {"stream_key": "${env:PROD_STREAM_KEY}", "push_url": "rtmp://push.example.com/live"}
    )
    resource = loaded_spec(tmp_path, variables, job)
    assert [str(key) for key in resource.spec.stream_keys] == ["${env:PROD_STREAM_KEY}"]
    path = tmp_path / "group.yaml"
    wrong = Variables("prod", {"stream_key": "${env:PROD_STREAM_KEY}", "push_url": "${env:PUSH_URL}"})
    misplaced = [line for line in diagnostics([path], wrong) if "error[M014]" in line]
    assert len(misplaced) == 1 and misplaced[0].endswith("(at spec.output_urls[0])")


def test_without_a_project_file_validate_says_what_a_variable_needs(tmp_path: Path) -> None:
    write(tmp_path, GROUP)
    result = run_cli("validate", str(tmp_path))
    assert result.code == 1, result.text
    assert (
        "error[M013]: ${var:prefix} needs a project file: declare environments and their variables in "
        in result.out
    )
    assert "smartlive.yaml" in result.out


def test_validate_refuses_a_secret_reference_kept_literally_in_a_name(tmp_path: Path) -> None:
    """Before environments, `${env:...}` outside a secret field was kept as text (a group named
    `${env:GROUP_PREFIX}-welcome`); validate now fails it, and `$${` is the way to mean the text."""
    write(tmp_path, GROUP.replace("${var:", "${env:").replace("${env:priority}", "5"))
    result = run_cli("validate", str(tmp_path))
    assert result.code == 1, result.text
    assert result.out.count("error[M014]") == 3  # the name, the label, the reply text (one per string)


def test_a_whole_reference_to_a_boolean_is_a_boolean(tmp_path: Path) -> None:
    """Typed, as Terraform's "${var.x}": a label (text) given a boolean is a type error, not "true"."""
    path = write(tmp_path, GROUP)
    lines = diagnostics([path], Variables("staging", {**STAGING.values, "tier": True}))
    assert len(lines) == 1 and "error[M006]" in lines[0] and lines[0].endswith("(at metadata.labels.tier)")


def test_the_parse_cache_keeps_an_outcome_per_environment_for_a_file_that_names_a_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warm load under another environment never reuses the outcome checked under the first; a file
    that names no variable is taken from the cache whatever the environment."""
    from reconciler.manifest import loader

    write(tmp_path, GROUP, "group.yaml")
    plain = GROUP.replace("${var:prefix}-welcome", "plain").replace("${var:priority}", "5")
    write(tmp_path, re.sub(r"\$\{var:\w+\}", "text", plain), "plain.yaml")
    cache = tmp_path / ".cache"
    checked: list[str] = []
    process = loader._process

    def counting(file: str, *args: Any, **kwargs: Any) -> Any:
        checked.append(Path(file).name)
        return process(file, *args, **kwargs)

    monkeypatch.setattr(loader, "_process", counting)
    prod = Variables("prod", {**STAGING.values, "prefix": "prd"}, ("staging", "prod"))
    names = []
    for variables in (STAGING, prod, STAGING, prod):
        result = load_manifests(
            [tmp_path / "group.yaml", tmp_path / "plain.yaml"], cache_dir=cache, variables=variables
        )
        assert result.ok, [str(d) for d in result.diagnostics]
        names.append(sorted(r.name for r in result.resources))
    assert names == [["plain", "stg-welcome"], ["plain", "prd-welcome"]] * 2
    # The first load checks both; each switch checks the file with variables again (the cache keeps
    # the last run's entries), never the plain one.
    assert checked == ["group.yaml", "plain.yaml", "group.yaml", "group.yaml", "group.yaml"]
