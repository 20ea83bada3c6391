"""`smartlive plan` keeps parsed manifests in .smartlive/parse-cache (reconciler/manifest/parse_cache.py):
a warm plan of unchanged files parses none of them, and any file that changed in any way (an edit that
keeps its size and mtime, a rename, a deletion), a damaged cache or another version's is read again.
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

FAQ = Path("examples/rule-groups/faq.yaml")


class Parses:
    """Counts the files actually parsed (cache misses), by wrapping the loader's parse step."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = loader._parse_data

        def counting(data: Any) -> Any:
            self.count += 1
            return real(data)

        monkeypatch.setattr(loader, "_parse_data", counting)

    def during(self, ws: Workspace) -> tuple[int, dict[str, Any]]:
        before = self.count
        result = ws.run("plan", "examples", *ws.target(), "--format", "json")
        assert result.code == 0, result.text
        return self.count - before, json.loads(result.out)


def cached_files(ws: Workspace) -> set[str]:
    return {os.path.relpath(file, ws.root) for file in ParseCache.open(ws.root / ".smartlive").entries}


def faq_priority(plan: dict[str, Any]) -> int:
    change = next(c for c in plan["resource_changes"] if c["address"] == "InteractionRuleGroup/faq")
    return int(change["after"]["interaction_rules"]["faq-price"]["hit_condition"]["priority"])


def test_a_warm_plan_parses_nothing_and_an_edit_is_seen_even_with_the_same_size_and_mtime(
    workspace: Workspace,
) -> None:
    parses = Parses(workspace.monkeypatch)
    files = len(list(workspace.manifests.rglob("*.yaml")))
    cold, plan = parses.during(workspace)
    assert cold == files and len(cached_files(workspace)) == files
    warm, again = parses.during(workspace)
    assert warm == 0 and again == plan

    stat = FAQ.stat()
    FAQ.write_text(FAQ.read_text().replace("priority: 200", "priority: 201", 1))
    os.utime(FAQ, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert FAQ.stat().st_size == stat.st_size and FAQ.stat().st_mtime_ns == stat.st_mtime_ns
    edited, plan = parses.during(workspace)
    assert edited == 1 and faq_priority(plan) == 201


def test_a_renamed_or_deleted_file_is_read_again_or_forgotten(workspace: Workspace) -> None:
    parses = Parses(workspace.monkeypatch)
    parses.during(workspace)
    FAQ.rename(FAQ.with_name("questions.yaml"))
    renamed, plan = parses.during(workspace)
    assert renamed == 1 and faq_priority(plan) == 200
    assert "examples/rule-groups/questions.yaml" in cached_files(workspace)
    assert str(FAQ) not in cached_files(workspace)

    Path("examples/jobs/evening-portrait.yaml").unlink()
    deleted, plan = parses.during(workspace)
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
    parses = Parses(workspace.monkeypatch)
    files = len(list(workspace.manifests.rglob("*.yaml")))
    _, plan = parses.during(workspace)
    cache = workspace.root / ".smartlive" / parse_cache.FILE_NAME
    cache.write_bytes(damage(cache.read_bytes()))
    assert parses.during(workspace) == (files, plan)
    assert len(cached_files(workspace)) == files, "rewritten whole"
    assert parses.during(workspace) == (0, plan)


def test_another_version_of_smartlive_reads_every_file_again(workspace: Workspace) -> None:
    parses = Parses(workspace.monkeypatch)
    files = len(list(workspace.manifests.rglob("*.yaml")))
    parses.during(workspace)
    workspace.monkeypatch.setattr(parse_cache, "__version__", "99.0.0")
    assert parses.during(workspace)[0] == files
    assert parses.during(workspace)[0] == 0


def test_files_parsed_in_forked_workers_are_cached_too(tmp_path: Path) -> None:
    from reconciler.manifest import load_manifests

    examples = Path(__file__).resolve().parents[2] / "examples"
    cold = load_manifests([examples], parallel=True, cache_dir=tmp_path)
    assert len(ParseCache.open(tmp_path).entries) == cold.files
    warm = load_manifests([examples], parallel=True, cache_dir=tmp_path)
    assert [str(r) for r in warm.resources] == [str(r) for r in cold.resources] and warm.ok


def test_a_cache_that_cannot_be_written_costs_only_the_speed_up(tmp_path: Path) -> None:
    from reconciler.manifest import load_manifests

    examples = Path(__file__).resolve().parents[2] / "examples"
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the cache directory would be")
    with_cache = load_manifests([examples], cache_dir=blocked)
    assert with_cache.ok and with_cache.files == load_manifests([examples]).files
    assert blocked.read_text() == "a file where the cache directory would be"
    assert [p.name for p in tmp_path.iterdir()] == ["not-a-directory"], "no temporary file left"
