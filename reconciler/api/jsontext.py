"""JSON text from outside (a request body, a line of live events), decoded strictly or refused in one line.

`json.loads` is not enough for text an attacker or a broken bridge writes: it raises RecursionError (not
ValueError) on deep nesting, so callers that catch ValueError crash; it accepts `NaN` and `Infinity`,
which are not JSON; and it turns the escape `\\ud800` into a lone surrogate, a str that cannot be encoded
as UTF-8, so the failure comes later and elsewhere (building a request, writing a response). pydantic-core's
parser (the one pydantic already uses for the API models) refuses all three with a position, and is four
times as fast on a typical event line.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic_core import from_json

#: How deep pydantic-core's parser lets JSON nest (jiter's recursion limit).
MAX_DEPTH: Final = 200


class JsonTextError(ValueError):
    """Text that is not strict JSON; the message says why and where (`line 1 column 13`)."""


def decode(text: bytes | str) -> Any:
    """The value of `text` (UTF-8 bytes or str), strict RFC 8259 JSON; JsonTextError otherwise."""
    try:
        return from_json(text, allow_inf_nan=False)
    except ValueError as exc:
        raise JsonTextError(explain(str(exc))) from None


def explain(message: str) -> str:
    """pydantic-core's message about bad JSON, made readable where it names no concept a user knows."""
    if message.startswith("recursion limit exceeded"):
        return message.replace("recursion limit exceeded", f"nested more than {MAX_DEPTH} levels deep", 1)
    for jargon in ("lone leading surrogate in hex escape", "unexpected end of hex escape"):
        if message.startswith(jargon):
            return message.replace(
                jargon, "a \\u escape of half a surrogate pair (\\ud800-\\udfff alone is no character)", 1
            )
    if message.startswith("invalid unicode code point"):
        return message.replace("invalid unicode code point", "not UTF-8", 1)
    return message
