"""The human plan: glyphs, what each resource shows, the summary sentence, colour only on request."""

from __future__ import annotations

import re

from reconciler.engine.plan import RESTART, Action, FieldChange, Plan, Reason, ReasonCode
from reconciler.render import render
from tests.unit.test_render import ANSI, NO_CHANGES, group, job, no_change_plan, sample_plan

SGR = re.compile(r"\x1b\[[0-9;]*m")


def text(plan: Plan, **options: bool) -> str:
    return render(plan, "text", color=options.get("color", False), verbose=options.get("verbose", False))


def test_headers_carry_terraform_glyphs_and_reasons() -> None:
    out = text(sample_plan())
    assert "  + InteractionRuleGroup/welcome\n" in out
    assert "  # InteractionRuleGroup/welcome will be created: declared, not in MetaStudio\n" in out
    assert "  ~ InteractionRuleGroup/faq (id grp-2)\n" in out
    assert "  - InteractionRuleGroup/old-promo (id grp-3)\n" in out
    assert "-/+ SmartLiveJob/main-stream (id job-7, room room-1)\n" in out
    assert (
        "  # SmartLiveJob/main-stream must be restarted: video_config.bitrate changed "
        "(interrupts the live stream)\n" in out
    )
    assert "  - SmartLiveJob/retired (id job-4, room room-4)\n" in out
    assert "# SmartLiveJob/retired will be stopped: declared stopped (interrupts the live stream)" in out


def test_update_lists_only_changed_paths_and_forced_restarts() -> None:
    out = text(sample_plan())
    assert '      ~ interaction_rules[greet].trigger.reply_texts[1]: "Hi" -> "Hello `there`"\n' in out
    assert '      + interaction_rules[greet].trigger.reply_texts[10]: "Bye"\n' in out
    assert "      ~ video_config.bitrate: 4000 -> 6000  # forces restart\n" in out
    assert "output_urls[0]" in out and "forces restart" not in out.split("output_urls[0]")[1].split("\n")[0]


def test_create_shows_the_after_block() -> None:
    out = text(sample_plan())
    assert '      + group_name        = "welcome"\n' in out
    assert '                  + reply_texts = ["Welcome!", "Hi there"]\n' in out


def test_fields_not_compared_are_marked_and_counted_never_no_changes() -> None:
    doubtful = job(
        "doubtful",
        (Action.NOOP,),
        Reason(ReasonCode.RUNNING, remote_state="PROCESSING"),
        remote_id="job-5",
        unverifiable=("stream_keys",),
    )
    out = text(Plan((doubtful,)))
    assert "No changes" not in out
    assert "  # SmartLiveJob/doubtful may differ: 1 declared field could not be compared\n" in out
    assert "  ? SmartLiveJob/doubtful (id job-5)\n" in out
    assert "      ? stream_keys: may change\n" in out
    assert out.endswith(
        "Nothing to apply, but 1 declared field could not be compared and may differ (marked ?): apply "
        "leaves them as they are; `apply --replace ADDRESS` rewrites one with what is declared.\n"
    )
    with_changes = text(Plan((doubtful, group("a", (Action.CREATE,)))))
    assert with_changes.endswith(
        "Plan: 1 to create, 0 to update, 0 to restart, 0 to stop or delete. "
        "1 declared field could not be compared and may differ.\n"
    )


def test_noops_are_listed_only_when_verbose() -> None:
    assert "SmartLiveJob/steady" not in text(sample_plan())
    assert "  # SmartLiveJob/steady has no changes: running as job job-5 (PROCESSING)\n" in text(
        sample_plan(), verbose=True
    )


def test_notes_come_before_the_summary() -> None:
    out = text(sample_plan())
    assert out.index("Note: --prune found 1 group") < out.index("Plan: ")


def test_summary_sentence_counts_each_kind() -> None:
    plan = Plan(
        (
            group("a", (Action.CREATE,)),
            job("b", (Action.START,)),
            job("c", (Action.REFRESH_OUTPUT,)),
            job("d", RESTART),
            job("e", RESTART),
            group("f", (Action.DELETE,)),
            job("g", (Action.NOOP,)),
        )
    )
    assert text(plan).endswith("\nPlan: 2 to create, 1 to update, 2 to restart, 1 to stop or delete.\n")


def test_no_changes_is_exactly_the_sentence() -> None:
    assert text(no_change_plan()) == NO_CHANGES + "\n"
    assert text(Plan(())) == NO_CHANGES + "\n"
    assert text(no_change_plan(), verbose=True).endswith("\n" + NO_CHANGES + "\n")


def test_notes_still_print_when_nothing_changes() -> None:
    out = text(Plan((), notes=("prune planned nothing: no state store yet",)))
    assert out == f"Note: prune planned nothing: no state store yet\n\n{NO_CHANGES}\n"


def test_colour_only_when_asked() -> None:
    assert not ANSI.search(text(sample_plan(), verbose=True))
    assert not ANSI.search(text(no_change_plan()))
    coloured = text(sample_plan(), color=True)
    assert "\x1b[32m+\x1b[0m InteractionRuleGroup/welcome" in coloured
    assert "\x1b[35m-/+\x1b[0m SmartLiveJob/main-stream" in coloured
    assert "\x1b[33m~\x1b[0m InteractionRuleGroup/faq" in coloured
    assert "\x1b[31m-\x1b[0m InteractionRuleGroup/old-promo" in coloured
    # Colour is decoration only: without the codes the output is the plain one.
    assert SGR.sub("", coloured) == text(sample_plan())


def test_the_sentence_names_the_address_and_the_action_once() -> None:
    # The planner gives a reason code; the sentence is written once, in render/common.py, and never
    # repeats the address or the action (before 2.0 a reason could be a whole sentence of its own).
    out = text(Plan((group("w", (Action.CREATE,), Reason(ReasonCode.ABSENT)),)))
    assert "  # InteractionRuleGroup/w will be created: declared, not in MetaStudio\n" in out
    assert out.count("InteractionRuleGroup/w") == 2  # the sentence and the resource line
    assert out.count("will be created") == 1


def test_removed_field_and_compound_values() -> None:
    plan = Plan(
        (
            group(
                "g",
                (Action.UPDATE,),
                changes=(FieldChange("interaction_rules[x]", {"rule_name": "x", "tags": ["a"]}, None),),
            ),
        )
    )
    assert '      - interaction_rules[x]: { rule_name = "x", tags = ["a"] }\n' in text(plan)
