"""When the CLI colours: a terminal, unless NO_COLOR; FORCE_COLOR for pipes; NO_COLOR wins."""

from __future__ import annotations

import io

import pytest

from reconciler.render.color import paint, use_color


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("tty", "env", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),  # no-color.org: set but empty does not count
        (False, {"FORCE_COLOR": "1"}, True),
        (False, {"FORCE_COLOR": ""}, False),
        (True, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),  # the issue: never with NO_COLOR
        (True, {"TERM": "dumb"}, False),
        (False, {"TERM": "dumb", "FORCE_COLOR": "1"}, True),
    ],
)
def test_use_color(tty: bool, env: dict[str, str], expected: bool) -> None:
    stream = Terminal() if tty else io.StringIO()
    assert use_color(stream, env) is expected


def test_closed_stream_means_no_colour() -> None:
    closed = io.StringIO()  # isatty() on a closed stream raises ValueError
    closed.close()
    assert use_color(closed, {}) is False


def test_reads_the_process_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color(Terminal()) is False
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert use_color(io.StringIO()) is True


def test_paint() -> None:
    assert paint("x", "1", "32", enabled=True) == "\x1b[1;32mx\x1b[0m"
    assert paint("x", "32", enabled=False) == "x"
    assert paint("", "32", enabled=True) == ""
