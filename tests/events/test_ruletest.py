"""`smartlive test`: InteractionRuleTest documents run offline; failures at file:line; JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.events.engine import Event, RuleEngine
from reconciler.kinds.rule_group import RuleGroupManifest
from reconciler.manifest import load_manifests
from reconciler.runs.rule_tests import run_tests

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

GROUP = """\
apiVersion: smartlive/v1
kind: InteractionRuleGroup
metadata: {name: greet}
spec:
  interaction_rules:
    - rule_name: vip
      event_type: 2
      hit_condition:
        priority: 10
        tags: [{tag: user.level, operation: NONE, match: MATH_GE, value: "20"}]
      trigger: {time_window: 10, reply_texts: [hi VIP]}
    - rule_name: anyone
      event_type: 2
      trigger: {reply_order: RANDOM, reply_texts: [a, b, c, d, e]}
    - rule_name: fallback
      event_type: 1
      hit_condition: {relation: RESERVED}
      trigger: {reply_texts: [sorry?]}
"""


def document(events: str, name: str = "t", extra: str = "") -> str:
    return f"""\
apiVersion: smartlive/v1
kind: InteractionRuleTest
metadata: {{name: {name}}}
spec:
  group: greet
{extra}  events:
{events}"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["test", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, test: str) -> Path:
    (tmp_path / "group.yaml").write_text(GROUP, encoding="utf-8")
    path = tmp_path / "test.yaml"
    path.write_text(test, encoding="utf-8")
    return path


VIP = "content: {user: {userId: '1', level: 25}}"
GUEST = "content: {user: {userId: '2', level: 1}}"


def test_the_examples_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(EXAMPLES))
    assert code == 0, out
    assert "9 tests: 9 passed, 0 failed, 0 could not run" in out
    tests = load_manifests([EXAMPLES]).of_kind("InteractionRuleTest")
    for group in ("welcome", "gift-thanks", "faq", "like-milestones", "product-popup"):
        assert group in {test.spec.group for test in tests}
    # And a room's rules, as its jobs run them (the demo's comments).
    assert "flagship-store" in {test.spec.room for test in tests}


def test_validate_accepts_the_example_tests(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLES)]) == 0
    assert " 0 errors, 0 warnings" in capsys.readouterr().out


def test_times_relative_absolute_and_repeats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = f"""\
    - {{at: 0, type: entry, {VIP}, expect: {{rule: vip, replies: [hi VIP]}}}}
    - {{at: "+9.999s", type: entry, {VIP}, expect: {{rule: anyone, suppressed: [vip]}}}}
    - {{at: "10s", type: entry, {VIP}, expect: {{rule: vip}}}}
    - {{at: "+500ms", type: 2, {VIP}, repeat: 3, every: "4s", expect: {{rule: anyone}}}}
    - {{timestamp: "2023-11-14T22:13:40.5Z", type: 2, {VIP}, expect: {{rule: vip}}}}
    - {{type: comment, content: {{user: {{userId: '3'}}, content: '?'}}, expect: {{rule: fallback, fallback: true}}}}
"""
    path = write(tmp_path, document(events))
    code, out, _ = run(capsys, str(tmp_path))
    # 10.5 s, 14.5 s, 18.5 s: inside the window of 10 s; 2023-11-14T22:13:40.5Z is start + 20.5 s.
    assert code == 0, out
    assert out.splitlines()[0] == f"ok    t ({path}:1): 8 expectations"


def test_failures_name_the_file_and_line_of_the_expectation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = f"""\
    - at: 0
      type: entry
      {VIP}
      expect: {{rule: anyone}}
    - at: 1
      type: entry
      {GUEST}
      expect: {{rule: null}}
    - at: 2
      type: entry
      {GUEST}
      expect: {{replies: [nope]}}
    - at: 3
      type: entry
      {VIP}
      expect: {{rule: null, suppressed: []}}
    - at: 4
      type: entry
      {GUEST}
      repeat: 2
      expect: {{rule: vipp}}
"""
    path = write(tmp_path, document(events))
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 1
    assert out.splitlines() == [
        f"FAIL  t ({path}:1): 6 of 6 expectations failed",
        f"{path}:10: t: event 1 at +0 s: expected rule 'anyone' to fire, got: rule 'vip' fired, reply 'hi VIP'",
        f"{path}:14: t: event 2 at +1 s: expected no rule to fire, got: rule 'anyone' fired, reply 'e'",
        f"{path}:18: t: event 3 at +2 s: expected a reply among ['nope'], got 'd' (rule 'anyone' fired)",
        f"{path}:22: t: event 4 at +3 s: expected no rule to fire, got: rule 'anyone' fired (inside time_window: vip), reply 'e'",
        f"{path}:27: t: event 5 (repeat 1 of 2) at +4 s: expect names rule 'vipp', which group 'greet' does not have (rules: anyone, fallback, vip)",
        f"{path}:27: t: event 5 (repeat 2 of 2) at +4 s: expect names rule 'vipp', which group 'greet' does not have (rules: anyone, fallback, vip)",
        "1 tests: 0 passed, 1 failed, 0 could not run (6 expectations)",
    ]


def test_random_replies_replay_with_the_seed(tmp_path: Path) -> None:
    events = f"    - {{at: 0, type: entry, {GUEST}, repeat: 20, expect: {{rule: anyone}}}}\n"

    def replies(seed: int) -> list[str]:
        write(tmp_path, document(events, extra=f"  seed: {seed}\n"))
        loaded = load_manifests([tmp_path])
        group = loaded.of_kind(RuleGroupManifest)[0]
        engine = RuleEngine(group.interaction_rules, seed=seed)
        return [str(o.reply.text) for o in (engine.evaluate(e) for e in _entries(20)) if o.reply]

    assert replies(3) == replies(3)
    assert replies(3) != replies(4)
    # smartlive test itself: the same document passes the same way twice
    assert [r.passed for r in run_tests(load_manifests([tmp_path]))] == [True]


def _entries(count: int) -> list[Event]:
    return [Event.of(2, 1_700_000_000_000, {"user": {"userId": "2", "level": 1}}) for _ in range(count)]


def test_an_unknown_group_cannot_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        document(f"    - {{type: entry, {VIP}, expect: {{rule: vip}}}}\n").replace(
            "group: greet", "group: greeet"
        ),
    )
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 1
    assert out.splitlines()[:2] == [
        f"ERROR t ({path}:1)",
        f"{path}:5: t: cannot run: no InteractionRuleGroup named 'greeet' in the paths given (found: greet)",
    ]


def test_junit_xml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    passing = document(f"    - {{type: entry, {VIP}, expect: {{rule: vip}}}}\n", name="passes")
    failing = document(f"    - {{type: entry, {GUEST}, expect: {{rule: vip}}}}\n", name="fails")
    path = write(tmp_path, passing + "---\n" + failing)
    report = tmp_path / "junit.xml"
    code, _, _ = run(capsys, str(tmp_path), "--junit", str(report))
    assert code == 1
    root = ET.parse(report).getroot()
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("errors")) == (
        "testsuites",
        "2",
        "1",
        "0",
    )
    cases = root.findall("testsuite/testcase")
    assert [(c.get("classname"), c.get("name"), c.get("file"), c.get("line")) for c in cases] == [
        ("greet", "passes", str(path), "1"),
        ("greet", "fails", str(path), "9"),
    ]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message") == "1 of 1 expectations failed"
    assert (
        failure.text
        == f"{path}:15: fails: event 1 at +0 s: expected rule 'vip' to fire, got: rule 'anyone' fired, reply 'e'"
    )


def test_manifests_that_do_not_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, document(f"    - {{type: entry, {VIP}, expect: {{rule: vip}}}}\n"))
    (tmp_path / "broken.yaml").write_text(
        "apiVersion: smartlive/v1\nkind: InteractionRuleTest\nmetadata: {name: x}\nspec:\n  group: greet\n  events:\n    - {type: 1, content: xxxxx}\n"
    )
    report = tmp_path / "junit.xml"
    code, out, _ = run(capsys, str(tmp_path), "--junit", str(report))
    assert code == 1
    assert "broken.yaml:7:7: error[M007]: content: type 1 content must be a JSON object" in out
    assert (
        out.splitlines()[-1]
        == "1 tests: 1 passed, 0 failed, 0 could not run (1 expectations); 1 manifest errors"
    )
    root = ET.parse(report).getroot()
    assert root.get("errors") == "1" and root.find("testsuite/testcase/error") is not None


def test_no_tests_and_a_filter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(EXAMPLES / "rule-groups"))
    assert code == 1 and "no InteractionRuleTest in" in err
    code, out, _ = run(capsys, str(EXAMPLES), "-k", "gift", "-q")
    assert code == 0 and out == "2 tests: 2 passed, 0 failed, 0 could not run (17 expectations)\n"


def test_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No PATH, and no smartlive.yaml to list the paths (docs/environments.md): exit 2."""
    monkeypatch.chdir(tmp_path)
    assert main(["test"]) == 2
    assert capsys.readouterr().err.startswith("error: name the manifests (PATH...)")
    with pytest.raises(SystemExit) as exit_info:
        main(["test", "--nope"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            "{at: 0, timestamp: 1, type: 2, " + VIP + "}",
            "give at (relative) or timestamp (absolute), not both",
        ),
        ("{at: 2 days, type: 2, " + VIP + "}", "at: '2 days' is not a time"),
        ("{at: -1, type: 2, " + VIP + "}", "at: must be a number of seconds, 0 or more"),
        ("{type: 2, " + VIP + ", every: 1}", "every: only with repeat"),
        ("{type: 2, " + VIP + ", repeat: 2, every: '+1s'}", "every: a spacing has no '+'"),
        ("{type: 2, " + VIP + ", expect: {}}", "expect names nothing to check"),
        (
            "{type: 2, " + VIP + ", expect: {rule: null, replies: [x]}}",
            "rule null (nothing fires) cannot also",
        ),
        ("{type: 2, content: {}}", "content.user: Field required"),
        ("{type: 7000}", "type: 7000 is outside 0-100"),
        ("{type: 2, " + VIP + ", repeat: 100001}", "less than or equal to 100000"),
    ],
)
def test_validate_checks_test_documents(tmp_path: Path, event: str, message: str) -> None:
    write(tmp_path, document(f"    - {event}\n"))
    errors = [str(d) for d in load_manifests([tmp_path]).errors]
    assert len(errors) == 1 and message in errors[0], errors


JOB_WITH_HTTP_CALLBACK = """\
apiVersion: smartlive/v1
kind: SmartLiveJob
metadata: {name: j}
spec:
  room_id: r
  live_event_callback_config: {live_event_type_callback_url: "http://127.0.0.1:9/cb"}
"""

UNUSED_BROKEN_GROUP = """\
apiVersion: smartlive/v1
kind: InteractionRuleGroup
metadata: {name: unused}
spec:
  interaction_rules:
    - {rule_name: x, event_type: 1, hit_condition: {tags: [{tag: content, match: REGEX, value: "("}]}}
"""


def test_errors_in_documents_no_test_uses_do_not_fail_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, document(f"    - {{type: entry, {VIP}, expect: {{rule: vip}}}}\n"))
    (tmp_path / "job.yaml").write_text(
        JOB_WITH_HTTP_CALLBACK + "---\n" + UNUSED_BROKEN_GROUP, encoding="utf-8"
    )
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 0, out
    assert (
        out.splitlines()[0]
        == "note: 2 manifest errors in documents no test uses (smartlive validate lists them)"
    )
    assert out.splitlines()[-1] == "1 tests: 1 passed, 0 failed, 0 could not run (1 expectations)"


def test_errors_in_a_group_a_test_uses_or_in_the_yaml_fail_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, document(f"    - {{type: entry, {VIP}, expect: {{rule: vip}}}}\n"))
    (tmp_path / "group.yaml").write_text(GROUP.replace('value: "20"', 'value: "twenty"'), encoding="utf-8")
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 1
    assert "group.yaml:10:" in out and "error[R002]" in out
    assert (
        f"{path}:5: t: cannot run: rule 'vip' (#0), tag 0 ('user.level'): MATH_GE needs a numeric value"
        in out
    )

    write(tmp_path, document(f"    - {{type: entry, {VIP}, expect: {{rule: vip}}}}\n"))
    (tmp_path / "job.yaml").write_text(JOB_WITH_HTTP_CALLBACK + "---\nkey: [unclosed\n", encoding="utf-8")
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 1 and "error[Y004]" in out
