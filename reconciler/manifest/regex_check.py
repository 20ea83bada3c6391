"""Does a REGEX match value compile? Answered without compiling for the common keyword patterns.

``re.compile`` costs about 0.2 ms for a keyword pattern such as ``(多少钱|价格|(?i:how much))``;
10,000 rules with thousands of distinct patterns spent most of validate's time there. Such patterns
use a small, always-valid subset of the syntax: literal text, escapes, ``.``, ``^``, ``$``,
alternation, ``(...)``, ``(?:...)``, ``(?i:...)`` and the quantifiers ``* + ?`` (lazy or not) after
something repeatable. A pattern made only of that, with balanced parentheses, compiles; anything else
(classes ``[...]``, ``{m,n}``, lookarounds, backreferences, ...) is handed to ``re.compile``, which
has the last word. A property test checks that the fast answer never disagrees with ``re.compile``.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from typing import Final

# One token of the subset. Repeatable atoms may take a quantifier; the others may not.
_ATOM: Final = r"[^\\\[\](){}*+?.^$|]|\\[\\.^$|?*+()\[\]{}/\-dDsSwW]|\.|\)"
_NOT_REPEATABLE: Final = r"\\[bB]|[\^$|]|\((?:\?i?:)?"
_SUBSET = re.compile(rf"(?:(?:{_ATOM})(?:[*+?]\??)?|{_NOT_REPEATABLE})*")
_ESCAPED = re.compile(r"\\.")
_MAX_GROUPS: Final = 50


def _balanced(pattern: str) -> bool:
    depth = 0
    for char in _ESCAPED.sub("", pattern):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


@lru_cache(maxsize=4096)
def regex_error(pattern: str) -> str | None:
    """None if ``pattern`` compiles with Python's ``re`` (as the rule engine uses it), else why not."""
    if _SUBSET.fullmatch(pattern) and pattern.count("(") <= _MAX_GROUPS and _balanced(pattern):
        return None
    try:
        with warnings.catch_warnings():  # FutureWarnings about set syntax are not the user's problem here
            warnings.simplefilter("ignore")
            re.compile(pattern)
    except re.error as exc:
        return f"{exc.msg} at position {exc.pos}"
    except (RecursionError, OverflowError):
        return "too deeply nested"
    return None
