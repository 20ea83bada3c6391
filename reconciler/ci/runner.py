"""What a GitHub Actions runner reads from a step: outputs ($GITHUB_OUTPUT), the job summary
($GITHUB_STEP_SUMMARY) and workflow commands on standard output (`::add-mask::`).

Every text written here passes through the redaction the CLI's output passes through (reconciler/
redaction.py): the step repeats what smartlive printed, and a summary is read by everyone who can read
the pull request.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from pathlib import Path

from reconciler.redaction import redact


class RunnerError(Exception):
    """The step was not run the way a runner runs it (a file variable is missing)."""


def _file_of(env: Mapping[str, str], variable: str) -> Path:
    value = env.get(variable)
    if not value:
        raise RunnerError(f"{variable} is not set: this step runs in a GitHub Actions job (action.yml)")
    return Path(value)


def set_outputs(env: Mapping[str, str], outputs: Mapping[str, str]) -> None:
    """Append `outputs` to the step's output file, in the runner's `name=value` form; a value holding a
    line break in its `name<<DELIMITER` form, with a delimiter the value cannot contain."""
    lines = []
    for name, value in outputs.items():
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{secrets.token_hex(8)}"
            lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{name}={value}\n")
    with _file_of(env, "GITHUB_OUTPUT").open("a", encoding="utf-8") as out:
        out.write(redact("".join(lines)))


def append_summary(env: Mapping[str, str], markdown: str) -> None:
    """Add `markdown` to the job summary (several steps, or the same action run twice, each add theirs)."""
    with _file_of(env, "GITHUB_STEP_SUMMARY").open("a", encoding="utf-8") as out:
        out.write(redact(markdown).rstrip("\n") + "\n\n")


def mask_command(value: str) -> str:
    """`::add-mask::VALUE`: the runner hides VALUE from the rest of the job's log (printed to stdout)."""
    return f"::add-mask::{value}"


def fenced(text: str, info: str = "text") -> str:
    """`text` as a Markdown code block whose fence no run of backticks inside it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}"


def table_cell(text: str) -> str:
    """`text` as the plain text of one Markdown table cell: no HTML, no column break, no line break."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return " ".join(escaped.split())
