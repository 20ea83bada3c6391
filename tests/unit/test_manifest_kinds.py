"""The built-in kinds stay in step with the API models they mirror."""

from __future__ import annotations

from reconciler.api.models import (
    CreateSmartLiveRoomReq,
    LiveEventCallBackConfig,
    LiveRoomEventCallBackConfig,
    LiveRoomInteractionRuleInfo,
    StartSmartLiveReq,
)
from reconciler.kinds.live_job import ALLOW_RESTART, LiveEventCallBackConfigSpec, LiveJobSpec
from reconciler.kinds.rule_group import RuleGroupSpec
from reconciler.kinds.smart_live_room import InlineRule, RoomCallbackSpec, RoomSpec
from reconciler.manifest import kinds


def test_job_spec_has_every_start_smart_live_field() -> None:
    # A field added to StartSmartLiveReq must be added to LiveJobSpec (and the schemas regenerated).
    # room / room_id (exactly one: the room the job runs in) and state are the manifest's own.
    assert set(LiveJobSpec.model_fields) == set(StartSmartLiveReq.model_fields) | {"room", "room_id", "state"}
    assert set(LiveEventCallBackConfigSpec.model_fields) == set(LiveEventCallBackConfig.model_fields)


def test_room_spec_has_every_create_smart_live_room_field() -> None:
    # A field added to CreateSmartLiveRoomReq must be added to RoomSpec (and the schemas regenerated).
    assert set(RoomSpec.model_fields) == set(CreateSmartLiveRoomReq.model_fields)
    assert set(RoomCallbackSpec.model_fields) == set(LiveRoomEventCallBackConfig.model_fields)
    # A rule of the room's own is the API's room rule without the group it was copied from
    # (an `import: GROUP` entry is what sets group_id and group_name).
    assert set(InlineRule.model_fields) == set(LiveRoomInteractionRuleInfo.model_fields) - {
        "group_id",
        "group_name",
    }


def test_copied_limits_match_the_api() -> None:
    for name in ("output_urls", "stream_keys"):
        assert LiveJobSpec.model_fields[name].metadata == StartSmartLiveReq.model_fields[name].metadata
        assert RoomSpec.model_fields[name].metadata == CreateSmartLiveRoomReq.model_fields[name].metadata
    assert (
        RoomSpec.model_fields["room_name"].metadata
        == CreateSmartLiveRoomReq.model_fields["room_name"].metadata
    )
    url = LiveEventCallBackConfigSpec.model_fields["live_event_type_callback_url"]
    assert url.metadata == LiveEventCallBackConfig.model_fields["live_event_type_callback_url"].metadata
    room_url = RoomCallbackSpec.model_fields["live_event_type_callback_url"]
    assert (
        room_url.metadata == LiveRoomEventCallBackConfig.model_fields["live_event_type_callback_url"].metadata
    )


def test_built_in_kinds() -> None:
    registered = kinds()
    # Resource kinds in reference order (a room imports groups, a job names its room); later kinds
    # and the document kinds register after.
    assert list(registered)[:3] == ["InteractionRuleGroup", "SmartLiveRoom", "SmartLiveJob"]
    assert registered["InteractionRuleGroup"].spec_model is RuleGroupSpec
    assert registered["SmartLiveRoom"].spec_model is RoomSpec
    assert registered["SmartLiveJob"].spec_model is LiveJobSpec
    # The annotations smartlive reads are declared by the kind that reads them.
    assert ALLOW_RESTART in registered["SmartLiveJob"].annotations
