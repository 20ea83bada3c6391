"""Live events as a bridge writes them: one JSON object per line, checked per seed 000/001.

Two forms are accepted on every line, told apart by the type of `content`:

- **API form**, LiveEvent exactly as the service takes it: `content` is a JSON *string*
  `{"timestamp": 1694481224245, "type": 1, "content": "{\\"user\\": {...}, \\"content\\": \\"hi\\"}"}`
- **friendly form**: `content` is an *object*, serialised (compact UTF-8) for the API
  `{"timestamp": 1694481224245, "type": "comment", "content": {"user": {...}, "content": "hi"}}`

In both forms `type` may be the number or its name (TYPE_NAMES), and `timestamp` may be left out (the
event is stamped when the line is read, as a bridge would) or, in the friendly form, be an RFC 3339
time. What is checked, so that the service never sees a batch it would refuse for one event:

- no field but timestamp, type and content (a typo such as `timestmp` would otherwise be dropped);
- timestamp an integer 0-4102415999000 (epoch ms), type an integer 0-100 (seed 000 table 5);
- for types 1, 2, 3, 4 and 6, content is the JSON object the seed defines, with its required fields
  and their types (the API models in reconciler/api/models.py; extra keys are allowed, platforms add
  theirs, as the emulator allows them). *Stricter than the service*: a content string that is not JSON
  at all is refused for these types, although the service stores it (the seed's own example sends
  `"xxxxx"`); no rule tag can read such an event, so it is a bridge bug worth reporting;
- type 5 and types without a definition take any content (a string, or an object serialised).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from pydantic import ValidationError

from reconciler.api import jsontext
from reconciler.api.models import EVENT_CONTENT_MODELS, MAX_EPOCH_MS, LiveEvent, response_view
from reconciler.manifest.files import format_size

#: Names a line may use instead of the type number (seed 000 table 5).
TYPE_NAMES: Final[Mapping[str, int]] = {
    "comment": 1,
    "entry": 2,
    "like": 3,
    "gift": 4,
    "follow": 5,
    "viewers": 6,
}
FIELDS: Final = ("timestamp", "type", "content")
MAX_TYPE: Final = 100
#: The longest line read as one event. A request holds up to 1000 of them and the service's gateway takes
#: at most 12 MB (a batch over that is refused with 413 and split like any refused batch), so a longer
#: line is no event; reading is bounded too (source.split_lines), so /dev/zero cannot exhaust memory.
MAX_LINE_BYTES: Final = 1024 * 1024

# Lenient views of the content models: required fields and types checked, unknown keys ignored.
_CONTENT_VIEWS: Final = {kind: response_view(model) for kind, model in EVENT_CONTENT_MODELS.items()}


class EventError(ValueError):
    """An event that cannot be sent; the message names the field (`content.user.level: ...`)."""


@dataclass(frozen=True, slots=True)
class Line:
    """One non-blank input line: the event it holds, or why it holds none. `number` is 1-based."""

    number: int
    event: LiveEvent | None = None
    error: str | None = None


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def event_type(value: Any) -> int:
    """The type number of `value` (a number 0-100 or a name in TYPE_NAMES)."""
    if isinstance(value, str):
        number = TYPE_NAMES.get(value.strip().lower())
        if number is None:
            raise EventError(
                f"type: unknown name {value!r} (one of {', '.join(TYPE_NAMES)}, or a number 0-100)"
            )
        return number
    if type(value) is not int:
        raise EventError(f"type: must be an integer 0-{MAX_TYPE} or a type name, got {_kind(value)}")
    if not 0 <= value <= MAX_TYPE:
        raise EventError(f"type: {value} is outside 0-{MAX_TYPE}")
    return value


def timestamp_ms(value: Any, *, allow_text: bool) -> int:
    """Epoch milliseconds 0-4102415999000; `allow_text` also takes an RFC 3339 time."""
    if isinstance(value, str) and allow_text:
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise EventError(
                f"timestamp: {value!r} is neither epoch milliseconds nor an RFC 3339 time"
            ) from None
        if moment.tzinfo is None:
            raise EventError(f"timestamp: {value!r} has no time zone (add Z or +08:00)")
        value = int(moment.timestamp() * 1000)
    elif type(value) is not int:
        raise EventError(f"timestamp: must be an integer (epoch milliseconds), got {_kind(value)}")
    if not 0 <= value <= MAX_EPOCH_MS:
        raise EventError(f"timestamp: {value} is outside 0-{MAX_EPOCH_MS} (epoch milliseconds)")
    return int(value)


def content_string(kind: int, content: Any) -> str | None:
    """The API's content string for an event of type `kind`, checked against the seed's definition."""
    view = _CONTENT_VIEWS.get(kind)
    if isinstance(content, str):
        if view is None:
            return content
        try:
            # Decoded and checked in one pass (pydantic-core): half the cost of json.loads + validate.
            view.model_validate_json(content)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            if first["type"] == "json_invalid":
                raise EventError(
                    f"content: type {kind} content must be a JSON object (as LiveEventReport defines each type), got text that is not JSON"
                    + _json_problem(str(first.get("ctx", {}).get("error", "")))
                ) from None
            if first["type"] == "model_type" and not first["loc"]:
                raise EventError(
                    f"content: type {kind} content must be a JSON object, got {_kind(json.loads(content))}"
                ) from None
            raise EventError(_problems(exc)) from None
        return content
    if content is None:
        if view is not None:
            raise EventError(f"content: required for type {kind}")
        return None
    if view is not None:
        _check_object(kind, view, content)
    elif not isinstance(content, dict | list):
        raise EventError(f"content: must be a string or a JSON object, got {_kind(content)}")
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"))


def _json_problem(error: str) -> str:
    """Why JSON text was refused, where it is more than "not JSON" (too deep, a lone surrogate)."""
    explained = jsontext.explain(error)
    return f" ({explained})" if explained != error else ""


def _check_object(kind: int, view: Any, decoded: Any) -> None:
    if not isinstance(decoded, dict):
        raise EventError(f"content: type {kind} content must be a JSON object, got {_kind(decoded)}")
    try:
        view.model_validate(decoded)
    except ValidationError as exc:
        raise EventError(_problems(exc)) from None


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"content.{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
        for error in exc.errors(include_url=False)
    )


def build_event(data: Mapping[str, Any], *, clock: Callable[[], int] = now_ms) -> LiveEvent:
    """A checked LiveEvent from one decoded line (either form). Raises EventError."""
    unknown = [key for key in data if key not in FIELDS]
    if unknown:
        raise EventError(f"unknown field {unknown[0]!r} (a line has {', '.join(FIELDS)})")
    if "type" not in data:
        raise EventError("type: required (an event without a type can trigger no rule)")
    kind = event_type(data["type"])
    content = data.get("content")
    friendly = content is not None and not isinstance(content, str)
    raw_time = data.get("timestamp")
    timestamp = clock() if raw_time is None else timestamp_ms(raw_time, allow_text=friendly)
    # Checked above, field by field with clear messages; the model validates again, in pydantic-core,
    # which costs less than model_construct's Python loop.
    return LiveEvent(timestamp=timestamp, type=kind, content=content_string(kind, content))


def parse_line(number: int, raw: bytes | str, *, clock: Callable[[], int] = now_ms) -> Line | None:
    """One input line -> a Line (event or error); None for a blank line."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_LINE_BYTES:
            return Line(number, error=f"longer than {format_size(MAX_LINE_BYTES)}: not one event")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Line(number, error=f"not UTF-8 (byte {exc.start + 1})")
    text = raw.strip()
    if not text:
        return None
    try:
        # Strict: deep nesting, NaN and a lone \ud800 are refused here, as a bad line, rather than
        # crashing the run later (RecursionError, or a str that cannot be encoded for the request).
        data = jsontext.decode(text)
    except jsontext.JsonTextError as exc:
        return Line(number, error=f"not JSON: {exc}")
    if not isinstance(data, dict):
        return Line(number, error=f"a line must be a JSON object (one event), got {_kind(data)}")
    try:
        return Line(number, build_event(data, clock=clock))
    except EventError as exc:
        return Line(number, error=str(exc))


def parse_lines(lines: Iterable[bytes | str], *, clock: Callable[[], int] = now_ms) -> Iterator[Line]:
    """Every non-blank line of a stream, numbered from 1 (blank lines count for numbering)."""
    for number, raw in enumerate(lines, start=1):
        line = parse_line(number, raw, clock=clock)
        if line is not None:
            yield line


def wire(event: LiveEvent) -> dict[str, Any]:
    """An event as it goes into the request body (fields left out when None, as to_wire does)."""
    out: dict[str, Any] = {"timestamp": event.timestamp}
    if event.type is not None:
        out["type"] = event.type
    if event.content is not None:
        out["content"] = event.content
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
