"""A manifest set that declares nothing is refused by plan and apply, as validate warns of it: never
"No changes" and "Apply complete: 0 created" as if all were well (with --prune, an empty set would plan
removing everything the stack manages)."""

from __future__ import annotations

import pytest

from tests.acceptance.conftest import Workspace


@pytest.mark.parametrize(
    ("files", "argument", "why"),
    [
        ({"empty.yaml": ""}, "empty.yaml", "nothing to plan or apply"),
        ({"comments.yaml": "---\n# nothing yet\n---\n"}, "comments.yaml", "nothing to plan or apply"),
        ({"set/a.yaml": "", "set/b.yml": "# todo\n"}, "set", "nothing to plan or apply"),
        ({"set/ok.yaml": "", "set/readme.txt": "not a manifest"}, "set", "nothing to plan or apply"),
        ({"tests-only": None}, "examples/tests", "only InteractionRuleTest documents"),
    ],
)
@pytest.mark.parametrize("command", ["plan", "apply", "apply --prune", "apply --refresh-only"])
def test_plan_and_apply_refuse_a_set_that_declares_nothing(
    workspace: Workspace, files: dict[str, str | None], argument: str, why: str, command: str
) -> None:
    ws = workspace
    for name, text in files.items():
        if text is not None:
            path = ws.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    assert ws.run("apply", "examples", "--auto-approve", *ws.target()).code == 0  # something to prune
    before = ws.mutating_requests()

    approve = [] if command == "plan" else ["--auto-approve"]
    result = ws.run(*command.split(), argument, *approve, *ws.target())
    assert result.code == 1, result.text
    assert result.err == f"error: no manifests in {argument}: {why}" + result.err.split(why, 1)[1]
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert "Apply complete" not in result.out and "No changes" not in result.out
    assert ws.mutating_requests() == before
    assert len(ws.groups()) == 5  # --prune removed nothing
