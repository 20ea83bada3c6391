"""load_manifests: the public interface plan/apply build on."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from reconciler.api.models import InteractionRuleInfo, VideoConfig
from reconciler.kinds.live_job import LiveJobManifest
from reconciler.kinds.rule_group import RuleGroupManifest
from reconciler.manifest import (
    API_VERSION,
    CODES,
    Diagnostic,
    LoadResult,
    Manifest,
    SourceLocation,
    check_manifests,
    load_manifests,
    parallel,
    registry,
)
from reconciler.manifest.diagnostics import Finding
from tests.example_project import examples_variables

REPO = Path(__file__).resolve().parents[2]

GROUP = """\
apiVersion: smartlive/v1
kind: InteractionRuleGroup
metadata:
  name: {name}
  labels: {{team: ops}}
spec:
  interaction_rules:
    - rule_name: hello
      event_type: 2
      trigger:
        reply_mode: SYSTEM_REPLY
        reply_texts: ["hi"]
"""

JOB = """\
apiVersion: smartlive/v1
kind: SmartLiveJob
metadata:
  name: {name}
  annotations: {{smartlive.io/allow-restart: "true"}}
spec:
  room_id: {room}
  video_config: {{width: 1080, height: 1920, bitrate: 4000}}
  output_urls: [rtmp://push.example.com/live]
  stream_keys: ["${{env:STREAM_KEY}}"]
"""


def write(directory: Path, name: str, text: str | bytes) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def lines(result: LoadResult) -> list[str]:
    return [str(d) for d in result.diagnostics]


def test_typed_resources_with_sources(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GROUP.format(name="welcome") + "---\n" + JOB.format(name="evening", room="r-1"))
    result = load_manifests([tmp_path])
    assert result.ok and result.diagnostics == [] and result.files == 1
    (group,) = result.of_kind(RuleGroupManifest)
    (job,) = result.of_kind(LiveJobManifest)
    assert isinstance(group, RuleGroupManifest) and isinstance(job, LiveJobManifest)
    assert group.name == group.group_name == "welcome"
    assert group.labels == {"team": "ops"} and group.annotations == {}
    assert isinstance(group.interaction_rules[0], InteractionRuleInfo)
    assert group.to_request().group_name == "welcome"
    assert group.source == SourceLocation(str(tmp_path / "a.yaml"), 0, 1)
    assert job.source.document == 1 and job.source.line == 14
    assert job.room_id == "r-1" and job.state == "running" and job.allow_restart
    assert isinstance(job.spec.video_config, VideoConfig)
    assert result.of_kind("SmartLiveJob") == [job]
    assert result.resources == [group, job]


def test_directories_are_walked_sorted_recursively_skipping_hidden(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", GROUP.format(name="b"))
    write(tmp_path, "a/z.yml", GROUP.format(name="z"))
    write(tmp_path, "a/c.yaml", GROUP.format(name="c"))
    write(tmp_path, ".hidden/x.yaml", "not: [valid")
    write(tmp_path, "notes.txt", "not yaml")
    explicit = write(tmp_path, "extra.manifest", GROUP.format(name="extra"))
    result = load_manifests([tmp_path, explicit, tmp_path / "b.yaml"])  # b.yaml only once
    assert result.ok, lines(result)
    assert [g.name for g in result.of_kind(RuleGroupManifest)] == ["c", "z", "b", "extra"]
    assert result.files == 4


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = load_manifests([tmp_path / "nope.yaml", tmp_path / "empty"])
    assert lines(result) == [
        f"{tmp_path / 'nope.yaml'}:1:1: error[Y001]: no such file or directory",
        f"{tmp_path / 'empty'}:1:1: error[Y009]: no .yaml or .yml file in this directory",
    ]


def test_file_over_10_mib_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with open(big, "wb") as stream:
        stream.truncate(10 * 1024 * 1024 + 1)  # sparse: nothing is written, nothing must be read
    result = load_manifests([big])
    assert lines(result) == [f"{big}:1:1: error[Y002]: file is larger than 10 MiB; not read"]


def test_empty_files_and_documents_are_warnings(tmp_path: Path) -> None:
    write(tmp_path, "empty.yaml", "# nothing yet\n")
    write(tmp_path, "docs.yaml", "---\n" + GROUP.format(name="g") + "---\n")
    result = load_manifests([tmp_path])
    assert result.ok
    assert lines(result) == [
        f"{tmp_path / 'docs.yaml'}:14:1: warning[Y008]: empty document",
        f"{tmp_path / 'empty.yaml'}:1:1: warning[Y008]: no YAML document in this file",
    ]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    write(tmp_path, "bom.yaml", b"\xef\xbb\xbf" + GROUP.format(name="g").encode())
    assert load_manifests([tmp_path]).ok


def test_errors_point_at_the_yaml(tmp_path: Path) -> None:
    text = GROUP.format(name="g").replace("event_type: 2", "event_type: 200").replace("rule_name", "rule_nam")
    path = write(tmp_path, "g.yaml", text)
    assert lines(load_manifests([path])) == [
        f"{path}:8:7: error[M004]: unknown field 'rule_nam' (did you mean 'rule_name'?) "
        "(at spec.interaction_rules[0].rule_nam)",
        f"{path}:9:19: error[M007]: Input should be less than or equal to 100 (at spec.interaction_rules[0].event_type)",
    ]


def test_enum_suggestion_ignores_case(tmp_path: Path) -> None:
    path = write(tmp_path, "g.yaml", GROUP.format(name="g").replace("SYSTEM_REPLY", "system_reply"))
    (message,) = [d.message for d in load_manifests([path]).diagnostics]
    assert message.endswith("(did you mean 'SYSTEM_REPLY'?)")


def test_unknown_field_lists_the_fields_when_nothing_is_close(tmp_path: Path) -> None:
    path = write(tmp_path, "g.yaml", GROUP.format(name="g").replace("  labels:", "  colour: x\n  labels:"))
    (message,) = [d.message for d in load_manifests([path]).diagnostics]
    assert message == "unknown field 'colour'; expected one of: name, labels, annotations"


def test_types_are_strict_as_in_the_json_schema(tmp_path: Path) -> None:
    text = GROUP.format(name="g").replace("event_type: 2", 'event_type: "2"\n      enabled: "true"')
    codes_ = [d.code for d in load_manifests([write(tmp_path, "g.yaml", text)]).diagnostics]
    assert codes_ == ["M006", "M006"]


def test_duplicate_names_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GROUP.format(name="same"))
    write(tmp_path, "b.yaml", GROUP.format(name="same"))
    write(tmp_path, "c.yaml", JOB.format(name="same", room="r"))  # another kind: fine
    assert lines(load_manifests([tmp_path])) == [
        f"{tmp_path / 'b.yaml'}:4:9: error[S001]: InteractionRuleGroup 'same' is already declared at "
        f"{tmp_path / 'a.yaml'}:1 (at metadata.name)"
    ]


def test_never_raises_on_garbage(tmp_path: Path) -> None:
    samples: list[bytes] = [
        b"\x00\x01\x02",
        b"\xff\xfe" + "a: 1".encode("utf-16-le"),
        b"[1, 2",
        b"42",
        b"- - -",
        b"apiVersion: smartlive/v1\nkind: [x]\n",
        b"apiVersion: smartlive/v1\nkind: SmartLiveJob\nmetadata: 5\nspec: []\n",
        b"apiVersion: smartlive/v1\nkind: SmartLiveJob\nmetadata: {name: ''}\nspec: {room_id: r, stream_keys: x}\n",
        b"apiVersion: 1\nkind: InteractionRuleGroup\nmetadata: {name: n}\nspec: {interaction_rules: [1, [2], {}]}\n",
    ]
    files = [write(tmp_path, f"g{number}.yaml", sample) for number, sample in enumerate(samples)]
    # Named one by one: each must be a manifest, so each is an error. (Found in the directory, the
    # first five name no smartlive kind: they are skipped as other tools' YAML, foreign.py.)
    result = load_manifests(files)
    assert len({d.file for d in result.errors}) == len(samples)
    assert all(isinstance(d, Diagnostic) and d.line >= 1 and d.column >= 1 for d in result.diagnostics)
    walked = load_manifests([tmp_path])
    assert (walked.files, walked.skipped) == (4, 5)
    assert {d.file for d in walked.errors} == {str(file) for file in files[5:]}


def test_relative_paths_are_shown_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "m/g.yaml", "apiVersion: smartlive/v1\na: [")
    monkeypatch.chdir(tmp_path)
    assert [d.file for d in load_manifests(["m"]).diagnostics] == [os.path.join("m", "g.yaml")]


class EchoSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    times: int = 1


def test_a_new_kind_is_one_registration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_KINDS", dict(registry.kinds()))

    def lint_echo(resource: Manifest[Any]) -> list[Finding]:
        if resource.spec.times > 3:
            return [Finding("R013", "too many", ("spec", "times"))]
        return []

    registry.register_kind("Echo", EchoSpec, lint=lint_echo)
    path = write(
        tmp_path,
        "e.yaml",
        f"apiVersion: {API_VERSION}\nkind: Echo\nmetadata: {{name: e}}\nspec:\n  text: hi\n  times: 5\n"
        f"---\napiVersion: {API_VERSION}\nkind: Echo\nmetadata: {{name: f}}\nspec:\n  txt: hi\n",
    )
    result = load_manifests([path])
    assert [r.name for r in result.of_kind("Echo")] == ["e"]
    assert lines(result) == [
        f"{path}:6:10: error[R013]: too many (at spec.times)",
        f"{path}:11:1: error[M005]: missing required field 'text' (at spec.text)",
        f"{path}:12:3: error[M004]: unknown field 'txt' (did you mean 'text'?) (at spec.txt)",
    ]


def test_examples_load_clean() -> None:
    result = load_manifests([REPO / "examples"], variables=examples_variables())
    assert result.diagnostics == []
    assert {"InteractionRuleGroup", "SmartLiveJob"} <= {r.kind for r in result.resources}


def test_check_manifests_in_parallel_agrees_with_load_manifests(tmp_path: Path) -> None:
    """Forked workers (forced on, even for a small set) report exactly what the sequential load does."""
    for number in range(6):
        write(tmp_path, f"g{number}.yaml", GROUP.format(name=f"g{number % 4}"))  # g0, g1 declared twice
        write(tmp_path, f"j{number}.yaml", JOB.format(name=f"j{number}", room="same-room"))
    write(tmp_path, "bad.yaml", "a: [")
    write(tmp_path, "latin1.yaml", b"name: caf\xe9\n")
    paths = [tmp_path, REPO / "tests" / "data" / "invalid"]
    sequential = load_manifests(paths, parallel=False)
    for forked in (True, False):
        checked = check_manifests(paths, parallel=forked)
        assert checked.diagnostics == sequential.diagnostics
        assert (checked.files, checked.resource_count) == (sequential.files, len(sequential.resources))
    loaded = load_manifests(paths, parallel=True)
    assert loaded.diagnostics == sequential.diagnostics
    assert [r.source for r in loaded.resources] == [r.source for r in sequential.resources]
    assert {d.code for d in sequential.diagnostics} >= {"S001", "S002", "Y003", "Y004"}


def test_a_failing_worker_is_replaced_by_the_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(4):
        write(tmp_path, f"g{number}.yaml", GROUP.format(name=f"g{number}"))
    monkeypatch.setattr(parallel._Child, "collect", lambda self: None)  # as if every child had crashed
    assert len(check_manifests([tmp_path], parallel=True).diagnostics) == 0
    assert check_manifests([tmp_path], parallel=True).resource_count == 4


def test_split_keeps_order_and_balances_bytes() -> None:
    assert parallel._split(4, [10, 10, 10, 10], 2) == [(0, 2), (2, 4)]
    assert parallel._split(3, [100, 1, 1], 2) == [(0, 1), (1, 3)]
    assert parallel._split(1, [5], 2) == [(0, 1)]
    chunks = parallel._split(200, [1] * 200, 4)
    assert chunks[0][0] == 0 and chunks[-1][1] == 200 and len(chunks) == 4


YAML_PIECES = [
    "apiVersion: smartlive/v1\n",
    "kind: InteractionRuleGroup\n",
    "kind: SmartLiveJob\n",
    "metadata: {name: x}\n",
    "spec:\n",
    "  interaction_rules:\n",
    "    - rule_name: r\n",
    "      trigger: {reply_mode: SHOW_LAYER, layer_config: {layer_type: TEXT}}\n",
    "  room_id: r\n",
    "  stream_keys: [k]\n",
    "---\n",
    "&a [1, *a]\n",
    "<<: *a\n",
    "a: !!binary x\n",
    "? [1]\n",
    "- 1\n",
    "  - : ]\n",
    '\t"\\x\n',
    "\x00",
    "\ufeff",
    "价格: 1\n",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(YAML_PIECES), max_size=12).map("".join), st.binary(max_size=40))
def test_never_raises_never_traces(tmp_path: Path, text: str, noise: bytes) -> None:
    for name, data in (
        ("text.yaml", text.encode()),
        ("noise.yaml", noise),
        ("mixed.yaml", text.encode() + noise),
    ):
        write(tmp_path, name, data)
    result = load_manifests([tmp_path])
    for item in result.diagnostics:
        assert item.line >= 1 and item.column >= 1 and item.code in CODES


def test_symlink_loops_are_walked_once(tmp_path: Path) -> None:
    write(tmp_path, "a/g.yaml", GROUP.format(name="g"))
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a", target_is_directory=True)
    (tmp_path / "alias").symlink_to(tmp_path / "a", target_is_directory=True)
    result = load_manifests([tmp_path])
    assert result.ok and [g.name for g in result.of_kind(RuleGroupManifest)] == ["g"]
