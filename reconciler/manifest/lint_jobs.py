"""Semantic checks of live jobs: what StartSmartLive accepts but a digital-human live cannot do.

The API's VideoConfig serves video production too (4K, VP8, subtitles, any bitrate 40-30000); live
streaming supports much less (seed 003): those limits are checked here. Things the service would
reject or that break the stream are errors; things it ignores or overrides are warnings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from reconciler.api.models import VideoConfig
from reconciler.manifest import codes
from reconciler.manifest.diagnostics import DocPath, Finding
from reconciler.manifest.registry import NarrowedEnum
from reconciler.manifest.secrets import LiteralSecret

LIVE_RESOLUTIONS: Final = {(1920, 1080): "LANDSCAPE", (1080, 1920): "VERTICAL"}
#: VP8 and QTRLE are for video production: the kinds that run this lint (rooms, jobs) declare it, so
#: that their JSON Schemas offer H264 only.
LIVE_CODEC: Final = NarrowedEnum(VideoConfig, "codec", ("H264",), "Live video is H264 only (J005).")
#: Seed 003 lists it among StartSmartLive's constraints ("分身数字人直播码率范围[1000, 8000]"): an error.
LIVE_BITRATE: Final = (1000, 8000)
_KEYED_AUTH: Final = frozenset({"MSS_A", "MSS_A_HEAD"})


def lint_live_job(spec: Any) -> Iterator[Finding]:
    """The checks of a StartSmartLive-shaped spec (a job's; a room's defaults share the fields)."""
    if spec.video_config is not None:
        yield from _video(spec.video_config, spec.view_mode, ("spec", "video_config"))
    for index, url in enumerate(spec.output_urls or []):
        if not url.lower().startswith(("rtmp://", "rtmps://")):
            yield Finding(
                codes.OUTPUT_URL_SCHEME,
                "an output URL is an RTMP push address: rtmp://... or rtmps://...",
                ("spec", "output_urls", index),
            )
    urls, keys = len(spec.output_urls or []), len(spec.stream_keys or [])
    if urls != keys:
        yield Finding(
            codes.STREAM_KEY_COUNT,
            f"{keys} stream_keys for {urls} output_urls: each output URL needs its stream key",
            ("spec", "stream_keys") if spec.stream_keys is not None else ("spec", "output_urls"),
            at_key=True,
        )
    callback_url = getattr(spec, "interaction_callback_url", None)  # a job's; rooms have none
    if isinstance(callback_url, LiteralSecret) and not _is_https(callback_url.resolve()):
        # The URL itself is not shown: it may carry credentials.
        yield Finding(
            codes.CALLBACK_NOT_HTTPS,
            "interaction_callback_url must be https://",
            ("spec", "interaction_callback_url"),
        )
    events = spec.live_event_callback_config
    if events is not None:
        path: DocPath = ("spec", "live_event_callback_config")
        if events.live_event_type_callback_url is not None and not _is_https(
            events.live_event_type_callback_url
        ):
            yield Finding(
                codes.CALLBACK_NOT_HTTPS,
                "live_event_type_callback_url must be https://",
                (*path, "live_event_type_callback_url"),
            )
        if events.auth_type in _KEYED_AUTH and events.key is None:
            yield Finding(
                codes.CALLBACK_KEY_MISSING,
                f"auth_type {events.auth_type} signs callbacks with a key: set key to '${{env:CALLBACK_KEY}}'",
                (*path, "auth_type"),
            )
        if events.key is not None and events.auth_type in (None, "NONE"):
            yield Finding(
                codes.CALLBACK_KEY_UNUSED,
                f"key is not used with auth_type {events.auth_type or 'NONE (the default)'}",
                (*path, "key"),
                at_key=True,
            )


def _video(video: VideoConfig, view_mode: str | None, path: DocPath) -> Iterator[Finding]:
    resolution = (video.width, video.height)
    orientation = LIVE_RESOLUTIONS.get(resolution)
    if orientation is None:
        yield Finding(
            codes.RESOLUTION_UNSUPPORTED,
            f"live video is 1080x1920 (portrait) or 1920x1080 (landscape), not {video.width}x{video.height}",
            (*path, "width"),
        )
    elif view_mode is not None and view_mode != orientation:
        yield Finding(
            codes.VIEW_MODE_MISMATCH,
            f"view_mode {view_mode} disagrees with the {video.width}x{video.height} resolution ({orientation}); "
            "leave view_mode out and the service derives it",
            ("spec", "view_mode"),
        )
    low, high = LIVE_BITRATE
    if not low <= video.bitrate <= high:
        yield Finding(
            codes.BITRATE_OUT_OF_RANGE,
            f"live bitrate is {low}-{high} kbps; {video.bitrate} is outside it",
            (*path, "bitrate"),
        )
    if video.frame_rate is not None and video.frame_rate.strip() != "25":
        yield Finding(
            codes.FRAME_RATE_NOT_25,
            "live video runs at 25 fps whatever frame_rate says",
            (*path, "frame_rate"),
        )
    if video.is_subtitle_enable:
        yield Finding(
            codes.SUBTITLES_UNSUPPORTED, "live does not support subtitles yet", (*path, "is_subtitle_enable")
        )
    if video.subtitle_config is not None:
        yield Finding(
            codes.SUBTITLES_UNSUPPORTED,
            "subtitle_config has no effect: live does not support subtitles yet",
            (*path, "subtitle_config"),
            at_key=True,
        )
    if video.codec is not None and video.codec not in LIVE_CODEC.values:
        yield Finding(
            codes.CODEC_UNSUPPORTED, f"live video is encoded H264, not {video.codec}", (*path, "codec")
        )


def _is_https(url: str) -> bool:
    return url.lower().startswith("https://")
