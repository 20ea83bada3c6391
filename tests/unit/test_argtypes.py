"""Bounded numeric options: one clear usage error (exit 2), whichever command takes them."""

from __future__ import annotations

import pytest

from reconciler import cli


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["emulator", "serve", "--port", "-1"], "argument --port: must be 0-65535"),
        (["emulator", "serve", "--latency-ms", "z"], "argument --latency-ms: 'z' is not a whole number"),
        (["emulator", "serve", "--start-delay", "-0.5"], "argument --start-delay: must be 0-86400"),
        (["plan", "x", "--parallelism", "0"], "argument --parallelism: must be at least 1"),
        (["apply", "x", "--start-rate", "0"], "argument --start-rate: must be greater than 0"),
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
