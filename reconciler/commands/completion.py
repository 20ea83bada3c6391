"""`smartlive completion bash|zsh|fish`: print the shell code that completes smartlive's command line.

The code is argcomplete's (it speaks all three shells): at each TAB the shell runs `smartlive` again with
_ARGCOMPLETE set, and cli.main answers from the very parser that runs the commands (`complete` below),
so the completions never fall behind a new command or option. argcomplete is imported only then, or to
print the script: discovering this module costs the other commands nothing.
"""

from __future__ import annotations

import argparse
import os
import sys

from reconciler import exitcodes
from reconciler.commands._help import examples

ORDER = 95
SHELLS = ("bash", "zsh", "fish")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or fish)",
        description=(
            "Print the code that makes SHELL complete smartlive's commands, options and choices. "
            'bash: add `eval "$(smartlive completion bash)"` to ~/.bashrc; zsh: the same line in ~/.zshrc, '
            "after compinit; fish: `smartlive completion fish > ~/.config/fish/completions/smartlive.fish`."
        ),
        **examples(
            'eval "$(smartlive completion bash)"                                # in ~/.bashrc',
            'eval "$(smartlive completion zsh)"                                 # in ~/.zshrc, after compinit',
            "smartlive completion fish > ~/.config/fish/completions/smartlive.fish",
        ),
    )
    parser.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from argcomplete.shell_integration import shellcode

    sys.stdout.write(shellcode(["smartlive"], shell=args.shell))
    return exitcodes.OK


def words_typed() -> list[str]:
    """The whole words before the one being completed, without the program's name, for build_parser:
    once a command's name is typed, only its module is loaded (a TAB after `smartlive plan ` costs what
    `plan --help` does, a third of loading every command); while it is being typed, every command is."""
    line = os.environ.get("COMP_LINE", "")
    before_cursor = line[: int(os.environ.get("COMP_POINT", len(line)))]
    words = before_cursor.split()[1:]
    return words if before_cursor[-1:].isspace() else words[:-1]


def complete(parser: argparse.ArgumentParser) -> None:
    """Write the completions of the command line the shell sent (COMP_LINE) where the script reads them,
    then end the process: nothing of the command runs."""
    import argcomplete

    # Options only once a "-" is typed, as git and most CLIs complete: a bare TAB lists the words a
    # command line goes on with (commands, choices, files).
    argcomplete.autocomplete(parser, always_complete_options=False)
