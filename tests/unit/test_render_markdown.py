"""The pull-request comment: its header first (stack, target, counts, what interrupts a stream, notes),
one details block per changed resource, nothing a value can break; its size is test_render_markdown_fit's.
Parsed with markdown-it (CommonMark, installed with rich) to check structure, not just text."""

from __future__ import annotations

from dataclasses import replace

import markdown_it  # installed with rich; a missing parser must fail the test, not skip it

from reconciler.engine.plan import RESTART, Action, FieldChange, Plan, Reason, ReasonCode
from reconciler.render import RenderContext, render
from tests.unit.test_render import NO_CHANGES, group, job, no_change_plan, sample_plan


def markdown(plan: Plan, *, verbose: bool = False) -> str:
    return render(plan, "markdown", color=True, verbose=verbose)


def test_header_comes_first_naming_the_stack_and_target_then_counts_interruptions_and_notes() -> None:
    context = RenderContext(target="embedded emulator")
    out = render(replace(sample_plan(), stack="shop-a"), "markdown", color=True, context=context)
    assert out.startswith(
        "### smartlive plan · stack `shop-a` · target `embedded emulator`\n\n"
        "**Plan:** 2 to create, 2 to update, 1 to restart, 2 to stop or delete.\n\n"
        "**Interrupts the live stream** (2):\n"
        "- `-/+ SmartLiveJob/main-stream` must be restarted: video\\_config.bitrate changed\n"
        "- `- SmartLiveJob/retired` will be stopped: declared stopped\n\n"
        "**Notes:**\n- \\--prune found 1 group"
    )
    assert out.index("**Notes:**") < out.index("<details>")
    assert "\x1b" not in out


def test_the_header_names_only_what_it_is_told() -> None:
    assert markdown(sample_plan()).startswith("### smartlive plan\n\n**Plan:** ")
    # A stack name may hold backticks: the code span is made longer than any run inside it.
    out = render(replace(sample_plan(), stack="a`b``c"), "markdown", color=False)
    assert out.startswith("### smartlive plan · stack ```a`b``c```\n")


def test_no_changes_is_the_sentence_under_the_header() -> None:
    assert markdown(no_change_plan()) == f"### smartlive plan\n\n{NO_CHANGES}\n"
    assert "<details>" in markdown(no_change_plan(), verbose=True)


def test_one_block_per_changed_resource_and_interrupting_the_stream_said_once() -> None:
    out = markdown(sample_plan())
    assert out.count("<details><summary>") == 7 == out.count("</details>")
    assert (
        "<details><summary><code>-/+ SmartLiveJob/main-stream</code> must be restarted: "
        "video_config.bitrate changed</summary>" in out
    )
    assert "<code>- SmartLiveJob/retired</code> will be stopped: declared stopped</summary>" in out
    assert "<code>~ SmartLiveJob/rehearsal</code> will refresh its outputs without a restart" in out
    assert out.lower().count("interrupts the live stream") == 1


def test_a_stop_shows_the_state_it_changes_not_the_whole_job() -> None:
    out = markdown(sample_plan())
    retired = out[out.index("<code>- SmartLiveJob/retired</code>") :]
    retired = retired[: retired.index("</details>")]
    assert '  # id job-4, room room-4\n- state: "PROCESSING"\n+ state: "stopped"\n```' in retired
    assert "room_id" not in retired
    # The text plan is the complete one: it still shows what the job had.
    assert '      - room_id = "room-4"' in render(sample_plan(), "text", color=False)


def test_diff_lines_put_the_glyph_in_column_zero() -> None:
    out = markdown(sample_plan())
    assert '- interaction_rules[greet].trigger.reply_texts[1]: "Hi"\n' in out
    assert '+ interaction_rules[greet].trigger.reply_texts[1]: "Hello `there`"\n' in out
    assert "+ video_config.bitrate: 6000  # forces restart\n" in out
    assert '+ group_name        = "welcome"\n' in out


def hostile_plan() -> Plan:
    breaker = "x</details></summary>```<b>`y`"
    return Plan(
        (
            group(
                f"g{breaker}",
                (Action.UPDATE,),
                Reason(ReasonCode.FIELDS_DIFFER),
                changes=(FieldChange("a", "````", f"z\n```\n{breaker}"),),
            ),
            # The reason's facts (here a field path) reach the summary sentence too.
            job(
                "j",
                RESTART,
                Reason(ReasonCode.RESTART_REQUIRED, forced_by=(f"b{breaker}",)),
                changes=(FieldChange(f"b{breaker}", 1, 2, forces_restart=True),),
            ),
        ),
        notes=(f"- *{breaker}* [link](http://x) #1",),
    )


def test_values_and_names_cannot_break_the_comment() -> None:
    out = markdown(hostile_plan())
    tokens = markdown_it.MarkdownIt("commonmark").parse(out)
    # Exactly our two blocks open and close, as HTML blocks around one fence each.
    html = [t.content for t in tokens if t.type == "html_block"]
    assert [h.count("<details>") for h in html] == [1, 0, 1, 0]
    assert [h.strip() for h in html[1::2]] == ["</details>", "</details>"]
    fences = [t for t in tokens if t.type == "fence"]
    assert [f.info for f in fences] == ["diff", "diff"]
    # The value with backtick runs stays inside its fence, on one line.
    assert 'z\\n```\\nx</details></summary>```<b>`y`"' in fences[0].content
    assert len(fences[0].markup) == 5
    # The summary is HTML-escaped; the note is literal text in one list item.
    assert "&lt;/details&gt;&lt;/summary&gt;&#96;&#96;&#96;&lt;b&gt;" in html[0]
    assert "bx&lt;/details&gt;&lt;/summary&gt;&#96;&#96;&#96;&lt;b&gt;&#96;y&#96; changed" in html[2]
    inline = [t for t in tokens if t.type == "inline"]
    note = next(t for t in inline if "link" in t.content)
    rendered = markdown_it.MarkdownIt("commonmark").renderInline(note.content)
    assert rendered.startswith("- *x&lt;/details&gt;")
    assert "<a " not in rendered and "<em>" not in rendered
    # The header's line for the restart carries the reason's facts too: literal text, no HTML.
    (item,) = [t for t in inline if t.content.startswith("`-/+ SmartLiveJob/j`")]
    rendered = markdown_it.MarkdownIt("commonmark").renderInline(item.content)
    assert "</details>" not in rendered and "<b>" not in rendered
    assert "bx&lt;/details&gt;&lt;/summary&gt;```&lt;b&gt;`y` changed" in rendered
