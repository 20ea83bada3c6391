"""A SmartLiveRoom as `smartlive export` writes it, from ShowSmartLiveRoom's answer.

What the service fills in is left out (ids, times, states, the room_type and view_mode it gives a room
that declares none), and so are the documented defaults the normalizer fills back; each secret it shows
masked (stream keys, the callback key) becomes a `${env:NAME}` reference. The room's rules that are an
exported group's copies (its group_id and group_name, its rules in its order, one enabled_scenes for all)
are written back as `{import: GROUP}`; every other rule is written inline, without the group_id and
group_name a manifest's inline rule cannot carry (plan then shows them going, which apply would do).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from reconciler.engine import normalize
from reconciler.engine.export_names import callback_key_reference, stream_key_references
from reconciler.engine.kind import Exported, ExportedSecret
from reconciler.kinds.common import view_mode_for
from reconciler.kinds.rule_group import exported_rule

#: The prefix of a room's secret variables (export_names.secret_variable).
SECRET_PREFIX: Final = "ROOM"
#: What the service makes a room that declares no room_type (the emulator: NORMAL, kept and reusable).
SERVICE_ROOM_TYPE: Final = "NORMAL"
#: What a copy carries of its group, and the scenes it is enabled in: not part of the group's rules.
_COPY_FIELDS: Final = frozenset({"group_id", "group_name", "enabled_scenes"})


def room_spec(
    shown: Mapping[str, Any],
    name: str,
    spec_fields: frozenset[str],
    defaults: Mapping[str, Any],
    groups: Mapping[str, Exported],
) -> tuple[dict[str, Any], tuple[ExportedSecret, ...]]:
    """(the spec of the room `shown`, written under metadata.name `name`; its secrets). `spec_fields`:
    the fields a room manifest takes; `groups`: the exported groups, by group_id."""
    body: dict[str, Any] = {k: v for k, v in shown.items() if k in spec_fields}
    if body.get("room_name") == name:
        del body["room_name"]  # room_name defaults to metadata.name
    if body.get("room_type") == SERVICE_ROOM_TYPE:
        del body["room_type"]
    if body.get("view_mode") == view_mode_for(body.get("video_config")):
        del body["view_mode"]
    platform = body.get("relation_live_platform_info")
    if isinstance(platform, dict):  # the answer adds details a request does not carry
        body["relation_live_platform_info"] = {
            k: v for k, v in platform.items() if k in ("platform_id", "live_id")
        }
    secrets: list[ExportedSecret] = []
    if body.get("stream_keys"):
        body["stream_keys"], named = stream_key_references(SECRET_PREFIX, name, len(body["stream_keys"]))
        secrets += named
    callback = body.get("live_event_callback_config")
    if isinstance(callback, dict) and callback.get("key"):
        key, secret = callback_key_reference(SECRET_PREFIX, name)
        body["live_event_callback_config"] = {**callback, "key": key}
        secrets.append(secret)
    rules = body.pop("interaction_rules", None) or []
    body = normalize.without_defaults(body, defaults)
    if rules:
        body["interaction_rules"] = room_rules(rules, groups)
    return body, tuple(secrets)


def room_rules(rules: Sequence[Mapping[str, Any]], groups: Mapping[str, Exported]) -> list[dict[str, Any]]:
    """The room's rules as manifest entries: `{import: GROUP}` for each run of an exported group's
    copies, inline rules for the others."""
    out: list[dict[str, Any]] = []
    index = 0
    while index < len(rules):
        group = groups.get(str(rules[index].get("group_id") or ""))
        count = len(group.spec.get("interaction_rules") or []) if group is not None else 0
        if group is not None and count and _copies_of(group, rules[index : index + count]):
            entry: dict[str, Any] = {"import": group.address.name}
            scenes = rules[index].get("enabled_scenes")
            if scenes is not None:
                entry["enabled_scenes"] = list(scenes)
            out.append(entry)
            index += count
            continue
        rule = {k: v for k, v in rules[index].items() if k not in ("group_id", "group_name")}
        out.append(exported_rule(rule))
        index += 1
    return out


def _copies_of(group: Exported, run: Sequence[Mapping[str, Any]]) -> bool:
    """`run` is the group's rules, copied into the room as an import makes them: every one naming the
    group, in the group's order, enabled in the same scenes."""
    if any(
        rule.get("group_id") != group.remote_id or rule.get("group_name") != group.remote_name for rule in run
    ):
        return False
    if len({repr(rule.get("enabled_scenes")) for rule in run}) > 1:
        return False
    copies = normalize.normalize_rules([{k: v for k, v in r.items() if k not in _COPY_FIELDS} for r in run])
    declared = normalize.normalize_rules(group.spec.get("interaction_rules") or [])
    return list(copies.items()) == list(declared.items())
