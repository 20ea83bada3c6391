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
from collections.abc import Container, Mapping
from typing import Any

from reconciler.api import models

#: Server-assigned fields of a rule; rule_index is documented as "no need for the user to fill in".
RULE_SERVER_FIELDS = frozenset({"rule_id", "create_time", "update_time", "rule_index"})

#: Where each model with documented defaults sits inside a rule / a StartSmartLiveReq body.
_RULE_PLACES = {"InteractionRuleInfo": "", "HitCondition": "hit_condition.", "TriggerProcess": "trigger."}
_JOB_PLACES = {
    "VideoConfig": "video_config.",
    "SubtitleConfig": "video_config.subtitle_config.",
    "PlayPolicy": "play_policy.",
    "LiveExitConfig": "play_policy.live_exit_config.",
    "LiveEventCallBackConfig": "live_event_callback_config.",
    "VoiceConfig": "co_streamer_config.voice_config.",
}


def _defaults_at(places: Mapping[str, str]) -> dict[str, Any]:
    """models.DOCUMENTED_DEFAULTS re-keyed by dotted path (tuples become lists, as JSON has them)."""
    out: dict[str, Any] = {}
    for model, prefix in places.items():
        for name, value in models.DOCUMENTED_DEFAULTS[model].items():
            out[prefix + name] = list(value) if isinstance(value, tuple) else value
    return out


#: Documented defaults (seed 004 / SDK docstrings), by dotted path inside one rule.
RULE_DEFAULTS: Mapping[str, Any] = _defaults_at(_RULE_PLACES)
#: Documented defaults of StartSmartLiveReq (seed 003), by dotted path inside the request body.
JOB_DEFAULTS: Mapping[str, Any] = _defaults_at(_JOB_PLACES)
#: Seed 003: "未携带配置则默认订阅LIVE_PROGRESS" - without a config the job subscribes LIVE_PROGRESS.
DEFAULT_RTC_CALLBACK = _defaults_at({"RTCLiveEventCallBackConfig": ""})

#: StartSmartLiveReq fields the service never returns (API.md): compared through the state store only.
JOB_BLIND_FIELDS = (
    "video_config",
    "play_policy",
    "output_urls",
    "stream_keys",
    "interaction_callback_url",
    "view_mode",
    "job_run_config",
)
#: Fields a running job shows, compared with the live value directly.
JOB_OBSERVED_FIELDS = ("live_event_callback_config", "rtc_callback_config", "co_streamer_config")
_OBSERVED_DEFAULTS = {k: v for k, v in JOB_DEFAULTS.items() if k.split(".", 1)[0] in JOB_OBSERVED_FIELDS}
#: A change confined to these is applied with REFRESH_OUTPUT_URL, without restarting the stream.
JOB_OUTPUT_FIELDS = frozenset({"output_urls", "stream_keys"})
#: Set-like lists whose order carries no meaning.
_UNORDERED_LISTS = frozenset({"callback_event_type", "rtc_callback_event_type"})
#: The callback key is a secret: it is compared through its fingerprint, never with a live value.
SECRET_OBSERVED_PATHS = frozenset({"live_event_callback_config.key"})


_LEAVES = frozenset({str, int, bool})


def _is_empty(value: Any) -> bool:
    return value is None or (type(value) in (dict, list) and not value)


def _clean(value: Any, key: str = "") -> Any:
    """Drop None and empty containers; whole floats become ints; set-like lists are sorted.

    Written for speed (plan normalizes every rule of every group on both sides): leaves are tested by exact
    type before any isinstance, which would go through the ABC machinery for Mapping."""
    kind = type(value)
    if kind in _LEAVES or value is None:
        return value
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is dict or isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            cleaned = v if type(v) in _LEAVES else _clean(v, k if type(k) is str else str(k))
            if not _is_empty(cleaned):
                out[k if type(k) is str else str(k)] = cleaned
        return out
    if kind is list or kind is tuple or isinstance(value, list | tuple):
        items = [v if type(v) in _LEAVES else _clean(v) for v in value]
        items = [v for v in items if v is not None]
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


def _fill(target: dict[str, Any], defaults: Mapping[str, Any]) -> None:
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
    out: dict[str, Any] = _clean({k: v for k, v in rule.items() if k not in RULE_SERVER_FIELDS})
    out.setdefault("hit_condition", {})
    _fill(out, RULE_DEFAULTS)
    condition = out["hit_condition"]
    if isinstance(condition.get("relation"), str):
        # The seed writes And/Or, the service AND/OR: one meaning, one spelling.
        condition["relation"] = condition["relation"].upper()
    for tag in condition.get("tags", []):
        if isinstance(tag, dict) and "value" in tag and not isinstance(tag["value"], str):
            tag["value"] = number_text(tag["value"])
    return out


def number_text(value: Any) -> str:
    """A JSON number or boolean as the text a manifest writes for it: 20 and 20.0 are "20"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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


def normalize_group(group: Mapping[str, Any]) -> dict[str, Any]:
    """{"group_name", "interaction_rules": {key: rule}} from a request body or a show response; the key is
    the rule_name (see rule_key)."""
    rules: dict[str, Any] = {}
    for position, rule in enumerate(group.get("interaction_rules") or [], start=1):
        canonical = normalize_rule(rule)
        rules[rule_key(canonical, position, rules)] = canonical
    return {"group_name": group.get("group_name"), "interaction_rules": rules}


def view_mode_for(video_config: Mapping[str, Any] | None) -> str:
    """Seed 003: view_mode is derived from the resolution; the default is VERTICAL."""
    if video_config and int(video_config.get("width") or 0) > int(video_config.get("height") or 0):
        return "LANDSCAPE"
    return "VERTICAL"


def normalize_job_request(body: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical StartSmartLiveReq: observed fields and blind fields, defaults filled.

    An observed field the body leaves out (rtc_callback_config, say) is not filled in: the job then runs
    with its room's value, which only the room knows (see declared_observed_fields)."""
    out: dict[str, Any] = _clean(dict(body))
    _fill(out, JOB_DEFAULTS)
    out.setdefault("view_mode", view_mode_for(out.get("video_config")))
    return out


def observed_job_fields(job: Mapping[str, Any]) -> dict[str, Any]:
    """The comparable part of a job, from either side (request body or SmartLiveJob response)."""
    source: dict[str, Any] = _clean({k: job.get(k) for k in JOB_OBSERVED_FIELDS})
    _fill(source, _OBSERVED_DEFAULTS)
    source.setdefault("rtc_callback_config", dict(DEFAULT_RTC_CALLBACK))
    callback = source.get("live_event_callback_config")
    if isinstance(callback, dict):
        callback.pop("key", None)
    return source


def declared_observed_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """The observed fields a StartSmartLiveReq body declares, canonical, defaults filled inside them.

    A job started without live_event_callback_config, rtc_callback_config or co_streamer_config runs with
    its room's (and only without a room value with the documented default), so a field the manifest
    leaves out is not compared: restarting the job would not change it. As `kubectl diff` leaves alone
    the fields a manifest does not set."""
    declared = _clean(dict(body))
    return {k: v for k, v in observed_job_fields(declared).items() if k in declared}


def comparable_live_fields(live: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a live job's observed fields to compare with `desired` (declared_observed_fields):
    the fields the manifest declares; the others are the room's."""
    return {k: v for k, v in live.items() if k in desired}


def blind_job_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    canonical = normalize_job_request(body)
    out = {k: canonical[k] for k in JOB_BLIND_FIELDS if k in canonical}
    callback = canonical.get("live_event_callback_config")
    if isinstance(callback, dict) and "key" in callback:
        # Not comparable with a live value (see SECRET_OBSERVED_PATHS), so tracked with the blind ones.
        out["live_event_callback_config.key"] = callback["key"]
    return out
