"""`--lock-timeout DURATION`, for the commands that take the state store's lock: apply, import and
export --adopt."""

from __future__ import annotations

import argparse

from reconciler.commands._argtypes import duration

#: The longest --lock-timeout: a day. Longer is a typo, and would leave a pipeline waiting for ever.
MAX_LOCK_WAIT_SECONDS = 24 * 3600.0
#: --lock-timeout's converter: `30s`, `2m`, `1h`, `500ms`, plain seconds.
parse_lock_timeout = duration(high=MAX_LOCK_WAIT_SECONDS, high_text="24h")


def add_lock_timeout_argument(parser: argparse.ArgumentParser, *, when: str = "") -> None:
    """--lock-timeout; `when` starts its help where only some runs take the lock ("with --adopt")."""
    parser.add_argument(
        "--lock-timeout",
        type=parse_lock_timeout,
        default=0.0,
        metavar="DURATION",
        help=f"{when + ': ' if when else ''}wait this long for another run's lock (e.g. 30s, 2m; at most 24h; "
        "default 0: fail at once)",
    )
