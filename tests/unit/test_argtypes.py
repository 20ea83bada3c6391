"""Bounded numeric options: one clear usage error (exit 2), whichever command takes them."""

from __future__ import annotations

import argparse

import pytest

from reconciler import cli
from reconciler.commands._argtypes import bounded


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["emulator", "serve", "--port", "-1"], "argument --port: must be 0-65535"),
        (["emulator", "serve", "--latency-ms", "z"], "argument --latency-ms: 'z' is not a whole number"),
        (["emulator", "serve", "--start-delay", "-0.5"], "argument --start-delay: must be 0-86400"),
        (["plan", "x", "--parallelism", "0"], "argument --parallelism: must be at least 1"),
        (["apply", "x", "--start-rate", "0"], "argument --start-rate: must be 0.01-1000 (calls per second)"),
        # A start every 1e300 s would leave apply waiting for ever; 1e9/s removes the pacing.
        (["apply", "x", "--start-rate", "1e-300"], "argument --start-rate: must be 0.01-1000"),
        (["apply", "x", "--start-rate", "-4"], "argument --start-rate: must be 0.01-1000"),
        (["apply", "x", "--start-rate", "1e9"], "argument --start-rate: must be 0.01-1000"),
        (["apply", "x", "--start-rate", "nan"], "argument --start-rate: 'nan' is not a finite number"),
        (["apply", "x", "--start-rate", "inf"], "argument --start-rate: 'inf' is not a finite number"),
        (["apply", "x", "--start-rate", "1e999"], "argument --start-rate: '1e999' is not a finite number"),
        (
            ["plan", "x", "--rate-limit", "Show=0"],
            "argument --rate-limit: 'Show=0': the rate must be 0.01-1000",
        ),
        (
            ["apply", "x", "--rate-limit", "StartSmartLive"],
            "argument --rate-limit: 'StartSmartLive' is not OP=N",
        ),
        (["emulator", "serve", "--rate-limit", "Show=1.5"], "argument --rate-limit: 'Show=1.5' is not OP=N"),
        (["apply", "x", "--lock-timeout", "25h"], "argument --lock-timeout: must be at most 24h"),
        (["apply", "x", "--lock-timeout", "9" * 400], "argument --lock-timeout: must be at most 24h"),
        (["apply", "x", "--lock-timeout=-1s"], "argument --lock-timeout: '-1s' is not a duration"),
        (["apply", "x", "--lock-timeout", "nan"], "argument --lock-timeout: 'nan' is not a duration"),
        (["import", "A/b", "c", "--lock-timeout", "1e9"], "argument --lock-timeout: '1e9' is not a duration"),
        (
            ["callbacks", "verify", "--url", "u", "--key-env", "K", "--max-age", "nan"],
            "'nan' is not a finite",
        ),
        (["events", "report", "--batch-size", "1001"], "must be 1-1000 (the API takes at most 1000"),
        (["events", "report", "--flush-interval", "abc"], "argument --flush-interval: 'abc' is not a number"),
        # float() reads these, and nan passes every bound (each comparison with nan is false).
        (
            ["emulator", "serve", "--start-delay", "nan"],
            "argument --start-delay: 'nan' is not a finite number",
        ),
        (
            ["emulator", "serve", "--start-delay", "inf"],
            "argument --start-delay: 'inf' is not a finite number",
        ),
        (["emulator", "serve", "--start-delay", "1e400"], "'1e400' is not a finite number"),
        (["emulator", "serve", "--start-delay", "1e300"], "argument --start-delay: must be 0-86400"),
        (["emulator", "serve", "--port", "70000"], "argument --port: must be 0-65535"),
        (["emulator", "serve", "--latency-ms", "700000"], "argument --latency-ms: must be 0-600000"),
        (["emulator", "serve", "--max-active-jobs", "-1"], "argument --max-active-jobs: must be at least 0"),
        (["events", "report", "--refresh-margin", "NaN"], "'NaN' is not a finite number"),
        (["apply", "x", "--start-rate", "nan"], "argument --start-rate: 'nan' is not a finite number"),
    ],
)
def test_out_of_range_option_is_a_usage_error(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert [line for line in err.splitlines() if "error:" in line] == [err.splitlines()[-1]]  # one error line


@pytest.mark.parametrize(
    "bounds", [{}, {"low": 0.0}, {"high": 10.0}, {"above": 0.0}, {"low": 0.0, "high": 1.0}]
)
@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e999"])
def test_a_float_option_is_finite_whatever_its_bounds(bounds: dict[str, float], text: str) -> None:
    """nan compares false with every bound, so a bound alone let it through (`emulator serve
    --start-delay nan`; `callbacks verify --max-age nan`: a signature that never expires)."""
    with pytest.raises(argparse.ArgumentTypeError, match="is not a finite number"):
        bounded(float, **bounds)(text)
