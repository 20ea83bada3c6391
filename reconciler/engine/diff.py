"""Field-level differences between two canonical forms, with paths a person can read.

deepdiff finds the changes; this module only names them: `interaction_rules[greet].trigger.reply_texts[1]`
(rules are keyed by rule_name in the canonical form, so a rule's path carries its name, not a position).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from reconciler.engine.plan import FieldChange

#: Canonical maps whose keys are names, rendered `parent[name]` rather than `parent.name`.
NAMED_MAPS = frozenset({"interaction_rules", "rule_order"})
_MISSING = None


def readable_path(parts: Iterable[Any]) -> str:
    out = ""
    parent: Any = None
    for part in parts:
        if isinstance(part, int) or parent in NAMED_MAPS:
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
        parent = part
    return out


def _value(obj: Any) -> Any:
    # deepdiff marks a side that does not exist with its own NotPresent type.
    return _MISSING if type(obj).__name__ == "NotPresent" else obj


def diff(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    forces_restart: Callable[[str], bool] = lambda _path: False,
) -> tuple[FieldChange, ...]:
    """Every changed leaf (or added/removed subtree), sorted by path."""
    if before == after:
        return ()
    from deepdiff import DeepDiff  # imported on the first real difference: a no-change plan never pays for it

    # ignore_private_variables=False: by default deepdiff skips keys that start with "__", and rule names
    # are keys here: a rule named "__vip" would be added, removed or changed unseen (found by
    # tests/unit/test_normalize.py's property test).
    tree = DeepDiff(dict(before), dict(after), view="tree", verbose_level=2, ignore_private_variables=False)
    changes: dict[str, FieldChange] = {}
    for report in tree.values():
        for level in report:
            path = readable_path(level.path(output_format="list"))
            changes[path] = FieldChange(path, _value(level.t1), _value(level.t2), forces_restart(path))
    return tuple(changes[p] for p in sorted(changes))
