"""Whether to colour, and how: ANSI SGR codes written by hand so rendering stays a pure function.

The decision follows the two community conventions users set once in their shell profile:
https://no-color.org (NO_COLOR, non-empty, means never) and https://force-color.org (FORCE_COLOR,
non-empty, means colour even when piped, e.g. in CI logs that render ANSI). The issue says "never with
NO_COLOR", so NO_COLOR wins when both are set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO

BOLD = "1"
RED = "31"
GREEN = "32"
YELLOW = "33"
MAGENTA = "35"


def use_color(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """True when output written to `stream` should carry ANSI colour."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    # A dumb terminal (Emacs shell, some CI consoles) prints escape codes literally.
    if env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or file-like stream without a terminal
        return False


def paint(text: str, *codes: str, enabled: bool) -> str:
    """`text` wrapped in SGR codes when colour is enabled, else unchanged."""
    if not enabled or not codes or not text:
        return text
    return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"
