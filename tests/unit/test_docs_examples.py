"""README.md's and docs/*.md's examples are what smartlive prints. Each block between `<!-- begin: NAME -->`
and `<!-- end: NAME -->` is NAME's output below, byte for byte once the values that change from run to
run (ids, digests, times) are masked: a command run for real in a scratch directory, or a table made
from the registry the code reads (the diagnostic codes, the exit codes). After an intended change,
rewrite the blocks with SMARTLIVE_UPDATE_README=1 and review the diff.

Every `smartlive ...` line of a ```sh block must also be a command line smartlive accepts."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler import cli, exitcodes
from reconciler.manifest.codes import CODES
from tests.cli_runner import Result, run_cli
from tests.shell_lines import smartlive_commands

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
UPDATE = os.environ.get("SMARTLIVE_UPDATE_README") == "1"
_BLOCK = re.compile(
    r"(?P<head><!-- begin: (?P<name>[^>]+?) -->\n)(?P<body>.*?)(?P<tail><!-- end: (?P=name) -->)", re.S
)
#: What differs between two runs of the same commands: the service's ids, digests, times.
_VOLATILE = (
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<id>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<digest>"),
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)"), "<time>"),
)

#: The plan example of docs/planning.md: a group whose reply changed, a running job whose bitrate
#: changed, and a running job whose stream key is not set where the plan runs.
SHOP = {
    "rooms.yaml": """\
rooms:
  - {room_id: 5f0c2b1e-0000-4000-8000-000000000001, room_name: main room}
  - {room_id: 5f0c2b1e-0000-4000-8000-000000000002, room_name: side room}
""",
    "shop/faq.yaml": """\
apiVersion: smartlive/v1
kind: InteractionRuleGroup
metadata:
  name: faq
spec:
  interaction_rules:
    - rule_name: price
      event_type: 1
      hit_condition:
        tags: [{tag: content, operation: NONE, match: REGEX, value: "(how much|price)"}]
      trigger: {reply_mode: SYSTEM_REPLY, reply_texts: ["It is 99."]}
""",
    "shop/jobs.yaml": """\
apiVersion: smartlive/v1
kind: SmartLiveJob
metadata:
  name: main-stream
spec:
  room_id: 5f0c2b1e-0000-4000-8000-000000000001
  video_config: {bitrate: 4000, width: 1920, height: 1080}
  output_urls: [rtmp://push.example.com/live]
  stream_keys: ["${env:MAIN_STREAM_KEY}"]
---
apiVersion: smartlive/v1
kind: SmartLiveJob
metadata:
  name: side-stream
spec:
  room_id: 5f0c2b1e-0000-4000-8000-000000000002
  output_urls: [rtmp://push.example.com/side]
  stream_keys: ["${env:SIDE_STREAM_KEY}"]
""",
}
#: What `make demo` exports for the example jobs' secrets.
DEMO_SECRETS = {
    "LANDSCAPE_STREAM_KEY": "demo-landscape-stream-key",
    "PORTRAIT_STREAM_KEY": "demo-portrait-stream-key",
    "LIVE_CALLBACK_KEY": "demo-callback-key",
    "INTERACTION_CALLBACK_URL": "https://hooks.example.com/interact?token=demo",
}


def fenced(language: str, result: Result, *, code: int = 0) -> str:
    assert result.code == code, result.text
    return f"```{language}\n{result.out}```\n"


def masked(text: str) -> str:
    for pattern, placeholder in _VOLATILE:
        text = pattern.sub(placeholder, text)
    return text


def diagnostic_codes() -> str:
    rows = [f"| `{c.code}` | {c.severity} | {c.summary} |" for c in CODES.values()]
    return "\n".join(["| code | severity | meaning |", "| --- | --- | --- |", *rows]) + "\n"


def exit_codes() -> str:
    rows = [f"| {code} | {meaning} |" for code, meaning in exitcodes.MEANINGS]
    return "\n".join(["| code | meaning |", "| --- | --- |", *rows]) + "\n"


def the_tour(root: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """README's five-minute tour, as `make demo` runs it, then the edit it suggests."""
    shutil.copytree(REPO / "examples", root / "examples")
    shutil.copytree(REPO / "demo", root / "demo")
    for name, value in DEMO_SECRETS.items():
        monkeypatch.setenv(name, value)
    shown = {"validate examples": fenced("text", run_cli("validate", "examples/", cwd=root))}
    assert run_cli("apply", "examples/", "--local", "--auto-approve", cwd=root).code == 0
    reported = run_cli(
        "events", "report", "demo/comments.jsonl", "--job", "store-landscape", "--local", cwd=root
    )
    assert reported.code == 0, reported.text
    shown["tour replies"] = fenced(
        "text", run_cli("emulator", "replies", "--job", "store-landscape", cwd=root)
    )
    faq = root / "examples" / "rule-groups" / "faq.yaml"
    old = "下单后 48 小时内发货"
    assert old in faq.read_text(encoding="utf-8")
    faq.write_text(faq.read_text(encoding="utf-8").replace(old, "下单后 24 小时内发货"), encoding="utf-8")
    shown["tour plan"] = fenced("text", run_cli("plan", "examples/", "--local", cwd=root))
    return shown


def a_failing_test(root: Path) -> dict[str, str]:
    """docs/rules.md's failing rule test: the top gift tier's threshold lowered from 1000 to 100."""
    shutil.copytree(REPO / "examples", root / "examples")
    group = root / "examples" / "rule-groups" / "gift-thanks.yaml"
    text = group.read_text(encoding="utf-8")
    top_tier = 'value: "1000"'
    group.write_text(text.replace(top_tier, 'value: "100"', 1), encoding="utf-8")
    return {"test failure": fenced("text", run_cli("test", "examples/", "-q", cwd=root), code=1)}


def the_shop(root: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """docs/planning.md's plan: applied, then edited, then planned without one job's secret."""
    for relative, text in SHOP.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    monkeypatch.setenv("MAIN_STREAM_KEY", "main-key")
    monkeypatch.setenv("SIDE_STREAM_KEY", "side-key")
    assert run_cli("emulator", "seed", "rooms.yaml", cwd=root).code == 0
    applied = run_cli("apply", "shop/", "--local", "--auto-approve", cwd=root)
    assert applied.code == 0, applied.text
    for relative, old, new in (
        ("shop/faq.yaml", "It is 99.", "It is 89 today."),
        ("shop/jobs.yaml", "bitrate: 4000", "bitrate: 6000"),
    ):
        path = root / relative
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    monkeypatch.delenv("SIDE_STREAM_KEY")
    return {
        "plan text": fenced("text", run_cli("plan", "shop/", "--local", cwd=root)),
        "plan json": fenced("json", run_cli("plan", "shop/", "--local", "--format", "json", cwd=root)),
    }


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Every example's text, by the name its block carries."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in ("SMARTLIVE_STATE", "SMARTLIVE_LOCAL", "SMARTLIVE_STACK", "FORCE_COLOR"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("NO_COLOR", "1")
        monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
        yield {
            "diagnostic codes": diagnostic_codes(),
            "exit codes": exit_codes(),
            **the_tour(tmp_path_factory.mktemp("tour"), monkeypatch),
            **the_shop(tmp_path_factory.mktemp("shop"), monkeypatch),
            **a_failing_test(tmp_path_factory.mktemp("failing")),
        }


def blocks() -> list[tuple[Path, str]]:
    return [(page, m["name"]) for page in PAGES for m in _BLOCK.finditer(page.read_text(encoding="utf-8"))]


def test_every_example_is_shown_and_every_block_is_an_example(printed: dict[str, str]) -> None:
    named = {name for _, name in blocks()}
    assert named == set(printed), (
        f"blocks without an example: {named - set(printed)}; not shown: {set(printed) - named}"
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_the_examples_are_what_smartlive_prints(page: Path, printed: dict[str, str]) -> None:
    text = page.read_text(encoding="utf-8")

    def current(match: re.Match[str]) -> str:
        body = match["body"]
        if UPDATE and masked(body) != masked(printed[match["name"]]):
            body = printed[match["name"]]
        return match["head"] + body + match["tail"]

    if UPDATE:
        page.write_text(_BLOCK.sub(current, text), encoding="utf-8")
        return
    for match in _BLOCK.finditer(text):
        shown, expected = masked(match["body"]), masked(printed[match["name"]])
        assert shown == expected, (
            f"{page.name}: {match['name']} differs; review, then SMARTLIVE_UPDATE_README=1"
        )


def documented_commands(page: Path) -> Iterator[tuple[str, list[str]]]:
    """Each smartlive command of a page's ```sh blocks (continuation lines joined), with its line."""
    for block in re.findall(r"^```sh\n(.*?)^```", page.read_text(encoding="utf-8"), flags=re.S | re.M):
        for line in block.replace("\\\n", " ").splitlines():
            for argv in smartlive_commands(line):
                yield line, argv


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_documented_command_lines_are_accepted(page: Path) -> None:
    for line, argv in documented_commands(page):
        try:
            cli.build_parser(argv).parse_args(argv)
        except SystemExit as exc:  # argparse's usage error; `--help` exits 0
            if exc.code:
                pytest.fail(f"{page.name}: `{line}` is refused (exit {exc.code})")


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)
    headings = re.findall(r"^#+ (.+)$", text, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_links_between_pages_lead_somewhere(page: Path) -> None:
    """A page moved or a heading renamed leaves no link behind: each relative link names a file that
    exists, and a heading of it when it has an #anchor."""
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # https://, mailto:
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name}: link to {target}: no such file"
        if anchor:
            assert anchor in anchors(linked), f"{page.name}: link to {target}: no such heading"
