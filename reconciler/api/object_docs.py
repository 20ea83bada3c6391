"""What each request object is, in a manifest writer's words: the JSON Schemas' description of it.

The API reference documents fields (field_docs.py), not the objects that hold them, and the models'
docstrings are for the maintainers (they cite the reference's pages). A field whose own documentation
is empty, such as StartSmartLiveReq.video_config, is described by its object's text here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

OBJECT_DOCS: Final[Mapping[str, str]] = {
    "BackgroundConfigInfo": "A scene's background: an image (background_config, its URL) or a plain colour "
    "(background_color_config).",
    "BackgroundImageConfig": "Where the background image sits on the canvas (1920x1080 landscape, 1080x1920 "
    "portrait); it must cover the whole canvas.",
    "CoStreamerConfig": "The co-streamer, an assistant voice: its voice and what the streamer does while it "
    "speaks.",
    "HitCondition": "When an interaction rule fires: its tags, how they combine (relation) and the rule's "
    "priority among the rules that match.",
    "HitConditionTag": "One clause of a rule's condition: a field of the live event's content, matched "
    "against a value.",
    "ImageLayerConfig": "The image of an IMAGE layer.",
    "InteractionRuleInfo": "An interaction rule: the live events it matches (event_type, hit_condition) and "
    "what it does when one arrives (trigger).",
    "LayerConfig": "One layer of a scene: the digital human (HUMAN), an image, a video or a text.",
    "LayerPositionConfig": "Where a layer sits: canvas coordinates (not output pixels) and its stacking "
    "order.",
    "LayerRotationConfig": "A layer's rotation about its centre (videos do not rotate).",
    "LayerSizeConfig": "A layer's size on the canvas.",
    "LiveAudioConfig": "A paragraph spoken from an audio file (MP3) instead of text.",
    "LiveEventCallBackConfig": "The live events (script switches, RTMP stream state, replies played) "
    "posted to an HTTPS callback, and how the callback is signed.",
    "LiveExitConfig": "When a live job stops by itself: the longest it runs, how long it waits out an "
    "error, and how it stops.",
    "LiveJobRunConfig": "The resources a live job may use, and whether it must be the only job running in "
    "its room.",
    "LiveRoomEventCallBackConfig": "The live events (script switches, RTMP stream state, replies played) "
    "posted to an HTTPS callback, and how the callback is signed.",
    "LiveRoomInteractionConfig": "How the room plays interaction replies.",
    "LiveRoomInteractionRuleInfo": "An interaction rule of a room: the live events it matches and what it "
    "does, in the scenes it is enabled in.",
    "LiveShootScriptItem": "One paragraph of a scene: its text (or audio) and the product it presents.",
    "LiveVideoScriptInfo": "One scene of the room's show: who speaks (model_asset_id, voice_config), in "
    "front of what (background_config, layer_config), and what is said (shoot_scripts).",
    "PlatformLiveInfo": "The third-party live platform the room is linked to.",
    "PlayPolicy": "How the script plays: repeats, shuffling, text or audio, and when the live job stops by "
    "itself.",
    "RTCLiveEventCallBackConfig": "The events sent to the RTC player (LIVE_PROGRESS when this is left out).",
    "RelationProductInfo": "The product a paragraph presents (sent with the SHOOT_SCRIPT_SWITCH callback).",
    "ReplyAudioInfo": "A recorded reply: an audio file's URL and its name.",
    "ReviewConfig": "Content review of the texts (only tenants on the allow list may switch it off).",
    "SharedConfig": "Who may use a room template.",
    "SmartImageLayerConfig": "The image an IMAGE overlay shows.",
    "SmartLayerConfig": "An overlay (an image, a video or a text) shown when the rule fires.",
    "SmartTextLayerConfig": "The text a TEXT overlay shows.",
    "SmartVideoLayerConfig": "The video a VIDEO overlay shows.",
    "SubtitleConfig": "The subtitles' style (live does not support subtitles yet).",
    "TextConfig": "A paragraph's lines: plain text or SSML.",
    "TextLayerConfig": "The text of a TEXT layer (Base64) and its font.",
    "TriggerProcess": "What a rule does when it fires: the reply (texts, audio, an AI robot or a callback), "
    "an overlay, and how often it may fire.",
    "VideoConfig": "The output video: codec, resolution (1920x1080 or 1080x1920 for live), bitrate and "
    "frame rate.",
    "VideoLayerConfig": "The video of a VIDEO layer: its URL, sound and looping.",
    "VoiceConfig": "A voice: the voice asset, and its speed, pitch and volume.",
}
