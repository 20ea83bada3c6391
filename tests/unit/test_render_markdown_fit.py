"""The pull-request comment fits its limit (issue 13, "PR comments that fit"): GitHub refuses a comment
past 65,536 characters, and a plan of a few dozen rule groups used to pass it.

Golden files show the comment at 7 resources whole, shortened (some blocks kept, every resource named)
and reduced to counts (tests/golden/render/pr-comment*.md; rewrite them with SMARTLIVE_UPDATE_GOLDEN=1
and review the diff). Plans of 300 and 3,000 resources (tests/plans_at_scale.py) and generated ones
check the bound and what must survive it.
"""

from __future__ import annotations

import re

import markdown_it
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.engine.plan import Plan
from reconciler.render import DEFAULT_MARKDOWN_LIMIT, MIN_MARKDOWN_LIMIT, RenderContext, render
from reconciler.render.markdown_fit import SEE_ALL
from tests.plans_at_scale import pull_request_plan, scale_plan
from tests.unit.test_render import check_golden
from tests.unit.test_render_markdown import hostile_plan

TARGET = "https://metastudio.cn-north-4.myhuaweicloud.com, project 0b1c2d3e4f"
HEADER = f"### smartlive plan · stack `shop-a` · target `{TARGET}`\n\n"
SHORTENED = re.compile(
    r"\*\*Shortened to fit ([\d,]+) characters\*\* \(the whole comment would be ([\d,]+)\)"
)


def comment(plan: Plan, limit: int = DEFAULT_MARKDOWN_LIMIT) -> str:
    return render(plan, "markdown", color=False, context=RenderContext(target=TARGET, markdown_limit=limit))


def addresses(plan: Plan) -> list[str]:
    return [str(c.address) for c in plan.changes if not c.is_noop or c.unverifiable]


# Golden: the three steps ------------------------------------------------------------------------------


def test_golden_seven_resources_whole() -> None:
    out = comment(pull_request_plan())
    assert out.startswith(HEADER) and not SHORTENED.search(out)
    check_golden("pr-comment.md", out)


def test_golden_seven_resources_shortened_every_one_named() -> None:
    out = comment(pull_request_plan(), limit=4_000)
    assert len(out) <= 4_000 and SHORTENED.search(out)
    check_golden("pr-comment.shortened.md", out)


def test_golden_counts_when_not_every_resource_can_be_named() -> None:
    out = comment(scale_plan(40), limit=MIN_MARKDOWN_LIMIT)
    assert len(out) <= MIN_MARKDOWN_LIMIT and "**By kind:**" in out
    check_golden("pr-comment.counts.md", out)


# At scale -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("resources", [7, 300, 3_000])
def test_the_comment_fits_the_default_limit(resources: int) -> None:
    plan = pull_request_plan() if resources == 7 else scale_plan(resources)
    out = comment(plan)
    assert len(out) <= DEFAULT_MARKDOWN_LIMIT == 65_000
    assert out.startswith(HEADER)
    assert out.endswith("\n") and not out.endswith("\n\n")
    shortened = SHORTENED.search(out)
    assert (shortened is not None) == (resources > 7)
    if shortened:
        assert shortened[1] == "65,000"
        assert int(shortened[2].replace(",", "")) > 65_000
        assert SEE_ALL in out


def test_at_300_resources_every_one_is_named_and_the_riskiest_keep_their_diff() -> None:
    plan = scale_plan(300)
    out = comment(plan)
    assert "**By kind:**" not in out
    for c in plan.changes:
        assert f"{c.glyph.strip()} {c.address}" in out, c.address
    interrupting = [c for c in plan.changes if c.interrupts_stream]
    header = out[: out.index("**Notes:**")]
    assert f"**Interrupts the live stream** ({len(interrupting)}):" in header
    for c in interrupting:
        assert f"`{c.glyph} {c.address}`" in header
        assert f"<details><summary><code>{c.glyph} {c.address}</code>" in out  # its diff too
    # Said once, in the header: never again per resource.
    assert out.lower().count("interrupts the live stream") == 1
    shown = int(re.search(r"([\d,]+) of 300 resources show their changes", out)[1])  # type: ignore[index]
    assert out.count("<details>") == shown == out.count("</details>") > len(interrupting)


def test_at_3000_resources_counts_by_kind_then_the_riskiest_named() -> None:
    plan = scale_plan(3_000)
    out = comment(plan)
    by_kind = out[out.index("**By kind:**") :]
    assert (
        "- `InteractionRuleGroup`: 600 to create, 300 to update, 0 to restart, 300 to stop or delete."
        in by_kind
    )
    assert "- `SmartLiveRoom`: 0 to create, 300 to update, 0 to restart, 0 to stop or delete." in by_kind
    assert "<details>" not in out
    # Every stream taken down is named in the header, and not listed again below.
    for c in plan.changes:
        if c.interrupts_stream:
            assert out.count(f"`{c.glyph} {c.address}`") == 1
    listed = out[out.index("**The other resources, riskiest first:**") :].splitlines()[1:]
    more = int(re.fullmatch(r"- and ([\d,]+) more", listed[-1])[1].replace(",", ""))  # type: ignore[index]
    assert len(listed) - 1 + more == 3_000 - sum(c.interrupts_stream for c in plan.changes)
    # Deletes come before updates, updates before creates.
    glyphs = [line.split("`")[1].split(" ")[0] for line in listed[:-1]]
    assert glyphs == sorted(glyphs, key=["-", "~", "?", "+"].index)
    assert glyphs[0] == "-"


def test_notes_past_the_limit_are_cut_with_how_many_more() -> None:
    plan = Plan(scale_plan(20).changes, notes=tuple(f"note {i}: " + "x" * 200 for i in range(400)))
    out = comment(plan, limit=10_000)
    assert len(out) <= 10_000
    notes = out[out.index("**Notes:**") :].split("\n\n")[0].splitlines()
    assert notes[1].startswith("- note 0: ")
    assert re.fullmatch(r"- and [\d,]+ more", notes[-1])


def test_a_target_too_long_for_the_limit_is_cut_at_a_line_with_the_note() -> None:
    out = render(
        pull_request_plan(),
        "markdown",
        color=False,
        context=RenderContext(target="h" * 5_000, markdown_limit=2_000),
    )
    assert len(out) <= 2_000
    assert out.endswith(SEE_ALL + "\n")


def test_a_limit_below_the_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2,000"):
        comment(pull_request_plan(), limit=MIN_MARKDOWN_LIMIT - 1)


# Structure: what GitHub would render ------------------------------------------------------------------


def test_a_shortened_comment_keeps_its_lists_apart_and_every_block_closed() -> None:
    out = comment(pull_request_plan(), limit=4_000)
    tokens = markdown_it.MarkdownIt("commonmark").parse(out)
    lists = [t for t in tokens if t.type == "bullet_list_open"]
    # The interruptions, the notes, and two runs of one-liners between blocks: never merged into one.
    assert len(lists) >= 3
    html = "".join(t.content for t in tokens if t.type == "html_block")
    assert html.count("<details>") == html.count("</details>") == out.count("<details>")


def test_hostile_names_stay_text_when_summarized() -> None:
    hostile = hostile_plan()
    plan = Plan((*hostile.changes, *scale_plan(40).changes), notes=hostile.notes)
    for limit in (MIN_MARKDOWN_LIMIT, 6_000):
        out = comment(plan, limit=limit)
        rendered = markdown_it.MarkdownIt("commonmark").render(out)
        # Only our own blocks open and close, whatever the names hold.
        assert rendered.count("<details>") == out.count("<details><summary><code>")
        assert "<b>" not in rendered


@settings(max_examples=30, deadline=None)
@given(
    resources=st.integers(0, 400),
    offset=st.integers(0, 9),
    limit=st.integers(MIN_MARKDOWN_LIMIT, 150_000),
)
def test_any_plan_fits_any_limit(resources: int, offset: int, limit: int) -> None:
    plan = scale_plan(resources, offset=offset)
    whole = comment(plan, limit=10**9)
    out = comment(plan, limit=limit)
    assert len(out) <= limit
    assert out.startswith(HEADER)
    assert "**Plan:** " in out or "No changes" in out or "Nothing to apply" in out
    if len(whole) <= limit:
        assert out == whole
        return
    shortened = SHORTENED.search(out)
    assert shortened is not None and SEE_ALL in out
    assert int(shortened[2].replace(",", "")) == len(whole)
    assert out.count("<details>") == out.count("</details>")
    if "**By kind:**" not in out:  # every resource named
        for address in addresses(plan):
            assert address in out
