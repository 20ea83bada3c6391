"""argparse `type=` converters for bounded numbers and durations: one message style for every command's
options, and no value that would make a command wait forever or never (nan, inf, 1e-300 per second)."""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable, Mapping
from typing import TypeVar

from reconciler.errors import ConfigError

N = TypeVar("N", int, float)
T = TypeVar("T")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_SCALE = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def bounded(
    kind: type[N], *, low: N | None = None, high: N | None = None, above: N | None = None, note: str = ""
) -> Callable[[str], N]:
    """A converter to `kind` within [low, high] (or strictly greater than `above`); `note` says why.
    A float must be finite whatever the bounds: nan compares false with every bound, and would pass."""
    noun = "a whole number" if kind is int else "a number"
    why = f" ({note})" if note else ""

    def convert(text: str) -> N:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        if above is not None and not value > above:
            raise argparse.ArgumentTypeError(f"must be greater than {above:g}{why}")
        if low is not None and high is not None and not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low:g}-{high:g}{why}")
        if low is not None and high is None and value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low:g}{why}")
        if high is not None and low is None and value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high:g}{why}")
        return value

    return convert


def parse_duration(text: str) -> float:
    """`30s`, `2m`, `1h`, `500ms` or plain seconds; finite (a number too long for a float is refused)."""
    return _seconds(text, high=math.inf, high_text="")


def duration(*, high: float, high_text: str) -> Callable[[str], float]:
    """A converter of durations as parse_duration reads them, at most `high` seconds (`high_text` says
    it as a user writes it): a wait past that is a typo, not a plan."""
    return lambda text: _seconds(text, high=high, high_text=high_text)


def _seconds(text: str, *, high: float, high_text: str) -> float:
    match = _DURATION.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 30s, 2m or 0")
    seconds = float(match.group(1)) * _SCALE[match.group(2) or "s"]
    if not seconds <= high:  # also inf, from a number too long for a float
        raise argparse.ArgumentTypeError(f"must be at most {high_text}")
    if not math.isfinite(seconds):  # where no bound caught it
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite duration")
    return seconds


def option_or_env(
    args: argparse.Namespace,
    option: str,
    env: Mapping[str, str],
    variable: str,
    default: T,
    parse: Callable[[str], T],
) -> T:
    """The option's value when given, else the variable's (read with the option's own converter), else
    `default`. A bad variable is a ConfigError naming it (exit 1): no usage line applies to it."""
    given: T | None = getattr(args, option, None)
    if given is not None:
        return given
    text = env.get(variable, "").strip()
    if not text:
        return default
    try:
        return parse(text)
    except argparse.ArgumentTypeError as exc:
        raise ConfigError(f"{variable}: {exc}") from None
