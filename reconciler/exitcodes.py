"""Exit codes every command shares (documented in README, "Exit codes")."""

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
