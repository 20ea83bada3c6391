"""How the API writes a value where its models want text: shared by the client and the normalizer."""

from __future__ import annotations

from typing import Any


def number_text(value: Any) -> str:
    """A JSON number or boolean as the text a manifest writes for it: 20 and 20.0 are "20"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
