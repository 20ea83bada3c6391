"""Start-up imports only what a command uses (issue 12, item 4): `smartlive validate` never loads the HTTP
stack, the state stores, asyncio or plan's renderers; `smartlive plan --help` not even asyncio, pydantic or
YAML; a plan against the local emulator not aiohttp, and no command httpx's own command-line client. What
a command imports is frozen out of the garbage collector's passes (reconciler/startup.py). Each case runs
in a fresh interpreter, because this test process has imported everything already.
benchmarks/startup.py measures the time these save."""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler import cli, exitcodes
from reconciler.heap import importing

REPO = Path(__file__).resolve().parents[2]

#: Loaded by no command that is not about to talk HTTP or open a state store.
NETWORK_AND_STATE = ("aiohttp", "httpx", "httpx_aiohttp", "ssl", "asyncio", "reconciler.cloud.http",
                     "reconciler.state.sqlite", "reconciler.state.postgres", "sqlite3")  # fmt: skip
#: Loaded by no command on these paths: other commands' renderers, httpx's command-line client (click,
#: pygments, rich), the JSON Schema and round-trip YAML libraries, the official SDK.
NEVER_AT_START = ("rich", "click", "pygments", "httpx._main", "jsonschema", "ruamel", "huaweicloudsdkcore",
                  "huaweicloudsdkmetastudio")  # fmt: skip

PROBE = """
import gc, json, sys
from reconciler.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code or 0
modules = sorted(name for name, module in sys.modules.items() if module is not None)
report = {"code": code, "modules": modules, "frozen": gc.get_freeze_count(), "gc_enabled": gc.isenabled()}
api = sys.modules.get("reconciler.api.models")
if api is not None:
    classes = [c for c in vars(api).values() if isinstance(c, type) and issubclass(c, api.BaseModel)]
    report["api_models"] = [sum(c.__pydantic_complete__ for c in classes), len(classes)]
sys.__stdout__.write("\\n" + json.dumps(report))
"""


@dataclass(frozen=True)
class Probe:
    code: int
    modules: set[str]
    #: Objects gc.freeze() left out of the collector's passes by the end of the command.
    frozen: int
    gc_enabled: bool
    #: (built, declared): reconciler.api.models's classes whose validator was built, of all of them.
    api_models: tuple[int, int] | None


def run_probe(*argv: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> Probe:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    # The command's own output comes first on stdout; the report is the last line.
    report = json.loads(done.stdout.splitlines()[-1])
    api_models = tuple(report["api_models"]) if "api_models" in report else None
    return Probe(report["code"], set(report["modules"]), report["frozen"], report["gc_enabled"], api_models)


def modules_loaded_by(*argv: str) -> set[str]:
    """The modules `smartlive ARGV` loads, run in the repository (tests/unit/test_completion.py too)."""
    return run_probe(*argv).modules


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules for name in names if m == name or m.startswith(name + "."))


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A working directory holding a copy of examples/: a plan writes .smartlive/ where it runs."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return tmp_path


def test_validate_loads_neither_the_network_nor_the_state_store_nor_other_commands() -> None:
    probe = run_probe("validate", "examples/")
    assert "reconciler.manifest.validation" in probe.modules, "the probe ran validate"
    assert loaded(probe.modules, NETWORK_AND_STATE) == []
    assert loaded(probe.modules, ("reconciler.commands.plan", "reconciler.render", "reconciler.state")) == []
    assert loaded(probe.modules, (*NEVER_AT_START, "deepdiff")) == []
    # reconciler.api.models stays: the manifests' types are the API's (a room's video_config is the
    # service's VideoConfig), so validating them needs the models. Only a few are built (defer_build):
    # the manifests' models include the request objects they embed, and no response is read.
    assert probe.api_models is not None
    built, declared = probe.api_models
    assert declared > 80
    assert built < declared // 10


def test_plan_help_loads_no_asyncio_model_yaml_or_network_module() -> None:
    probe = run_probe("plan", "--help")
    assert "reconciler.commands.plan" in probe.modules, "the probe ran plan --help"
    heavy = ("pydantic", "yaml", "reconciler.api.models", "reconciler.manifest", "reconciler.state.base")
    assert loaded(probe.modules, (*heavy, *NETWORK_AND_STATE, *NEVER_AT_START)) == []
    assert loaded(probe.modules, ("reconciler.commands.validate", "reconciler.commands.apply")) == []


def test_a_local_plan_loads_neither_aiohttp_nor_what_it_does_not_print(examples: Path) -> None:
    """--local sends its requests to the emulator in-process: the network transport is never made; a plan
    not saved (no --out) does not load the saved plan's models."""
    probe = run_probe("plan", "examples/", "--local", cwd=examples)
    assert probe.code == exitcodes.OK
    assert "reconciler.emulator.local" in probe.modules, "the probe planned against the emulator"
    assert loaded(probe.modules, ("aiohttp", "httpx_aiohttp", "reconciler.cloud.transport")) == []
    assert loaded(probe.modules, (*NEVER_AT_START, "reconciler.runs.planfile")) == []


def test_a_plan_that_stops_before_its_first_request_loads_no_network_transport(tmp_path: Path) -> None:
    """The transport to a real endpoint (aiohttp, TLS) is made for the first request: a plan whose
    manifests do not load never pays for it."""
    (tmp_path / "broken.yaml").write_text("apiVersion: smartlive/v1\nkind: InteractionRuleGroup\n")
    probe = run_probe(
        "plan",
        "broken.yaml",
        # Port 9 (discard): nothing may be sent there; the plan must stop before.
        "--endpoint",
        "http://127.0.0.1:9",
        cwd=tmp_path,
        env={"SMARTLIVE_AUTH_TOKEN": "not-a-token", "HUAWEICLOUD_SDK_PROJECT_ID": "p"},
    )
    assert probe.code == exitcodes.ERROR
    assert "reconciler.cloud.http" in probe.modules, "the probe got as far as the API client"
    assert loaded(probe.modules, ("aiohttp", "httpx_aiohttp", "reconciler.cloud.transport")) == []


@pytest.mark.parametrize("argv", [("validate", "examples/"), ("plan", "--help")])
def test_what_a_command_imported_is_frozen_and_the_collector_is_back_on(argv: tuple[str, ...]) -> None:
    probe = run_probe(*argv)
    assert probe.gc_enabled
    # Most of what the command imported: the interpreter's start alone (site, encodings) is not frozen.
    assert probe.frozen > 10_000


def test_importing_restores_the_collector_and_freezes_nothing_when_nothing_is_imported() -> None:
    """This process has imported everything: a second run of a command must not freeze its garbage."""
    frozen = gc.get_freeze_count()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), importing():
        assert not gc.isenabled()
        import reconciler.cli  # noqa: F401  (loaded already)

        raise RuntimeError("a failed import")
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
    gc.disable()
    try:
        with importing():
            pass
        assert not gc.isenabled(), "a collector that was off stays off"
    finally:
        gc.enable()


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
