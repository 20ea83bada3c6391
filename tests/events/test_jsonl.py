"""The JSON Lines input of `smartlive events report`: both forms, and every check with its line number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.models import MAX_EPOCH_MS
from reconciler.events.jsonl import Line, parse_line, parse_lines, wire
from tests.events.conftest import USER

SEED_EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "seed_examples"
GIFT = {"giftName": "小星星", "giftNum": 10, "totalValue": 10, "giftValue": 3}


def line(record: Any, number: int = 1) -> Line:
    parsed = parse_line(number, json.dumps(record, ensure_ascii=False), clock=lambda: 42)
    assert parsed is not None
    return parsed


def error_of(record: Any) -> str:
    parsed = line(record)
    assert parsed.event is None, parsed
    assert parsed.error is not None
    return parsed.error


@pytest.mark.parametrize("name", ["000", "001"])
@pytest.mark.parametrize("kind", [1, 2, 3, 4, 6])
def test_every_seed_example_is_accepted_as_is(name: str, kind: int) -> None:
    record = json.loads((SEED_EXAMPLES / f"{name}_live_event_type{kind}_example.json").read_text())
    parsed = line(record)
    assert parsed.event is not None, parsed.error
    assert wire(parsed.event) == record  # the API form goes out byte for byte as it came in


def test_the_friendly_form_serialises_content_for_the_api() -> None:
    content = {"user": USER, "gift": GIFT}
    friendly = line({"timestamp": 1690531652862, "type": "gift", "content": content})
    api_form = line({"timestamp": 1690531652862, "type": 4, "content": json.dumps(content)})
    assert friendly.event is not None and api_form.event is not None
    assert friendly.event.type == api_form.event.type == 4
    assert friendly.event.content == json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    assert json.loads(friendly.event.content) == json.loads(api_form.event.content or "")


@pytest.mark.parametrize(
    ("name", "number"),
    [("comment", 1), ("entry", 2), ("like", 3), ("gift", 4), ("follow", 5), ("Viewers", 6)],
)
def test_type_names(name: str, number: int) -> None:
    content = {"numberOfViewers": 3} if number == 6 else {"user": USER, "gift": GIFT, "content": "hi"}
    parsed = line({"timestamp": 1, "type": name, "content": content})
    assert parsed.event is not None and parsed.event.type == number


def test_timestamps() -> None:
    stamped = line({"type": 2, "content": {"user": USER}})
    assert stamped.event is not None and stamped.event.timestamp == 42  # read time when left out
    rfc = line({"timestamp": "2023-11-14T22:13:20Z", "type": 2, "content": {"user": USER}})
    assert rfc.event is not None and rfc.event.timestamp == 1_700_000_000_000
    edge = line({"timestamp": MAX_EPOCH_MS, "type": 5})
    assert edge.event is not None and edge.event.timestamp == MAX_EPOCH_MS


def test_type_5_and_undefined_types_take_any_content() -> None:
    for record in (
        {"timestamp": 0, "type": 5, "content": "anything at all"},
        {"timestamp": 0, "type": 42, "content": {"free": ["form"]}},
        {"timestamp": 0, "type": 0},
    ):
        assert line(record).event is not None, record


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ([1, 2], "a line must be a JSON object (one event), got a list"),
        ({"timestamp": 1, "type": 2, "content": {"user": USER}, "timestmp": 2}, "unknown field 'timestmp'"),
        ({"timestamp": 1, "content": "{}"}, "type: required"),
        ({"timestamp": 1, "type": 101}, "type: 101 is outside 0-100"),
        ({"timestamp": 1, "type": -1}, "type: -1 is outside 0-100"),
        ({"timestamp": 1, "type": True}, "type: must be an integer 0-100 or a type name, got a boolean"),
        ({"timestamp": 1, "type": 1.0}, "type: must be an integer"),
        ({"timestamp": 1, "type": "gifts"}, "type: unknown name 'gifts'"),
        ({"timestamp": -1, "type": 5}, "timestamp: -1 is outside 0-4102415999000"),
        ({"timestamp": MAX_EPOCH_MS + 1, "type": 5}, "is outside 0-4102415999000"),
        ({"timestamp": 1.5, "type": 5}, "timestamp: must be an integer (epoch milliseconds), got a number"),
        ({"timestamp": "1700000000000", "type": 5}, "timestamp: must be an integer"),  # API form: no text
        ({"timestamp": "yesterday", "type": 2, "content": {"user": USER}}, "neither epoch milliseconds nor"),
        ({"timestamp": "2023-11-14T22:13:20", "type": 2, "content": {"user": USER}}, "has no time zone"),
        ({"timestamp": 1, "type": 1}, "content: required for type 1"),
        ({"timestamp": 1, "type": 1, "content": "xxxxx"}, "type 1 content must be a JSON object (as"),
        ({"timestamp": 1, "type": 1, "content": "[1]"}, "type 1 content must be a JSON object, got a list"),
        ({"timestamp": 1, "type": 1, "content": {"user": USER}}, "content.content: Field required"),
        ({"timestamp": 1, "type": 2, "content": {}}, "content.user: Field required"),
        (
            {"timestamp": 1, "type": 3, "content": {"user": "bob"}},
            "content.user: Input should be a valid dictionary",
        ),
        (
            {"timestamp": 1, "type": 2, "content": {"user": {"level": "high"}}},
            "content.user.level: Input should be a valid integer",
        ),
        ({"timestamp": 1, "type": 4, "content": {"user": USER}}, "content.gift: Field required"),
        (
            {"timestamp": 1, "type": 4, "content": {"user": USER, "gift": {"giftNum": "ten"}}},
            "content.gift.giftNum",
        ),
        ({"timestamp": 1, "type": 6, "content": {}}, "content.numberOfViewers: Field required"),
        (
            {"timestamp": 1, "type": 6, "content": json.dumps({"numberOfViewers": None})},
            "content.numberOfViewers",
        ),
        (
            {"timestamp": 1, "type": 42, "content": 7},
            "content: must be a string or a JSON object, got a number",
        ),
    ],
)
def test_every_check_names_the_field(record: Any, message: str) -> None:
    assert message in error_of(record)


def test_several_problems_are_all_named() -> None:
    error = error_of({"timestamp": 1, "type": 1, "content": {"user": {"userId": 5}}})
    assert "content.user.userId" in error and "content.content: Field required" in error


def test_lines_are_numbered_from_one_and_blank_lines_count() -> None:
    data = [
        json.dumps({"timestamp": 1, "type": 5}).encode(),
        b"",
        b"   ",
        b"{not json",
        b"\xff\xfe",
        json.dumps({"timestamp": 2, "type": 5}).encode() + b"\r",
    ]
    parsed = list(parse_lines(data))
    assert [(p.number, p.event is not None) for p in parsed] == [(1, True), (4, False), (5, False), (6, True)]
    assert parsed[1].error is not None and parsed[1].error.startswith("not JSON: ")
    assert parsed[2].error == "not UTF-8 (byte 1)"
