"""A SmartLiveJob as `smartlive export` writes it: an active job, from its list entry (the fields the job
APIs show) and GET_LIVE_JOB_CONFIG_INFO (its effective configuration, the room's where the job set none).

A job runs with its room's value of every field its start left out, so a field equal to the room's is the
room's and is not written; nor are documented defaults, or a view_mode the resolution gives. A stream key
is written (as a `${env:NAME}` reference) only where the room has none, the callback key where the job's
callback differs from the room's: the service shows both masked, so a job's own key over its room's
cannot be told from the room's. interaction_callback_url and job_run_config are never shown: a job
started with them needs them added by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from reconciler.engine import normalize
from reconciler.engine.export_names import callback_key_reference, stream_key_references
from reconciler.engine.kind import ExportedSecret
from reconciler.kinds.common import view_mode_for

#: The prefix of a job's secret variables (export_names.secret_variable).
SECRET_PREFIX: Final = "JOB"
#: What export cannot know of any job, said once.
UNSHOWN_NOTE: Final = (
    "the service never shows a job's interaction_callback_url or job_run_config: add them to a job's "
    "manifest by hand where it was started with them"
)
_OBSERVED: Final = ("live_event_callback_config", "rtc_callback_config", "co_streamer_config")
_CONFIGURED: Final = ("video_config", "play_policy", "output_urls")


def job_spec(
    room: Mapping[str, Any],
    listed: Mapping[str, Any],
    config: Mapping[str, Any] | None,
    name: str,
    *,
    room_entry: dict[str, str],
    defaults: Mapping[str, Any],
    rtc_default: Mapping[str, Any],
    callback_fields: frozenset[str],
) -> tuple[dict[str, Any], tuple[ExportedSecret, ...]]:
    """(the spec of a job, written under metadata.name `name`; its secrets). `room`: its room as shown;
    `listed`: the job's list entry; `config`: its effective configuration (None: not read back);
    `room_entry`: `{room: NAME}` or `{room_id: ID}`."""
    spec: dict[str, Any] = dict(room_entry)
    own = {k: listed.get(k) for k in _OBSERVED}
    if config is not None:
        own.update({k: config.get(k) for k in (*_CONFIGURED, "view_mode")})
    for field_name, value in own.items():
        value = normalize.clean(value, field_name)
        if value in (None, {}, []) or value == normalize.clean(room.get(field_name), field_name):
            continue  # the room's: the job runs with it
        if field_name == "rtc_callback_config" and value == rtc_default and not room.get(field_name):
            continue  # the service's own when neither says
        spec[field_name] = value
    if spec.get("view_mode") == view_mode_for(spec.get("video_config")) and "video_config" in spec:
        del spec["view_mode"]  # derived from the job's resolution
    callback = spec.get("live_event_callback_config")
    if isinstance(callback, dict):
        spec["live_event_callback_config"] = {k: v for k, v in callback.items() if k in callback_fields}
    secrets: list[ExportedSecret] = []
    keys = (config or {}).get("stream_keys")
    if keys and not room.get("stream_keys"):
        spec["stream_keys"], named = stream_key_references(SECRET_PREFIX, name, len(keys))
        secrets += named
    callback = spec.get("live_event_callback_config")
    if isinstance(callback, dict) and callback.get("key"):
        callback["key"], secret = callback_key_reference(SECRET_PREFIX, name)
        secrets.append(secret)
    spec.pop("interaction_callback_url", None)  # never written, even where a service echoed it
    head: dict[str, Any] = {k: spec.pop(k) for k in ("room", "room_id") if k in spec}
    return {**head, **normalize.without_defaults(spec, defaults)}, tuple(secrets)
