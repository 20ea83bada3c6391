"""The smartlive commands in a line of shell, as documentation and `--help` examples write them: pipes,
`&&`, redirections, `VAR=value` prefixes and `eval "$(smartlive ...)"` taken apart, comments dropped."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

SEPARATORS = ("|", "||", "&&", ";")
REDIRECTIONS = (">", ">>", "<")


def smartlive_commands(line: str) -> Iterator[list[str]]:
    """The argv (after `smartlive`) of each smartlive command `line` runs."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    words: list[str] = []
    for word in [*lexer, ";"]:
        if word in SEPARATORS or word in REDIRECTIONS:
            yield from _command(words)
            words = ["(redirection)"] if word in REDIRECTIONS else []
        else:
            words.append(word)


def _command(words: list[str]) -> Iterator[list[str]]:
    while words and "=" in words[0] and not words[0].startswith("-"):
        words = words[1:]  # VAR=value before the command
    if words[:1] == ["eval"] and len(words) == 2 and words[1].startswith("$("):
        yield from smartlive_commands(words[1].removeprefix("$(").removesuffix(")"))
    elif words[:1] == ["smartlive"]:
        yield words[1:]
