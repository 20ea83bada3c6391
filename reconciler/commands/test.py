"""`smartlive test PATH...`: run the InteractionRuleTest documents offline against the rule groups.

Rule groups and tests are loaded from the same paths (files or directories, as `validate` reads them).
Prints one line per test and, for each failed expectation, `FILE:LINE: test: event N at +T s: ...`,
then a summary. Exit 0 when every test passes, 1 when one fails or cannot run or a manifest does not
load, 2 for a usage error. `--junit FILE` also writes JUnit XML (reconciler/runs/junit.py).
"""

from __future__ import annotations

import argparse
import sys

from reconciler import exitcodes
from reconciler.commands._environment import add_environment_argument, use_environment
from reconciler.commands._help import examples

ORDER = 75


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "test",
        help="run InteractionRuleTest documents offline against the rule groups",
        description=(
            "Run the InteractionRuleTest documents found under PATH against the InteractionRuleGroups "
            "found there, with the rule engine the emulator uses; no network. Exit 0 when all pass, "
            "1 when a test fails or a manifest does not load, 2 for a usage error."
        ),
        **examples(
            "smartlive test examples/                                        # every test under examples/",
            "smartlive test manifests/ --junit test-results.xml -k welcome  # tests named *welcome*, JUnit XML",
        ),
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="manifest files or directories (rule groups and tests; default: the `paths` of smartlive.yaml)",
    )
    add_environment_argument(parser)
    parser.add_argument("--junit", metavar="FILE", help="also write the results as JUnit XML to FILE")
    parser.add_argument("-k", dest="name", metavar="TEXT", help="run only the tests whose name contains TEXT")
    parser.add_argument("-q", "--quiet", action="store_true", help="print failures and the summary only")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: the other commands do not pay for the engine, pydantic and libyaml.
    from reconciler.manifest import load_manifests
    from reconciler.runs.junit import write_junit
    from reconciler.runs.rule_tests import run_tests, split_errors, tests_of

    selection = use_environment(args)
    loaded = load_manifests(args.paths, variables=selection.variables())
    tests = tests_of(loaded)
    if args.name:
        tests = [test for test in tests if args.name in test.name]
    blocking, unrelated = split_errors(loaded, tests)
    load_errors = [str(diagnostic) for diagnostic in blocking]
    for line in load_errors:
        print(line)
    if unrelated:
        # A job's http:// callback URL does not change what a rule answers: `validate` is its gate.
        print(
            f"note: {len(unrelated)} manifest errors in documents no test uses (smartlive validate lists them)"
        )
    if not tests:
        where = f" matching -k {args.name!r}" if args.name else ""
        print(f"error: no InteractionRuleTest{where} in {' '.join(args.paths)}", file=sys.stderr)
        return exitcodes.ERROR

    results = run_tests(loaded, tests)
    for result in results:
        where = f"{result.file}:{result.line}"
        if result.error is not None:
            print(f"ERROR {result.name} ({where})")
            print(result.error)
        elif result.failures:
            print(
                f"FAIL  {result.name} ({where}): {len(result.failures)} of {result.checked} expectations failed"
            )
            for failure in result.failures:
                print(failure)
        elif not args.quiet:
            print(f"ok    {result.name} ({where}): {result.checked} expectations")

    passed = sum(1 for r in results if r.passed)
    failed = sum(1 for r in results if r.failures and r.error is None)
    errors = sum(1 for r in results if r.error is not None)
    checked = sum(r.checked for r in results)
    summary = f"{len(results)} tests: {passed} passed, {failed} failed, {errors} could not run ({checked} expectations)"
    if load_errors:
        summary += f"; {len(load_errors)} manifest errors"
    print(summary)
    if args.junit:
        try:
            write_junit(args.junit, results, load_errors)
        except OSError as exc:
            print(f"error: cannot write {args.junit}: {exc.strerror or exc}", file=sys.stderr)
            return exitcodes.ERROR
    return exitcodes.OK if passed == len(results) and not load_errors else exitcodes.ERROR
