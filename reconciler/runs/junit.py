"""JUnit XML for `smartlive test --junit FILE`: what CI systems (GitLab, Jenkins, GitHub reporters) read.

One <testsuite> per manifest file and one <testcase> per InteractionRuleTest document (classname: the
rule group, name: the test). A test document is the unit a team writes and names; its failed
expectations, each with file:line, make up the <failure> text, so one broken rule reads as one failed
case with every event it broke. A test that cannot run (unknown group) is an <error>; manifests that do
not load are reported as one more errored case, `manifests`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from reconciler.runs.rule_tests import TestResult


def _seconds(value: float) -> str:
    return f"{value:.6f}"


def junit_xml(results: Sequence[TestResult], load_errors: Sequence[str] = ()) -> bytes:
    root = ET.Element("testsuites", name="smartlive test")
    by_file: dict[str, list[TestResult]] = {}
    for result in results:
        by_file.setdefault(result.file, []).append(result)
    if load_errors:
        suite = ET.SubElement(
            root, "testsuite", name="manifests", tests="1", failures="0", errors="1", time="0"
        )
        case = ET.SubElement(suite, "testcase", classname="smartlive", name="manifests", time="0")
        error = ET.SubElement(
            case, "error", message=f"{len(load_errors)} manifest errors", type="ManifestError"
        )
        error.text = "\n".join(load_errors)
    for file, group in by_file.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=file,
            tests=str(len(group)),
            failures=str(sum(1 for r in group if r.failures and r.error is None)),
            errors=str(sum(1 for r in group if r.error is not None)),
            time=_seconds(sum(r.seconds for r in group)),
        )
        for result in group:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=result.group,
                name=result.name,
                file=result.file,
                line=str(result.line),
                time=_seconds(result.seconds),
            )
            if result.error is not None:
                error = ET.SubElement(case, "error", message=result.error.message, type="CannotRun")
                error.text = str(result.error)
            elif result.failures:
                message = f"{len(result.failures)} of {result.checked} expectations failed"
                failure = ET.SubElement(case, "failure", message=message, type="ExpectationFailed")
                failure.text = "\n".join(str(f) for f in result.failures)
    totals = {
        "tests": sum(1 for _ in results) + (1 if load_errors else 0),
        "failures": sum(1 for r in results if r.failures and r.error is None),
        "errors": sum(1 for r in results if r.error is not None) + (1 if load_errors else 0),
    }
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", _seconds(sum(r.seconds for r in results)))
    ET.indent(root)
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text + b"\n"


def write_junit(path: str | Path, results: Sequence[TestResult], load_errors: Sequence[str] = ()) -> None:
    Path(path).write_bytes(junit_xml(results, load_errors))
