"""Start-up imports only what a command uses (issue 12, item 4): `smartlive validate` never loads the HTTP
stack, the state stores, asyncio or plan's renderers; `smartlive plan --help` not even pydantic or YAML.
Each case runs in a fresh interpreter, because this test process has imported everything already."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler import cli

REPO = Path(__file__).resolve().parents[2]

#: Loaded by no command that is not about to talk HTTP or open a state store.
NETWORK_AND_STATE = ("aiohttp", "httpx", "httpx_aiohttp", "ssl", "asyncio", "reconciler.cloud.http",
                     "reconciler.state.sqlite", "reconciler.state.postgres")  # fmt: skip

PROBE = """
import json, sys
from reconciler.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.__stdout__.write(json.dumps(sorted(sys.modules)))
"""


def modules_loaded_by(*argv: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=REPO, capture_output=True, text=True, check=True
    )
    # The command's own output comes first on stdout; the module list is the last line's JSON.
    return set(json.loads(done.stdout[done.stdout.rindex("[") :]))


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules for name in names if m == name or m.startswith(name + "."))


def test_validate_loads_neither_the_network_nor_the_state_store_nor_other_commands() -> None:
    modules = modules_loaded_by("validate", "examples/")
    assert "reconciler.manifest.validation" in modules, "the probe ran validate"
    assert loaded(modules, NETWORK_AND_STATE) == []
    assert loaded(modules, ("reconciler.commands.plan", "reconciler.render", "reconciler.state")) == []
    # reconciler.api.models stays: the manifests' types are the API's (a room's video_config is the
    # service's VideoConfig), so validating them needs the models.


def test_plan_help_loads_no_model_yaml_or_network_module() -> None:
    modules = modules_loaded_by("plan", "--help")
    assert "reconciler.commands.plan" in modules, "the probe ran plan --help"
    heavy = ("pydantic", "yaml", "reconciler.api.models", "reconciler.manifest", "aiohttp", "httpx")
    assert loaded(modules, heavy) == []
    assert loaded(modules, ("reconciler.commands.validate", "reconciler.commands.apply")) == []


def test_every_command_module_is_found_from_its_command_name() -> None:
    """A command's module is loaded alone only if module_of finds it from the name it registers."""
    for name in cli.command_modules():
        parser = argparse.ArgumentParser()
        subparsers = parser.add_subparsers()
        importlib.import_module(f"reconciler.commands.{name}").register(subparsers)
        assert [cli.module_of(command) for command in subparsers.choices] == [name]
    assert cli.module_of("no-such-command") is None


@pytest.mark.parametrize("argv", [["--help"], ["nonsense"]])
def test_without_a_command_every_command_is_listed(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        cli.main(argv)
    out = capsys.readouterr()
    for command in ("validate", "plan", "apply", "import", "state", "emulator"):
        assert command in out.out + out.err
