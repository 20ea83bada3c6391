"""`smartlive callbacks verify`: check an MSS_A / MSS_A_HEAD callback signature from a script.

    smartlive callbacks verify --url URL [--header 'x-hw-mss-secret: ...' ...]
                               (--key-env NAME | --key-file PATH) [--max-age SECONDS] [--auth-type TYPE]

Exit 0 when valid, 1 when not (one line saying why), 2 for a usage error. The key is read from an
environment variable or a file, never from the command line, where it would land in shell history and
in every process listing; it is never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from reconciler import exitcodes
from reconciler.commands._argtypes import bounded
from reconciler.commands._help import examples

ORDER = 80


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "callbacks",
        help="tools for the callbacks the service sends (verify their signatures)",
        description="Tools for the live-event callbacks the service sends (live_event_callback_config).",
        **examples(
            "smartlive callbacks verify --url 'https://hooks.example.com/live?hwSecret=...&hwTime=6553f100' "
            "--key-env MSS_CALLBACK_KEY",
        ),
    )
    actions = parser.add_subparsers(dest="callbacks_command", metavar="ACTION")
    actions.required = True
    verify = actions.add_parser(
        "verify",
        help="check an MSS_A / MSS_A_HEAD signature: exit 0 valid, 1 invalid, 2 usage",
        description=(
            "Check the signature of one callback request. MSS_A reads hwSecret/hwTime from the URL's "
            "query, MSS_A_HEAD the x-hw-mss-secret/x-hw-mss-time headers. Exit 0 valid, 1 invalid "
            "(one line says why), 2 usage error."
        ),
        **examples(
            "smartlive callbacks verify --url 'https://hooks.example.com/live?hwSecret=...&hwTime=6553f100' "
            "--key-env MSS_CALLBACK_KEY",
            "smartlive callbacks verify --url https://hooks.example.com/live --header 'x-hw-mss-secret: 2faa...' "
            "--header 'x-hw-mss-time: 6553f100' --key-file /run/secrets/mss-key",
        ),
    )
    verify.add_argument("--url", required=True, help="the URL the callback arrived at (or its path?query)")
    verify.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a request header, as `Name: value`; repeat for several",
    )
    key = verify.add_mutually_exclusive_group(required=True)
    key.add_argument("--key-env", metavar="NAME", help="environment variable holding the callback key")
    key.add_argument(
        "--key-file", metavar="PATH", help="file holding the callback key (a trailing newline is ignored)"
    )
    verify.add_argument(
        "--max-age",
        type=bounded(float, low=0.0),  # finite: a nan max age would let every signature through
        default=300.0,
        metavar="SECONDS",
        help="reject signatures older than this (default 300)",
    )
    verify.add_argument(
        "--auth-type",
        choices=["MSS_A", "MSS_A_HEAD"],
        help="require this mode (default: accept either, headers first)",
    )
    verify.set_defaults(func=handle_verify)


def _usage(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return exitcodes.USAGE


def _read_key(args: argparse.Namespace) -> str | None:
    if args.key_env is not None:
        return os.environ.get(args.key_env)
    from reconciler.manifest.secrets import read_secret_file

    # As a manifest's ${file:...}: a regular file, size-capped, the newline `echo` adds dropped.
    return read_secret_file(args.key_file)


def handle_verify(args: argparse.Namespace) -> int:
    from reconciler.events.callbacks import verify_callback

    headers: list[tuple[str, str]] = []
    for number, raw in enumerate(args.header, start=1):
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            return _usage(f"--header #{number} must look like 'Name: value'")
        headers.append((name.strip(), value.strip()))
    from reconciler.manifest.secrets import SecretFileError

    try:
        key = _read_key(args)
    except FileNotFoundError:
        return _usage(f"cannot read --key-file {args.key_file}: no such file")
    except SecretFileError as exc:
        return _usage(f"--key-file {args.key_file} {exc}")
    if key is None:
        return _usage(f"environment variable {args.key_env} is not set")
    if not key:
        source = f"environment variable {args.key_env}" if args.key_env else f"--key-file {args.key_file}"
        return _usage(f"{source} is empty")

    result = verify_callback(
        args.url, key, headers=headers, auth_type=args.auth_type, max_age_seconds=args.max_age
    )
    print(f"{'valid' if result.valid else 'invalid'}: {result.reason}")
    return exitcodes.OK if result.valid else exitcodes.ERROR
