"""The smartlive GitHub Action's step: `python -m reconciler.ci.github`, run by action.yml.

The action's inputs arrive as INPUT_* variables (action.yml maps each one: a composite action gets none by
itself, and a variable keeps an input's text out of the script, where it could inject commands). One
smartlive command runs as a child process, the installed CLI exactly as a workflow would run it, and
what it prints becomes what the runner reads:

- validate: annotations on the files (`::error file=F,line=L,col=C::...`, GitHub shows them on the pull
  request's diff) and a table of every diagnostic in the job summary (GitHub shows at most ten
  annotations of each severity per step);
- test: the results in the log and the summary;
- plan: `--detailed-exitcode` and `--out`: the Markdown plan in the summary and in a file for a pull
  request comment; changes are not a failure (output has-changes), an error is;
- apply: the saved plan when plan-file is given, else the manifests with --auto-approve; the
  per-action lines in the summary.

Outputs: exit-code (smartlive's own), has-changes (plan), plan-file, markdown-file (plan). The step
fails when smartlive failed, after writing its outputs and summary.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from reconciler import exitcodes
from reconciler.ci.runner import (
    RunnerError,
    append_summary,
    fenced,
    mask_command,
    set_outputs,
    table_cell,
)
from reconciler.manifest import CheckResult, Diagnostic
from reconciler.manifest.render import render_github
from reconciler.redaction import redact

COMMANDS = ("validate", "test", "plan", "apply")
#: Rows of the validate table in the summary; the log has every annotation.
SUMMARY_ROWS = 200
#: How much of a failed plan's standard error its Markdown file (a pull request comment) quotes.
ERROR_LINES = 20


#: plan and apply with the default store: a file in the job's checkout, gone when the job ends.
NO_STATE_WARNING = (
    "::warning title=smartlive action::no state input: the state store is .smartlive/state.db in this "
    "job's working directory, and it is lost when the job ends; give a shared store (state: "
    "${{ secrets.SMARTLIVE_STATE }}, e.g. postgresql://...) so that every run sees what earlier ones applied"
)


class InputError(Exception):
    """An input of the action that cannot be used as given."""


@dataclass(frozen=True)
class Inputs:
    """The action's inputs (action.yml), as the step's environment carries them."""

    command: str
    paths: list[str]
    stack: str = ""
    #: The environment of the project file (--env); "" for none (or its default_environment).
    environment: str = ""
    state: str = ""
    plan_file: str = ""
    markdown_file: str = ""
    args: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Inputs:
        def given(name: str) -> str:
            return env.get(f"INPUT_{name}", "").strip()

        command = given("COMMAND")
        if command not in COMMANDS:
            raise InputError(f"command must be one of {', '.join(COMMANDS)}, not {command!r}")
        try:
            # Several paths or arguments: separated by blanks or lines, quoted as a shell would.
            paths, args = shlex.split(given("PATHS")), shlex.split(given("ARGS"))
        except ValueError as exc:
            raise InputError(f"paths or args: {exc}") from None
        return cls(
            command=command,
            paths=paths or ["."],
            stack=given("STACK"),
            environment=given("ENVIRONMENT"),
            state=given("STATE"),
            plan_file=given("PLAN_FILE"),
            markdown_file=given("MARKDOWN_FILE"),
            args=args,
        )


@dataclass(frozen=True)
class Outcome:
    """What the step reports: smartlive's exit code, the step's own, its outputs, its summary."""

    smartlive_code: int
    outputs: dict[str, str]
    summary: str
    step_code: int | None = None

    @property
    def code(self) -> int:
        return self.smartlive_code if self.step_code is None else self.step_code


@dataclass(frozen=True)
class Finished:
    code: int
    out: str
    err: str


def run_smartlive(argv: Sequence[str], env: Mapping[str, str], *, echo: bool = True) -> Finished:
    """`smartlive ARGV` as a child process: its output reaches the log as it comes (standard output only
    when `echo`) and is kept for the summary."""
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *argv],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    assert process.stdout is not None and process.stderr is not None
    err_lines: list[str] = []
    # Standard error is read beside standard output: either one filling its pipe would stop the child.
    reader = threading.Thread(target=_pass_on, args=(process.stderr, sys.stderr, err_lines))
    reader.start()
    out_lines: list[str] = []
    _pass_on(process.stdout, sys.stdout if echo else None, out_lines)
    reader.join()
    return Finished(process.wait(), "".join(out_lines), "".join(err_lines))


def _pass_on(source: IO[str], sink: IO[str] | None, kept: list[str]) -> None:
    for line in source:
        kept.append(line)
        if sink is not None:
            sink.write(redact(line))
            sink.flush()


def _stack_args(inputs: Inputs) -> list[str]:
    return ["--stack", inputs.stack] if inputs.stack else []


def _env_args(inputs: Inputs) -> list[str]:
    return ["--env", inputs.environment] if inputs.environment else []


def _temp_file(env: Mapping[str, str], name: str) -> str:
    return os.path.join(env.get("RUNNER_TEMP") or os.getcwd(), name)


def _heading(command: str, inputs: Inputs) -> str:
    named = [f"stack `{table_cell(inputs.stack)}`"] if inputs.stack else []
    named += [f"environment `{table_cell(inputs.environment)}`"] if inputs.environment else []
    which = f" ({', '.join(named)})" if named else ""
    return f"### smartlive {command}{which}\n\n"


def validate(inputs: Inputs, env: Mapping[str, str]) -> Outcome:
    argv = ["validate", "--format", "json", *inputs.paths, *_env_args(inputs), *inputs.args]
    done = run_smartlive(argv, env, echo=False)
    try:
        diagnostics = [Diagnostic(**item) for item in json.loads(done.out)]
    except (ValueError, TypeError):
        # Not the JSON list (a usage error: its message went to standard error).
        sys.stdout.write(redact(done.out))
        summary = f"❌ smartlive validate could not run (exit code {done.code}); see the log."
        return Outcome(done.code, {"exit-code": str(done.code)}, _heading("validate", inputs) + summary)
    result = CheckResult(diagnostics=diagnostics)
    sys.stdout.write(render_github(result))
    return Outcome(done.code, {"exit-code": str(done.code)}, _validate_summary(inputs, result))


def _validate_summary(inputs: Inputs, result: CheckResult) -> str:
    errors, warnings = len(result.errors), len(result.warnings)
    counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    lines = [_heading("validate", inputs) + ("❌ " if errors else "✅ ") + counts]
    if result.diagnostics:
        lines += ["", "| where | severity | code | message |", "| --- | --- | --- | --- |"]
        for item in result.diagnostics[:SUMMARY_ROWS]:
            where = f"{item.file}:{item.line}:{item.column}"
            message = f"{item.message} (at {item.path})" if item.path else item.message
            lines.append(f"| `{table_cell(where)}` | {item.severity} | {item.code} | {table_cell(message)} |")
        if len(result.diagnostics) > SUMMARY_ROWS:
            lines.append(f"\n…and {len(result.diagnostics) - SUMMARY_ROWS} more: see the log.")
    return "\n".join(lines)


def rule_tests(inputs: Inputs, env: Mapping[str, str]) -> Outcome:
    done = run_smartlive(["test", *inputs.paths, *_env_args(inputs), *inputs.args], env)
    return Outcome(done.code, {"exit-code": str(done.code)}, _log_summary("test", inputs, done, "passed"))


def plan(inputs: Inputs, env: Mapping[str, str]) -> Outcome:
    plan_file = os.path.abspath(inputs.plan_file or _temp_file(env, "smartlive.plan"))
    markdown_file = os.path.abspath(inputs.markdown_file or _temp_file(env, "smartlive-plan.md"))
    argv = ["plan", *inputs.paths, "--format", "markdown", "--detailed-exitcode", "--out", plan_file]
    # Exit code 2 is also argparse's usage error (a bad `args` input): only a plan saved by this run
    # means "changes", so an older file there must not pass for it.
    Path(plan_file).unlink(missing_ok=True)
    done = run_smartlive([*argv, *_stack_args(inputs), *_env_args(inputs), *inputs.args], env)
    outputs = {"exit-code": str(done.code), "markdown-file": markdown_file}
    if done.code in (exitcodes.OK, exitcodes.CHANGES) and Path(plan_file).is_file():
        markdown = done.out
        outputs |= {"has-changes": str(done.code == exitcodes.CHANGES).lower(), "plan-file": plan_file}
        step_code = exitcodes.OK
    else:
        # The comment says the plan failed, and why, rather than keep showing an older plan.
        errors = done.err.strip().splitlines()[-ERROR_LINES:]
        markdown = f"**smartlive plan failed** (exit code {done.code}).\n\n{fenced(chr(10).join(errors))}\n"
        step_code = None
    Path(markdown_file).parent.mkdir(parents=True, exist_ok=True)
    Path(markdown_file).write_text(redact(markdown), encoding="utf-8")
    return Outcome(done.code, outputs, _heading("plan", inputs) + markdown, step_code)


def apply(inputs: Inputs, env: Mapping[str, str]) -> Outcome:
    if inputs.plan_file:
        # A saved plan carries its paths and options; apply refuses it when anything moved since.
        plan_file = os.path.abspath(inputs.plan_file)
        argv = ["apply", plan_file]
        outputs = {"plan-file": plan_file}
    else:
        argv = ["apply", *inputs.paths, "--auto-approve"]
        outputs = {}
    done = run_smartlive([*argv, *_stack_args(inputs), *_env_args(inputs), *inputs.args], env)
    summary = _log_summary("apply", inputs, done, "applied")
    return Outcome(done.code, {"exit-code": str(done.code), **outputs}, summary)


def _log_summary(command: str, inputs: Inputs, done: Finished, success: str) -> str:
    """The verdict, then what the command printed, as the log shows it."""
    verdict = f"✅ {success}" if done.code == exitcodes.OK else f"❌ failed (exit code {done.code})"
    return f"{_heading(command, inputs)}{verdict}\n\n{fenced(done.out + done.err)}"


RUNNERS: dict[str, Callable[[Inputs, Mapping[str, str]], Outcome]] = {
    "validate": validate,
    "test": rule_tests,
    "plan": plan,
    "apply": apply,
}


def child_env(inputs: Inputs, env: Mapping[str, str]) -> dict[str, str]:
    """The step's environment, with the state store's URL where smartlive reads it (not on a command
    line, where the log would show it); its password masked in the log first, if the workflow did not
    take the URL from a secret. A plan or apply with no shared store is warned about."""
    out = dict(env)
    if inputs.command in ("plan", "apply") and not (inputs.state or env.get("SMARTLIVE_STATE")):
        print(NO_STATE_WARNING, flush=True)
    if inputs.state:
        password = urlsplit(inputs.state).password
        if password:
            print(mask_command(password), flush=True)
        out["SMARTLIVE_STATE"] = inputs.state
    return out


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    try:
        inputs = Inputs.from_env(env)
        outcome = RUNNERS[inputs.command](inputs, child_env(inputs, env))
        set_outputs(env, outcome.outputs)
        append_summary(env, outcome.summary)
    except (InputError, RunnerError) as exc:
        print(f"::error title=smartlive action::{exc}", flush=True)
        return exitcodes.USAGE
    return outcome.code


if __name__ == "__main__":
    raise SystemExit(main())
