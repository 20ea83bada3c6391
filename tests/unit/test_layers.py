"""The layering docs/design.md ("How it is built") promises, checked on the source: lower layers never import
higher ones, no module outside reconciler/kinds names a built-in kind, and validate's start-up does
not load the HTTP stack."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "reconciler"
#: Layer -> the packages it must never import.
FORBIDDEN = {
    "api": (
        "reconciler.manifest",
        "reconciler.cloud",
        "reconciler.state",
        "reconciler.engine",
        "reconciler.kinds",
        "reconciler.runs",
    ),
    "cloud": ("reconciler.engine", "reconciler.kinds", "reconciler.runs", "reconciler.state"),
    "state": ("reconciler.engine", "reconciler.kinds", "reconciler.runs", "reconciler.cloud"),
    "manifest": ("reconciler.engine", "reconciler.kinds", "reconciler.runs", "reconciler.cloud"),
    "engine": ("reconciler.kinds", "reconciler.runs", "reconciler.commands"),
    "render": ("reconciler.kinds", "reconciler.runs", "reconciler.commands"),
}
KIND_NAMES = ("InteractionRuleGroup", "SmartLiveRoom", "SmartLiveJob", "InteractionRuleTest")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_never_imports_a_layer_above_it(layer: str) -> None:
    offending = [
        f"{path.relative_to(PACKAGE)} imports {module}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for module in imports_of(path)
        if module.startswith(FORBIDDEN[layer])
    ]
    assert offending == []


def test_no_module_outside_the_kinds_branches_on_a_kind_name() -> None:
    """Kind names may appear in prose (docstrings, help texts); never as a string compared in code."""
    offending = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ("kinds", "emulator", "api"):
            continue  # the kinds themselves; the emulator and the wire models speak the API's own names
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                for side in (node.left, *node.comparators):
                    if isinstance(side, ast.Constant) and side.value in KIND_NAMES:
                        offending.append(f"{relative}:{node.lineno}")
    assert offending == []


def test_loading_the_kinds_does_not_load_the_http_stack() -> None:
    code = "import sys, reconciler.kinds; print(sorted(m for m in ('httpx', 'aiohttp') if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
