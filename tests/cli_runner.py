"""The real CLI, run in this process the way a user runs it: its exit code (argparse's usage errors
included) and what it printed. One runner for every test package; an exception escaping `main` (a
traceback) fails the test that caused it."""

from __future__ import annotations

import os
from contextlib import chdir, nullcontext, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from io import StringIO

from reconciler import cli


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("error:")]


def run_cli(*argv: str, cwd: str | os.PathLike[str] | None = None) -> Result:
    """`smartlive ARGV`, in `cwd` when given (the default stack is named after the working directory)."""
    out, err = StringIO(), StringIO()
    with chdir(cwd) if cwd is not None else nullcontext(), redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli.main(list(argv))
        except SystemExit as exc:  # argparse's usage errors
            code = int(exc.code or 0)
    return Result(code, out.getvalue(), err.getvalue())
