"""Reading fields out of a live event's `content`, the way interaction-rule tags name them.

A LiveEvent carries its content as a JSON string whose shape depends on the event type (seeds 000/001):

    type 1 comment   {"user": {"userId", "name", "level", "badge", "badgeLevel"}, "content": "..."}
    type 2 entry     {"user": {...}}
    type 3 like      {"user": {...}}
    type 4 gift      {"user": {...}, "gift": {"giftName", "giftNum", "totalValue", "giftValue"}}
    type 6 viewers   {"numberOfViewers": 5466}

A rule tag names one field. Two spellings are accepted, because the docs use both:

- a dotted path from the top of the content: `content`, `user.level`, `gift.giftNum`, `numberOfViewers`;
- a bare field name that is not at the top level is looked up one level down, in the nested objects
  (`user`, `gift`, in the content's own key order). The SDK's HitConditionTag doc says "to match the
  user's platform level, fill in `level`", so `level` means `user.level` and `giftNum` `gift.giftNum`.

Everything here is compiled once per rule: `compile_path` returns a small closure that the engine calls
per event, so no string is split on the hot path.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

_NUMBER = re.compile(r"(?P<int>[+-]?[0-9]+)|[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)

# JSONDecoder sets scan_once in __init__ (the C scanner when available); typeshed does not declare it.
_scan_once: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]

#: A compiled tag: content -> the field's value, or None when the field is absent (or JSON null).
Accessor = Callable[[Mapping[str, Any]], Any]


def parse_content(raw: str | Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The content of one event as a mapping.

    The API sends content as a JSON string; a bridge may hand us an object already. A content string that
    is not a JSON object (the seed's own request example sends `"content": "xxxxx"`) is read as a bare
    comment, `{"content": raw}`, so a `content` tag still sees the text instead of nothing at all.
    """
    if type(raw) is str:
        try:
            # The C scanner directly: json.loads adds two Python calls and two regex matches around it,
            # which is half the cost of decoding a small event. Anything but a clean object falls back.
            parsed, end = _scan_once(raw, 0)
        except (StopIteration, ValueError, RecursionError):
            parsed, end = None, -1
        if end != len(raw):
            try:
                parsed = json.loads(raw)
            except (ValueError, RecursionError):  # deep nesting raises RecursionError: text, as the rest
                return {"content": raw}
        return parsed if isinstance(parsed, dict) else {"content": raw}
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        return raw
    return parse_content(str(raw))


def compile_path(tag: str) -> Accessor:
    """Compile a rule tag into an accessor (see the module doc for the two spellings).

    An empty tag names the whole content object, so `COUNT` over it counts every event of the type.
    """
    parts = split_tag(tag)
    if not parts:
        return _whole
    if len(parts) == 1:
        return _bare(parts[0])
    return _dotted(parts)


def split_tag(tag: str) -> tuple[str, ...]:
    """A tag as path segments: `user.level` -> ("user", "level"); the empty tag -> () (whole content)."""
    tag = tag.strip()
    return tuple(tag.split(".")) if tag else ()


def _whole(content: Mapping[str, Any]) -> Any:
    return content


def nested_lookup(content: Mapping[str, Any], name: str) -> Any:
    """A bare tag not found at the top: its value in the first nested object that has it
    (`level` -> `user.level`), or None."""
    for nested in content.values():
        if isinstance(nested, dict):
            value = nested.get(name)
            if value is not None:
                return value
    return None


def _bare(name: str) -> Accessor:
    def get(content: Mapping[str, Any]) -> Any:
        value = content.get(name)
        return value if value is not None else nested_lookup(content, name)

    return get


def _dotted(parts: tuple[str, ...]) -> Accessor:
    first, rest = parts[0], parts[1:]

    def get(content: Mapping[str, Any]) -> Any:
        value: Any = content.get(first)
        for part in rest:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    return get


def as_text(value: Any) -> str:
    """The text a tag's EQUAL / REGEX compares: strings as they are, numbers as JSON writes them.

    Integral floats print without `.0` (`10.0` -> `"10"`), as JavaScript and most bridges print them, so
    `EQUAL "10"` matches a giftNum of 10 whichever way the bridge serialised it. Objects and lists are
    compact JSON.
    """
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def as_number(value: Any) -> int | float | None:
    """A field's numeric value for MATH_* matches and SUM / AVG, or None when it has none.

    Numbers count, and so do strings holding a number (`"17"`: bridges are not strict about types);
    booleans do not, and neither do NaN or infinities, which would make every comparison meaningless.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        # A strict JSON-like number: int() alone would also take "1_000" and non-ASCII digits.
        match = _NUMBER.fullmatch(value.strip())
        if match is None:
            return None
        if match.group("int") is not None:
            return int(match.group("int"))
        number = float(match.group(0))
        return number if math.isfinite(number) else None
    return None
