"""`smartlive plan` and `apply` keep each checked manifest file in .smartlive/parse-cache
(reconciler/manifest/parse_cache.py): a warm plan of unchanged files neither parses nor checks any of
them, and gives the plan a cold one gives; any file that changed in any way (an edit that keeps its size
and mtime, a rename, a deletion), a damaged cache, an entry that does not fit, another version's or
another build's is read and checked again, and what the check finds is reported as without a cache.
Through the real CLI, against the emulator (the `workspace` fixture; the working directory is its root)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from reconciler.manifest import loader, parse_cache
from reconciler.manifest.parse_cache import ParseCache
from tests.acceptance.conftest import Workspace
from tests.example_project import examples_variables, manifest_files

FAQ = Path("examples/rule-groups/faq.yaml")


class Work:
    """Counts the files actually parsed and checked (cache misses), by wrapping the loader's steps."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsed = 0
        self.checked = 0
        parse, check = loader._parse_data, loader._process

        def parsing(data: Any) -> Any:
            self.parsed += 1
            return parse(data)

        def checking(*args: Any, **kwargs: Any) -> Any:
            self.checked += 1
            return check(*args, **kwargs)

        monkeypatch.setattr(loader, "_parse_data", parsing)
        monkeypatch.setattr(loader, "_process", checking)

    def during(self, ws: Workspace, *argv: str, code: int = 0) -> tuple[int, dict[str, Any]]:
        """Files parsed (each one parsed is checked too) by `plan examples --format json`, and the plan."""
        before = self.parsed, self.checked
        result = ws.run("plan", "examples", *ws.target(), "--format", "json", *argv)
        assert result.code == code, result.text
        parsed, checked = self.parsed - before[0], self.checked - before[1]
        assert parsed == checked, "a file is checked when, and only when, it is parsed"
        return parsed, json.loads(result.out) if code == 0 else {}


def cached_files(ws: Workspace) -> set[str]:
    return {os.path.relpath(file, ws.root) for file in ParseCache.open(ws.root / ".smartlive").entries}


def faq_priority(plan: dict[str, Any]) -> int:
    change = next(c for c in plan["resource_changes"] if c["address"] == "InteractionRuleGroup/faq")
    return int(change["after"]["interaction_rules"]["faq-price"]["hit_condition"]["priority"])


def same_stat_edit(path: Path, old: str, new: str) -> None:
    """Edit `path` keeping its size and mtime: only the content's hash tells."""
    stat = path.stat()
    path.write_text(path.read_text().replace(old, new, 1))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns


def test_a_warm_plan_checks_nothing_and_an_edit_is_seen_even_with_the_same_size_and_mtime(
    workspace: Workspace,
) -> None:
    work = Work(workspace.monkeypatch)
    files = len(manifest_files(workspace.manifests))
    cold, plan = work.during(workspace)
    assert cold == files and len(cached_files(workspace)) == files
    warm, again = work.during(workspace)
    assert warm == 0 and again == plan

    same_stat_edit(FAQ, "priority: 200", "priority: 201")
    edited, plan = work.during(workspace)
    assert edited == 1 and faq_priority(plan) == 201


def test_a_warm_plan_prints_what_a_cold_one_prints_before_and_after_an_apply(workspace: Workspace) -> None:
    def plan_text() -> str:
        result = workspace.run("plan", "examples", *workspace.target(), "--verbose")
        assert result.code == 0, result.text
        return result.out

    cache = workspace.root / ".smartlive" / parse_cache.FILE_NAME
    cold = plan_text()
    assert plan_text() == cold and cache.exists()
    applied = workspace.run("apply", "examples", *workspace.target(), "--auto-approve")
    assert applied.code == 0, applied.text
    # Now the state store vouches for the groups (read cache): the warm plan compares fingerprints
    # made from the cached canonical text, the cold one from the manifests checked again.
    warm = plan_text()
    cache.unlink()
    assert plan_text() == warm and "No changes" in warm


def test_apply_uses_the_cache_as_plan_does(workspace: Workspace) -> None:
    work = Work(workspace.monkeypatch)
    files = len(manifest_files(workspace.manifests))
    applied = workspace.run("apply", "examples", *workspace.target(), "--auto-approve")
    assert applied.code == 0, applied.text
    assert (work.parsed, len(cached_files(workspace))) == (files, files)
    again = workspace.run("apply", "examples", *workspace.target(), "--auto-approve")
    assert again.code == 0 and "No changes" in again.out, again.text
    assert work.parsed == files, "the second apply checked no file again"


def test_an_error_brought_by_an_edit_is_reported_on_a_warm_cache(workspace: Workspace) -> None:
    work = Work(workspace.monkeypatch)
    work.during(workspace)
    same_stat_edit(FAQ, "priority: 200", "priority: 2x0")  # a string where a number must be
    result = workspace.run("plan", "examples", *workspace.target())
    assert result.code == 1
    assert "examples/rule-groups/faq.yaml:20:" in result.err and "priority" in result.err, result.err
    assert work.parsed == len(manifest_files(workspace.manifests)) + 1, "that file only, again"
    again = workspace.run("plan", "examples", *workspace.target())
    assert (again.code, again.err) == (1, result.err), "the cached outcome keeps its findings"
    assert work.parsed == len(manifest_files(workspace.manifests)) + 1

    same_stat_edit(FAQ, "priority: 2x0", "priority: 200")
    assert work.during(workspace)[0] == 1


def test_a_check_across_files_sees_an_edited_file_against_cached_ones(workspace: Workspace) -> None:
    work = Work(workspace.monkeypatch)
    work.during(workspace)
    workspace.edit("rule-groups/welcome.yaml", "name: welcome ", "name: faq ")  # two groups named faq
    result = workspace.run("plan", "examples", *workspace.target())
    assert result.code == 1 and "S001" in result.err, result.text
    assert "examples/rule-groups/welcome.yaml:9:" in result.err, result.err


def test_a_renamed_or_deleted_file_is_read_again_or_forgotten(workspace: Workspace) -> None:
    work = Work(workspace.monkeypatch)
    work.during(workspace)
    FAQ.rename(FAQ.with_name("questions.yaml"))
    renamed, plan = work.during(workspace)
    assert renamed == 1 and faq_priority(plan) == 200
    assert "examples/rule-groups/questions.yaml" in cached_files(workspace)
    assert str(FAQ) not in cached_files(workspace)

    Path("examples/jobs/evening-portrait.yaml").unlink()
    deleted, plan = work.during(workspace)
    assert deleted == 0, "the other files are as they were"
    assert "SmartLiveJob/evening-portrait" not in [c["address"] for c in plan["resource_changes"]]
    assert "examples/jobs/evening-portrait.yaml" not in cached_files(workspace)


@pytest.mark.parametrize(
    "damage",
    [
        lambda content: b"",
        lambda content: content[: len(content) // 2],  # truncated
        lambda content: content[:-1] + bytes([content[-1] ^ 1]),  # one bit of the payload
        lambda content: b"\x00garbage" * 100,
        lambda content: content.replace(parse_cache.FORMAT.encode(), b"smartlive-parse-cache 9", 1),
    ],
    ids=["empty", "truncated", "bit-flip", "garbage", "unknown-format"],
)
def test_a_damaged_cache_is_ignored_and_replaced(workspace: Workspace, damage: Any) -> None:
    work = Work(workspace.monkeypatch)
    files = len(manifest_files(workspace.manifests))
    _, plan = work.during(workspace)
    cache = workspace.root / ".smartlive" / parse_cache.FILE_NAME
    cache.write_bytes(damage(cache.read_bytes()))
    assert work.during(workspace) == (files, plan)
    assert len(cached_files(workspace)) == files, "rewritten whole"
    assert work.during(workspace) == (0, plan)


@pytest.mark.parametrize(
    "wrong",
    [
        lambda checked: ([], [("InteractionRuleGroup", "faq")], [], False),  # a resource cut short
        lambda checked: ([], [("NoSuchKind", *checked[1][0][1:])], [], False),
        lambda checked: ([("not", "a finding")], checked[1], [], False),
        lambda checked: (
            [],
            [(*checked[1][0][:6], (), *checked[1][0][7:])],
            [],
            False,
        ),  # extracts of no check
        lambda checked: ([], checked[1], [("InteractionRuleGroup", "faq", 1, 1, ())], False),
        lambda checked: ([], checked[1], [("InteractionRuleGroup",)], False),
        lambda checked: (*checked[:3], "no"),  # foreign is True or False
    ],
    ids=[
        "short-resource",
        "unknown-kind",
        "bad-finding",
        "other-set-checks",
        "declared-other-set-checks",
        "short-declared",
        "foreign-not-a-bool",
    ],
)
def test_an_entry_that_does_not_fit_is_checked_again(workspace: Workspace, wrong: Any) -> None:
    """An entry a checksum cannot catch (written by a broken build, say): that file is checked again."""
    work = Work(workspace.monkeypatch)
    _, plan = work.during(workspace)
    cache = ParseCache.open(workspace.root / ".smartlive")
    absolute = os.path.abspath(FAQ)
    key, checked = cache.entries[absolute]
    cache.seen = {**cache.entries, absolute: (key, wrong(checked))}
    cache.save()
    assert work.during(workspace) == (1, plan)
    assert work.during(workspace) == (0, plan)


def test_another_version_or_build_of_smartlive_reads_every_file_again(workspace: Workspace) -> None:
    work = Work(workspace.monkeypatch)
    files = len(manifest_files(workspace.manifests))
    work.during(workspace)
    workspace.monkeypatch.setattr(parse_cache, "__version__", "99.0.0")
    assert work.during(workspace)[0] == files
    assert work.during(workspace)[0] == 0
    # The same version number, edited source (a checkout): the cache is another build's.
    workspace.monkeypatch.setattr(parse_cache, "_source_digest", lambda: "edited")
    assert work.during(workspace)[0] == files


def test_a_saved_plan_made_from_a_warm_cache_applies(workspace: Workspace) -> None:
    """The manifests' digest a saved plan carries is the same whether its specs came from the cache."""

    def saved(name: str) -> str:
        result = workspace.run("plan", "examples", *workspace.target(), "--out", name)
        assert result.code == 0, result.text
        digest: str = json.loads(Path(name).read_text())["manifest_digest"]
        return digest

    cold = saved("cold.plan")
    assert saved("warm.plan") == cold
    applied = workspace.run("apply", "warm.plan", "--auto-approve")
    assert applied.code == 0, applied.text


def test_files_parsed_in_forked_workers_are_cached_too(tmp_path: Path) -> None:
    from reconciler.manifest import load_manifests

    examples = Path(__file__).resolve().parents[2] / "examples"
    cold = load_manifests([examples], parallel=True, cache_dir=tmp_path, variables=examples_variables())
    assert len(ParseCache.open(tmp_path).entries) == cold.files
    warm = load_manifests([examples], parallel=True, cache_dir=tmp_path, variables=examples_variables())
    assert [str(r) for r in warm.resources] == [str(r) for r in cold.resources] and warm.ok
    assert [r.spec for r in warm.resources] == [r.spec for r in cold.resources], "validated when read"


def test_a_cache_that_cannot_be_written_costs_only_the_speed_up(tmp_path: Path) -> None:
    from reconciler.manifest import load_manifests

    examples = Path(__file__).resolve().parents[2] / "examples"
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the cache directory would be")
    with_cache = load_manifests([examples], cache_dir=blocked, variables=examples_variables())
    assert (
        with_cache.ok and with_cache.files == load_manifests([examples], variables=examples_variables()).files
    )
    assert blocked.read_text() == "a file where the cache directory would be"
    assert [p.name for p in tmp_path.iterdir()] == ["not-a-directory"], "no temporary file left"


def test_a_foreign_file_is_skipped_warm_as_cold_and_reported_when_named(workspace: Workspace) -> None:
    """Whether a file is another tool's YAML is kept with its outcome; whether it is skipped depends
    on how it is named, decided on each run: a warm entry serves both."""
    compose = workspace.manifests / "docker-compose.yml"
    compose.write_text("services:\n  web: {image: nginx}\n", encoding="utf-8")
    work = Work(workspace.monkeypatch)
    files = len(manifest_files(workspace.manifests)) + 1  # (.github/ is hidden: not walked)
    cold, plan = work.during(workspace)
    assert cold == files and len(cached_files(workspace)) == files, "the foreign file is cached too"
    assert work.during(workspace) == (0, plan)

    named = workspace.run("plan", "examples", "examples/docker-compose.yml", *workspace.target())
    assert named.code == 1 and "examples/docker-compose.yml:1:1: error[M002]" in named.err, named.text
    assert work.parsed == files, "from its cached entry"
    compose.unlink()
    (workspace.root / ".smartlive" / parse_cache.FILE_NAME).unlink()
    assert work.during(workspace)[1] == plan, "as without the file"


def test_a_document_with_type_errors_takes_part_in_the_set_checks_warm_as_cold(workspace: Workspace) -> None:
    work = Work(workspace.monkeypatch)
    work.during(workspace)
    # A second `faq`, with a type error: S001 and M006 in one round, from the cache as without it.
    (workspace.manifests / "rule-groups" / "faq-copy.yaml").write_text(
        "apiVersion: smartlive/v1\nkind: InteractionRuleGroup\nmetadata: {name: faq}\n"
        "spec:\n  interaction_rules:\n    - {rule_name: a, event_type: one}\n    - {rule_name: b}\n    - {rule_name: b}\n",
        encoding="utf-8",
    )
    cold = workspace.run("plan", "examples", *workspace.target())
    assert cold.code == 1
    for code in ("S001", "M006", "R012"):
        assert f"error[{code}]" in cold.err, cold.err
    parsed = work.parsed
    warm = workspace.run("plan", "examples", *workspace.target())
    assert (warm.code, warm.err) == (1, cold.err)
    assert work.parsed == parsed, "every file from the cache"
