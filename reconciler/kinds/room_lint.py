"""Semantic checks of a SmartLiveRoom: what the room body's types allow but the service cannot use.

The canvas is the room's: landscape 1920x1080 when its video_config is wider than high (or its view_mode
says LANDSCAPE), else portrait 1080x1920 (the documented default view_mode, VERTICAL). The room's
defaults for a job (video_config, outputs, callbacks) are checked as a job's are (J codes), its own rules
as a group's are (R codes).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any, Final

from reconciler.manifest import codes
from reconciler.manifest.diagnostics import DocPath, Finding
from reconciler.manifest.lint_jobs import lint_live_job
from reconciler.manifest.lint_rules import lint_rules

LANDSCAPE: Final = (1920, 1080)
PORTRAIT: Final = (1080, 1920)


def canvas_of(spec: Any) -> tuple[int, int]:
    video = spec.video_config
    if video is not None and video.width and video.height:
        return LANDSCAPE if video.width > video.height else PORTRAIT
    return LANDSCAPE if spec.view_mode == "LANDSCAPE" else PORTRAIT


def lint_room(resource: Any) -> Iterator[Finding]:
    spec = resource.spec
    yield from lint_live_job(spec)
    yield from _rules(spec)
    canvas = canvas_of(spec)
    for index, script in enumerate(spec.scene_scripts or []):
        path: DocPath = ("spec", "scene_scripts", index)
        for b, background in enumerate(script.background_config or []):
            yield from _background(background, canvas, (*path, "background_config", b))
        for n, layer in enumerate(script.layer_config or []):
            yield from _layer(layer, canvas, (*path, "layer_config", n))


def _rules(spec: Any) -> Iterator[Finding]:
    inline: list[Any] = []
    positions: list[int] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(spec.interaction_rules or []):
        group = getattr(entry, "import_", None)
        if group is None:
            inline.append(entry)
            positions.append(index)
        elif group in seen:
            yield Finding(
                codes.GROUP_IMPORTED_TWICE,
                f"rule group {group!r} is already imported by interaction_rules[{seen[group]}]: its rules would be "
                "in the room twice",
                ("spec", "interaction_rules", index, "import"),
            )
        else:
            seen[group] = index
    yield from lint_rules(inline, ("spec", "interaction_rules"), positions)


def _background(background: Any, canvas: tuple[int, int], path: DocPath) -> Iterator[Finding]:
    image = background.background_image_config
    if image is None:
        return
    width, height = canvas
    # The SDK: dx <= 0, dy <= 0, dx + width >= the canvas width, dy + height >= its height.
    if not (
        image.dx <= 0
        and image.dy <= 0
        and image.dx + image.width >= width
        and image.dy + image.height >= height
    ):
        yield Finding(
            codes.BACKGROUND_NOT_COVERING,
            f"a {image.width}x{image.height} background at ({image.dx}, {image.dy}) does not cover the room's "
            f"{width}x{height} canvas (needs dx <= 0, dy <= 0, dx + width >= {width}, dy + height >= {height})",
            (*path, "background_image_config"),
        )


def _layer(layer: Any, canvas: tuple[int, int], path: DocPath) -> Iterator[Finding]:
    position, size = layer.position, layer.size
    if position is not None and size is not None:
        x, y = position.dx or 0, position.dy or 0
        w, h = size.width or 0, size.height or 0
        if x < 0 or y < 0 or x + w > canvas[0] or y + h > canvas[1]:
            yield Finding(
                codes.ROOM_LAYER_OUTSIDE,
                f"a {w}x{h} layer at ({x}, {y}) is not inside the room's {canvas[0]}x{canvas[1]} canvas",
                (*path, "position"),
            )
    text = layer.text_config
    if text is not None and text.text_context and not _is_base64(text.text_context):
        yield Finding(
            codes.TEXT_NOT_BASE64,
            "text_context is the layer's text Base64-encoded (e.g. 5rWL6K+V for 测试)",
            (*path, "text_config", "text_context"),
        )


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    return True
