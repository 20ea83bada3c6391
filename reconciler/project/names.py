"""The names a project file gives: its environments' and its variables'."""

from __future__ import annotations

import re
from typing import Final

from reconciler.manifest.secrets import NAME_PATTERN

#: A variable's name in `${var:NAME}`: an identifier, as in a shell.
VARIABLE_NAME: Final = re.compile(rf"^{NAME_PATTERN}$")
#: An environment's name: what --env takes and a plan header shows.
ENVIRONMENT_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


def checked_variable_name(name: str) -> str:
    if not VARIABLE_NAME.match(name):
        raise ValueError(f"{name!r} cannot name a variable: a letter or _, then letters, digits or _")
    return name


def checked_environment_name(name: str) -> str:
    if not ENVIRONMENT_NAME.match(name):
        raise ValueError(
            f"{name!r} cannot name an environment: a letter or digit, then letters, digits, '.', '_' or '-' "
            "(at most 63)"
        )
    return name
