"""Command-line entry point: parse arguments, dispatch to a command module, map errors to exit codes.

No logic lives here; each command is a module in reconciler/commands/ with a `register` function.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO, cast

from reconciler import __version__, commands, exitcodes
from reconciler.commands._help import examples
from reconciler.errors import UserError
from reconciler.heap import importing
from reconciler.redaction import RedactingStream
from reconciler.startup import skip_httpx_cli

#: Set by `smartlive completion`'s script when the shell asks for completions (argcomplete's protocol).
COMPLETION_REQUEST = "_ARGCOMPLETE"


def command_modules() -> list[str]:
    """Every module in reconciler/commands/ is a command; `--help` lists them by their ORDER.

    Command modules import their heavy dependencies inside the handler, so that discovering them all
    costs little and `smartlive validate` starts fast.
    """
    return [info.name for info in pkgutil.iter_modules(commands.__path__) if not info.name.startswith("_")]


def module_of(command: str) -> str | None:
    """The command module that registers `command`: named after it, with `_cmd` after a Python keyword
    (`import` is import_cmd.py). None for a word that names no command."""
    names = command_modules()
    for name in (command, f"{command}_cmd"):
        if name in names:
            return name
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`: when it starts with a command, only that command's module is imported
    (what `smartlive validate` loads is then validate's, not plan's renderers or the state store's
    schema); otherwise (`--help`, a typo, no argv) every command, so the usage lists them all."""
    parser = argparse.ArgumentParser(
        prog="smartlive",
        description="Declarative plan/apply for MetaStudio smart-live interaction rules and live jobs.",
        **examples(
            "smartlive validate examples/                        # check the manifests, offline",
            "smartlive plan examples/ --local                    # what would change (embedded emulator)",
            "smartlive apply examples/ --local --auto-approve    # make it so",
            "smartlive COMMAND --help                            # each command's options and examples",
        ),
    )
    parser.add_argument("--version", action="version", version=f"smartlive {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    chosen = module_of(argv[0]) if argv else None
    names = [chosen] if chosen is not None else command_modules()
    modules = [importlib.import_module(f"reconciler.commands.{name}") for name in names]
    for module in sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.__name__)):
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    skip_httpx_cli()
    # Every line any command prints passes through the redaction (a service may echo a secret back).
    with redacted_output():
        return _run(argv)


@contextmanager
def redacted_output() -> Iterator[None]:
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = cast(TextIO, RedactingStream(stdout))
    sys.stderr = cast(TextIO, RedactingStream(stderr))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _run(argv: Sequence[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if COMPLETION_REQUEST in os.environ:
        # The shell's TAB, not a command (reconciler/commands/completion.py); the process ends there.
        from reconciler.commands.completion import complete, words_typed

        complete(build_parser(words_typed()))
    with importing():
        parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED
    except BrokenPipeError:
        # `smartlive plan | head` closes our stdout early; that is not an error of ours.
        return exitcodes.OK
    return code
