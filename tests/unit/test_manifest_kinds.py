"""The built-in kinds stay in step with the API models they mirror."""

from __future__ import annotations

from reconciler.api.models import LiveEventCallBackConfig, StartSmartLiveReq
from reconciler.kinds.live_job import ALLOW_RESTART, LiveEventCallBackConfigSpec, LiveJobSpec
from reconciler.kinds.rule_group import RuleGroupSpec
from reconciler.manifest import kinds


def test_job_spec_has_every_start_smart_live_field() -> None:
    # A field added to StartSmartLiveReq must be added to LiveJobSpec (and the schemas regenerated).
    assert set(LiveJobSpec.model_fields) == set(StartSmartLiveReq.model_fields) | {"room_id", "state"}
    assert set(LiveEventCallBackConfigSpec.model_fields) == set(LiveEventCallBackConfig.model_fields)


def test_copied_limits_match_the_api() -> None:
    for name in ("output_urls", "stream_keys"):
        assert LiveJobSpec.model_fields[name].metadata == StartSmartLiveReq.model_fields[name].metadata
    url = LiveEventCallBackConfigSpec.model_fields["live_event_type_callback_url"]
    assert url.metadata == LiveEventCallBackConfig.model_fields["live_event_type_callback_url"].metadata


def test_built_in_kinds() -> None:
    registered = kinds()
    assert list(registered)[:2] == ["InteractionRuleGroup", "SmartLiveJob"]  # later kinds register after
    assert registered["InteractionRuleGroup"].spec_model is RuleGroupSpec
    assert registered["SmartLiveJob"].spec_model is LiveJobSpec
    # The annotations smartlive reads are declared by the kind that reads them.
    assert ALLOW_RESTART in registered["SmartLiveJob"].annotations
