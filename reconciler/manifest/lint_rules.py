"""Semantic checks of interaction rule groups: what the types allow but the service cannot use.

Each check yields a Finding whose path starts at the document root, so the loader can point at the
exact key. Range, enum and length limits (priority 0-999, font_size 4-120, font names, ...) are
type-level and reported by the models (M007), not here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Final

from reconciler.api.models import HitCondition, InteractionRuleInfo, SmartLayerConfig, TriggerProcess
from reconciler.manifest import codes
from reconciler.manifest.diagnostics import DocPath, Finding
from reconciler.manifest.regex_check import regex_error

#: Both canvases a layer may be placed on; a group is not tied to one job, so a layer must fit one.
LANDSCAPE_CANVAS: Final = (1920, 1080)
PORTRAIT_CANVAS: Final = (1080, 1920)

_AGGREGATES: Final = frozenset({"SUM", "AVG", "COUNT"})
_WITH_TAGS: Final = frozenset({"AND", "OR", "And", "Or"})
_NEEDS_REPLY: Final = frozenset({"SYSTEM_REPLY", "SYSTEM_REPLY_AND_CALLBACK"})
_LAYER_CONFIG_FOR: Final = {"IMAGE": "image_config", "VIDEO": "video_config", "TEXT": "text_config"}
_NUMBER = re.compile(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*\Z")
_RGB = re.compile(r"#[0-9A-Fa-f]{6}\Z")


def lint_rules(
    rules: Sequence[InteractionRuleInfo], at: DocPath, positions: Sequence[int] | None = None
) -> Iterator[Finding]:
    """The checks of one rule list written at `at`; `positions` are the rules' indexes there when the
    list holds other entries too (a room's imports)."""
    first_use: dict[str, int] = {}
    for index, rule in zip(positions if positions is not None else range(len(rules)), rules, strict=True):
        path: DocPath = (*at, index)
        if rule.rule_name is not None:
            if rule.rule_name in first_use:
                yield Finding(
                    codes.DUPLICATE_RULE_NAME,
                    f"rule_name {rule.rule_name!r} is already used by interaction_rules[{first_use[rule.rule_name]}]",
                    (*path, "rule_name"),
                )
            else:
                first_use[rule.rule_name] = index
        if rule.hit_condition is not None:
            yield from _hit_condition(rule.hit_condition, (*path, "hit_condition"))
        if rule.trigger is not None:
            yield from _trigger(rule.trigger, (*path, "trigger"))


def _hit_condition(condition: HitCondition, path: DocPath) -> Iterator[Finding]:
    if condition.relation in _WITH_TAGS and not condition.tags:
        yield Finding(
            codes.RELATION_WITHOUT_TAGS,
            f"relation {condition.relation} combines tags, but the condition has none",
            (*path, "relation"),
        )
    for index, tag in enumerate(condition.tags or []):
        tag_path = (*path, "tags", index)
        match, value = tag.match, tag.value
        if match == "REGEX":
            if value is None:
                yield Finding(
                    codes.REGEX_INVALID, "a REGEX match needs a value (the pattern)", (*tag_path, "match")
                )
            else:
                problem = regex_error(value)
                if problem is not None:
                    yield Finding(
                        codes.REGEX_INVALID, f"REGEX value does not compile: {problem}", (*tag_path, "value")
                    )
        elif match is not None and match.startswith("MATH_"):
            if value is None:
                yield Finding(
                    codes.MATH_NOT_NUMBER, f"{match} needs a number to compare with", (*tag_path, "match")
                )
            elif not _NUMBER.match(value):
                yield Finding(
                    codes.MATH_NOT_NUMBER,
                    f"{match} compares numbers; {value!r} is not one",
                    (*tag_path, "value"),
                )
        if tag.operation in _AGGREGATES and (match is None or not match.startswith("MATH_")):
            yield Finding(
                codes.AGGREGATE_WITHOUT_MATH,
                f"operation {tag.operation} yields a number: use a MATH_* match, not {match or 'none'}",
                (*tag_path, "match" if match is not None else "operation"),
            )


def _trigger(trigger: TriggerProcess, path: DocPath) -> Iterator[Finding]:
    mode = trigger.reply_mode
    if mode in _NEEDS_REPLY and not trigger.reply_texts and not trigger.reply_audios:
        yield Finding(
            codes.REPLY_WITHOUT_CONTENT,
            f"reply_mode {mode} needs reply_texts or reply_audios to say",
            (*path, "reply_mode"),
        )
    if mode == "SHOW_LAYER" and trigger.layer_config is None:
        yield Finding(
            codes.SHOW_LAYER_WITHOUT_LAYER,
            "reply_mode SHOW_LAYER needs a layer_config",
            (*path, "reply_mode"),
        )
    if mode == "INTELLIGENT_REPLY" and not trigger.robot_id:
        yield Finding(
            codes.INTELLIGENT_WITHOUT_ROBOT,
            "reply_mode INTELLIGENT_REPLY needs a robot_id",
            (*path, "reply_mode"),
        )
    if trigger.time_window is not None and trigger.time_window < -1:
        yield Finding(
            codes.TIME_WINDOW_INVALID,
            "time_window is -1 (once per live), 0 (every time) or a number of seconds",
            (*path, "time_window"),
        )
    for name in ("layer_config", "extra_layer_config"):
        layer = getattr(trigger, name)
        if layer is not None:
            yield from _layer(layer, (*path, name))


def _layer(layer: SmartLayerConfig, path: DocPath) -> Iterator[Finding]:
    wanted = _LAYER_CONFIG_FOR[layer.layer_type]
    if getattr(layer, wanted) is None:
        yield Finding(
            codes.LAYER_CONFIG_MISSING,
            f"layer_type {layer.layer_type} needs {wanted}",
            (*path, "layer_type"),
        )
    for other in _LAYER_CONFIG_FOR.values():
        if other != wanted and getattr(layer, other) is not None:
            yield Finding(
                codes.LAYER_CONFIG_IGNORED,
                f"{other} is ignored on a layer of layer_type {layer.layer_type}",
                (*path, other),
                at_key=True,
            )
    if layer.position is not None:
        x, y = layer.position.dx, layer.position.dy
        size = layer.size
        width = (size.width or 0) if size is not None else 0
        height = (size.height or 0) if size is not None else 0
        if not (_fits(x, y, width, height, LANDSCAPE_CANVAS) or _fits(x, y, width, height, PORTRAIT_CANVAS)):
            where = (
                (*path, "size")
                if layer.size is not None and _fits(x, y, 0, 0, LANDSCAPE_CANVAS)
                else (*path, "position")
            )
            yield Finding(
                codes.LAYER_OUTSIDE_CANVAS,
                f"a {width}x{height} layer at ({x}, {y}) fits neither the landscape canvas 1920x1080 "
                "nor the portrait canvas 1080x1920",
                where,
                at_key=True,
            )
    text = layer.text_config
    if text is not None and text.font_color is not None and not _RGB.match(text.font_color):
        yield Finding(
            codes.FONT_COLOR_INVALID,
            f"font_color {text.font_color!r} is not an RGB colour #RRGGBB",
            (*path, "text_config", "font_color"),
        )


def _fits(x: int, y: int, width: int, height: int, canvas: tuple[int, int]) -> bool:
    return (
        x >= 0
        and y >= 0
        and width >= 0
        and height >= 0
        and x + width <= canvas[0]
        and y + height <= canvas[1]
    )
