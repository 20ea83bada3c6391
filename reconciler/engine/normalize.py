"""One canonical form for both sides of a diff, so that a difference is a real difference.

Following argo's gitops-engine: per kind, drop what the server fills in (rule_id, create_time,
update_time, rule_index), fill the documented defaults (priority 500, enabled true, ...), key rules by
rule_name, and give numbers and strings one type. Inputs are the JSON-shaped dicts of the API models
(`model_dump(mode="json", exclude_none=True)`); outputs are plain dicts that compare with `==`.

Every default filled here is one the API reference documents; each false difference ever found has a
golden desired/live pair under tests/golden/normalize/.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Container, Iterable, Mapping
from typing import Any

from reconciler.api import models
from reconciler.api.values import number_text

#: Server-assigned fields of a rule; rule_index is documented as "no need for the user to fill in".
RULE_SERVER_FIELDS = frozenset({"rule_id", "create_time", "update_time", "rule_index"})

#: Where each model with documented defaults sits inside a rule.
_RULE_PLACES = {"InteractionRuleInfo": "", "HitCondition": "hit_condition.", "TriggerProcess": "trigger."}


def defaults_at(places: Mapping[str, str]) -> dict[str, Any]:
    """models.DOCUMENTED_DEFAULTS re-keyed by dotted path (tuples become lists, as JSON has them)."""
    out: dict[str, Any] = {}
    for model, prefix in places.items():
        for name, value in models.DOCUMENTED_DEFAULTS[model].items():
            out[prefix + name] = list(value) if isinstance(value, tuple) else value
    return out


#: Documented defaults (seed 004 / SDK docstrings), by dotted path inside one rule.
RULE_DEFAULTS: Mapping[str, Any] = defaults_at(_RULE_PLACES)
#: Set-like lists whose order carries no meaning.
_UNORDERED_LISTS = frozenset({"callback_event_type", "rtc_callback_event_type"})

_LEAVES = frozenset({str, int, bool})
#: What clean makes of any container: dropped when empty.
_CONTAINERS = frozenset({dict, list})


def clean(value: Any, key: str = "") -> Any:
    """Drop None and empty containers; whole floats become ints; set-like lists are sorted.

    Written for speed (plan normalizes every rule of every group on both sides): leaves are tested by exact
    type before any isinstance, which would go through the ABC machinery for Mapping, and a leaf is kept
    without a call."""
    kind = type(value)
    if kind in _LEAVES or value is None:
        return value
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is dict or isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            name = k if type(k) is str else str(k)
            if type(v) not in _LEAVES:
                if v is None:
                    continue
                v = clean(v, name)
                if not v and type(v) in _CONTAINERS:
                    continue
            out[name] = v
        return out
    if kind is list or kind is tuple or isinstance(value, list | tuple):
        items = [v if type(v) in _LEAVES else clean(v) for v in value if v is not None]
        if key in _UNORDERED_LISTS:
            # A set-like list is a set: its order and repeats carry no meaning.
            unique = {json.dumps(v, sort_keys=True): v for v in items}
            return [unique[k] for k in sorted(unique)]
        return items
    return value


@functools.lru_cache(maxsize=256)
def _split(dotted: str) -> tuple[tuple[str, ...], str]:
    *parents, leaf = dotted.split(".")
    return tuple(parents), leaf


def fill(target: dict[str, Any], defaults: Mapping[str, Any]) -> None:
    """Fill `a.b` defaults; a default inside an absent parent object is not created (the parent
    object itself being absent is what the user declared)."""
    for dotted, default in defaults.items():
        parents, leaf = _split(dotted)
        node: Any = target
        for part in parents:
            node = node.get(part) if type(node) is dict else None
            if node is None:
                break
        if type(node) is dict and leaf not in node:
            # A fresh copy of a list default: the canonical forms must not share one mutable object.
            node[leaf] = list(default) if type(default) is list else default


def normalize_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = clean({k: v for k, v in rule.items() if k not in RULE_SERVER_FIELDS})
    out.setdefault("hit_condition", {})
    fill(out, RULE_DEFAULTS)
    condition = out["hit_condition"]
    if isinstance(condition.get("relation"), str):
        # The seed writes And/Or, the service AND/OR: one meaning, one spelling.
        condition["relation"] = condition["relation"].upper()
    for tag in condition.get("tags", []):
        if isinstance(tag, dict) and "value" in tag and not isinstance(tag["value"], str):
            tag["value"] = number_text(tag["value"])
    return out


def rule_key(rule: Mapping[str, Any], position: int, taken: Container[str]) -> str:
    """A rule's key in the canonical form: its rule_name; `#3` for an unnamed third rule; `name#2` for the
    second rule of a name (validate forbids that, another tool may not). No two rules share a key, so none
    hides another: a key per name alone would let a duplicate or a second unnamed rule go unseen."""
    name = rule.get("rule_name")
    base = f"#{position}" if name is None else str(name)
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}#{n}"
    return key


#: The canonical key that records the order of rules whose order decides which one answers.
RULE_ORDER = "rule_order"


def tie_order(rules: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """The order of the rules that tie (same event_type and priority), by the rules' keys in `rules`'
    order: among those, the first declared answers (the rule engine's step 3), so their order is part of
    what a group or room declares. Rules that do not tie may be listed in any order."""
    ties: dict[str, list[str]] = {}
    for key, rule in rules.items():
        condition = rule.get("hit_condition")
        priority = condition.get("priority") if isinstance(condition, Mapping) else None
        ties.setdefault(f"event_type {rule.get('event_type')}, priority {priority}", []).append(key)
    return {tie: keys for tie, keys in ties.items() if len(keys) > 1}


def with_rule_order(canonical: dict[str, Any]) -> dict[str, Any]:
    """`canonical` (a group's or a room's) with RULE_ORDER filled from its interaction_rules."""
    order = tie_order(canonical.get("interaction_rules") or {})
    if order:
        canonical[RULE_ORDER] = order
    return canonical


def normalize_rules(rules: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """{key: canonical rule} in declaration order; the key is the rule_name (see rule_key)."""
    out: dict[str, Any] = {}
    for position, rule in enumerate(rules, start=1):
        canonical = normalize_rule(rule)
        out[rule_key(canonical, position, out)] = canonical
    return out


def without_defaults(
    value: Mapping[str, Any], defaults: Mapping[str, Any], *, recreated: Collection[str] = ()
) -> dict[str, Any]:
    """`value` (a JSON-shaped object) with every leaf equal to its documented default left out, for a
    manifest a user reads (`smartlive export`): `fill` puts them back. An object whose leaves are all
    defaults keeps one of them, since `fill` never creates an absent object (its absence says something
    else), unless it is in `recreated`: one the normalizer makes when absent (a rule's hit_condition)."""
    out = json.loads(json.dumps(value))
    for dotted, default in defaults.items():
        parents, leaf = _split(dotted)
        node: Any = out
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if not (isinstance(node, dict) and leaf in node) or clean(node[leaf], leaf) != clean(default, leaf):
            continue
        # The last leaf of an object stays, so the object is still declared.
        if len(node) > 1 or (parents and ".".join(parents) in recreated):
            del node[leaf]
    for parent in recreated:
        if out.get(parent) == {}:
            del out[parent]
    return dict(out)
