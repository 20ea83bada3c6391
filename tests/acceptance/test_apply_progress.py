"""What apply prints while it works: one line per finished action always; a rich progress bar only when
standard output is a terminal, never in a pipeline's log."""

from __future__ import annotations

import re
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO

from reconciler import cli
from tests.acceptance.conftest import Workspace

ACTION_LINE = re.compile(r"^[✓✗!] (InteractionRuleGroup|SmartLiveRoom|SmartLiveJob)/[\w-]+: \S.*$")
WARNING_LINE = re.compile(r"^    warning: \S.*$")
#: examples/: 5 groups, 2 rooms, 2 jobs.
SUMMARY = "Apply complete: 9 created, 0 updated, 0 restarted, 0 stopped or deleted."
#: rich draws its bar with these; an ANSI control sequence starts with ESC.
BAR_GLYPHS = ("━", "╸", "╺")


class Terminal(StringIO):
    """Standard output as a terminal would be seen by the CLI (isatty), recording what is written."""

    def isatty(self) -> bool:
        return True


def run_on_terminal(*argv: str) -> tuple[int, str]:
    out, err = Terminal(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue() + err.getvalue()


def test_without_a_terminal_the_output_is_the_plan_one_line_per_action_and_the_summary(
    workspace: Workspace,
) -> None:
    plan = workspace.run("plan", "examples", *workspace.target())
    result = workspace.run("apply", "examples", *workspace.target(), "--auto-approve")
    assert result.code == 0, result.text
    assert result.out.startswith(plan.out)  # the plan as `plan` shows it, then the actions
    lines = result.out[len(plan.out) :].splitlines()
    assert lines[-1] == SUMMARY
    # One line per action; a start's warnings from the service (live_warning_info) are indented under
    # its line, `    warning: ...`, and belong to that action.
    actions = [line for line in lines[:-1] if not WARNING_LINE.match(line)]
    assert len(actions) == 9 and all(ACTION_LINE.match(line) for line in actions), lines
    # In dependency order: the groups, then the rooms that import them, then the jobs that name the rooms.
    kinds = [line.split(" ", 2)[1].split("/", 1)[0] for line in actions]
    assert kinds == ["InteractionRuleGroup"] * 5 + ["SmartLiveRoom"] * 2 + ["SmartLiveJob"] * 2, lines
    for index, line in enumerate(lines[:-1]):
        if WARNING_LINE.match(line):
            above = lines[index - 1] if index else ""
            assert above.startswith("✓ SmartLiveJob/") or WARNING_LINE.match(above), lines
    assert "\x1b" not in result.text and not any(glyph in result.text for glyph in BAR_GLYPHS)


def test_on_a_terminal_a_progress_bar_runs_above_the_same_lines(workspace: Workspace) -> None:
    code, text = run_on_terminal("apply", "examples", *workspace.target(), "--auto-approve")
    assert code == 0, text
    assert any(glyph in text for glyph in BAR_GLYPHS), text
    assert "Applying" in text and "/9" in text
    assert "\x1b[" in text  # the bar is redrawn in place (and removed at the end)
    for name in ("welcome", "faq", "gift-thanks", "like-milestones", "product-popup"):
        assert f"✓ InteractionRuleGroup/{name}: created (group_id " in text
    for name in ("flagship-store", "evening-show"):
        assert f"✓ SmartLiveRoom/{name}: created (room_id " in text
    assert "✓ SmartLiveJob/store-landscape: started (job " in text
    assert text.rstrip().endswith(SUMMARY)


def test_no_bar_when_there_is_nothing_to_do(workspace: Workspace) -> None:
    assert workspace.run("apply", "examples", *workspace.target(), "--auto-approve").code == 0
    code, text = run_on_terminal("apply", "examples", *workspace.target(), "--auto-approve")
    assert code == 0
    assert not any(glyph in text for glyph in BAR_GLYPHS)
    assert text.rstrip().endswith("Apply complete: 0 created, 0 updated, 0 restarted, 0 stopped or deleted.")
