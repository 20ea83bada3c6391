"""R001's fast path: a pattern judged valid without compiling must compile, and errors are re's."""

from __future__ import annotations

import random
import re
import warnings

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.manifest.regex_check import _SUBSET, regex_error

PIECES = [*"ab价 \\()|*+?.^${}[]-:i,0", "(?:", "(?i:", "(?i)", "\\b", "\\d", "\\(", "(?", "\\\\", "{2}", "*?"]


def compiles(pattern: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            re.compile(pattern)
    except re.error:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
def test_agrees_with_re_compile(pattern: str) -> None:
    assert (regex_error(pattern) is None) == compiles(pattern)


def test_a_deterministic_sweep_exercises_the_fast_path() -> None:
    rng = random.Random(2)
    fast = 0
    for _ in range(5_000):
        pattern = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 10)))
        fast += bool(_SUBSET.fullmatch(pattern))
        assert (regex_error(pattern) is None) == compiles(pattern), pattern
    assert fast > 500


def test_messages_are_re_s() -> None:
    assert regex_error("(多少钱|价格") == "missing ), unterminated subpattern at position 0"
    assert regex_error("a**") == "multiple repeat at position 2"
    assert regex_error("(多少钱|价格|(?i:how much|price))") is None
    assert regex_error("[0-9]{2,}") is None
