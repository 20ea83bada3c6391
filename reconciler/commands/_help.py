"""What every `--help` ends with: examples a user can copy, one command line each.

`**examples(...)` goes into `add_parser(...)`: the epilog and the formatter that keeps its lines as
written (argparse's own formatter would run them together into one paragraph). Only argparse is
imported here: `smartlive plan --help` stays as light as tests/unit/test_startup.py pins it.
"""

from __future__ import annotations

import argparse
from typing import Any

#: The epilog's first line; tests/unit/test_help.py finds the examples under it.
HEADING = "examples:"


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, except for paragraphs holding indented lines (the examples), which are
    kept line for line. Other paragraphs of a description are still wrapped to the terminal."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for paragraph in text.split("\n\n"):
            if any(line.startswith(" ") for line in paragraph.splitlines()):
                paragraphs.append("\n".join(indent + line for line in paragraph.splitlines()))
            else:
                paragraphs.append(super()._fill_text(paragraph, width, indent))
        return "\n\n".join(paragraphs)


class DefaultsHelpFormatter(HelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The same, with each option's default after its help (emulator serve's many defaults)."""


#: Comments after the examples line up, unless a command is longer than this.
WIDEST_COMMAND = 64


def examples(*lines: str, show_defaults: bool = False) -> dict[str, Any]:
    """`add_parser` keywords for a help that ends with `lines`, each a command line and, after `  # `,
    what it does (the comments are lined up)."""
    split = [_split(line) for line in lines]
    width = min(WIDEST_COMMAND, max((len(command) for command, comment in split if comment), default=0))
    shown = [
        f"  {command.ljust(width)}  # {comment}" if comment else f"  {command}" for command, comment in split
    ]
    formatter = DefaultsHelpFormatter if show_defaults else HelpFormatter
    return {"epilog": "\n".join([HEADING, *shown]), "formatter_class": formatter}


def _split(line: str) -> tuple[str, str]:
    command, _, comment = line.partition("  # ")
    return command.rstrip(), comment.strip()
