"""Exit codes every command shares. docs/commands.md's table of them is made from MEANINGS
(tests/unit/test_docs_examples.py keeps the two in step)."""

from typing import Final

OK: Final = 0
#: A user-caused failure: invalid manifest, bad credentials, unreachable endpoint, stale plan, held lock,
#: a failed or skipped apply action.
ERROR: Final = 1
#: The command line itself is wrong (argparse's own convention). `plan --detailed-exitcode` also uses 2
#: for "changes present", as Terraform does; the two never meet in one invocation.
USAGE: Final = 2
CHANGES: Final = 2
#: Interrupted by the user (Ctrl-C), as shells report SIGINT.
INTERRUPTED: Final = 130

#: What each code means, for the documentation (Markdown), in order.
MEANINGS: Final = (
    (
        OK,
        "success; `validate`: no errors (warnings allowed); `plan --detailed-exitcode`: no changes, every "
        "declared field compared",
    ),
    (
        ERROR,
        "an error the user can fix: invalid manifest, bad credentials or an unreadable credentials file, a "
        "malformed `--endpoint` (or `SMARTLIVE_ENDPOINT`, or region override), a bad "
        "`--timeout`/`--request-timeout` variable, unreachable endpoint, an answer smartlive refuses, a time "
        "limit that ran out, stale plan, held lock, a failed or skipped apply action, a failing rule test, a "
        "file `fmt --check` would change, an invalid callback signature, a secret file that is no small regular file, an events input that is a "
        "device, an emulator `--data` or seed that cannot be used, a project file (`smartlive.yaml`) that does "
        "not check, a saved plan applied in another environment than its own",
    ),
    (
        USAGE,
        "usage error (bad command line: an unknown option, a number out of range or not finite such as "
        "`nan`, a `callbacks verify --key-file` that cannot be read, an `--env` or `SMARTLIVE_ENV` the project file does not "
        "declare, no PATH where no project file lists paths); `plan --detailed-exitcode`: changes "
        "present, or declared fields that could not be compared (`? may change`)",
    ),
    (INTERRUPTED, "interrupted (Ctrl-C); `apply` lists the actions it did not do"),
)
