"""Every `--help`, the command's and each subcommand's, ends with examples a user can copy, and each
example is a command line smartlive accepts (reconciler/commands/_help.py)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from reconciler import cli
from reconciler.commands._help import HEADING
from tests.shell_lines import smartlive_commands


def parsers(
    parser: argparse.ArgumentParser, name: str = "smartlive"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """`parser` and every parser under it, by the command line that reaches it."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for word, child in action.choices.items():
                yield from parsers(child, f"{name} {word}")


ALL = dict(parsers(cli.build_parser()))


def examples(help_text: str) -> list[str]:
    """The lines under the help's `examples:` heading."""
    lines = help_text.split(f"\n{HEADING}\n", 1)[1].splitlines()
    return [line.strip() for line in lines if line.startswith("  ")]


def test_every_command_and_subcommand_is_walked() -> None:
    commands = {name.split()[1] for name in ALL if name != "smartlive"}
    assert commands == {m.replace("_cmd", "") for m in cli.command_modules()}
    assert {"smartlive state list", "smartlive events report", "smartlive emulator serve"} <= set(ALL)


@pytest.mark.parametrize("name", sorted(ALL))
def test_help_ends_with_examples(name: str) -> None:
    help_text = ALL[name].format_help()
    assert f"\n{HEADING}\n" in help_text, f"`{name} --help` has no examples"
    shown = examples(help_text)
    assert shown, f"`{name} --help` has an empty examples section"
    # Each on its own line, as written: argparse's own formatter would have run them together.
    assert all(len(list(smartlive_commands(line))) == 1 for line in shown), shown


@pytest.mark.parametrize("name", sorted(ALL))
def test_each_example_is_accepted(name: str) -> None:
    for example in examples(ALL[name].format_help()):
        for argv in smartlive_commands(example):
            if "COMMAND" in argv:
                continue  # the top-level help's `smartlive COMMAND --help`
            try:
                cli.build_parser(argv).parse_args(argv)
            except SystemExit as exc:  # argparse's usage error
                assert not exc.code, f"`{example}` (in `{name} --help`) is refused"
