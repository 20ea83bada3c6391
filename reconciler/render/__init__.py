"""Plan renderers, chosen by name as Terraform's command views and check-jsonschema's reporters are.

Each renderer is a pure function of the plan (no I/O, no clock) returning the whole output, ending in a
newline; the CLI decides colour (color.use_color), says what the plan alone does not (RenderContext: the
target, the markdown limit) and writes it. Add a format by adding a module and a
registry entry; `--format` takes its choices from FORMATS.
"""

from __future__ import annotations

from typing import Protocol

from reconciler.engine.plan import Plan

from .context import DEFAULT_MARKDOWN_LIMIT, MIN_MARKDOWN_LIMIT, RenderContext
from .json_format import FORMAT_VERSION, render_json
from .markdown import render_markdown
from .text import render_text


class Renderer(Protocol):
    def __call__(
        self, plan: Plan, *, color: bool = False, verbose: bool = False, context: RenderContext | None = None
    ) -> str: ...


RENDERERS: dict[str, Renderer] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}
FORMATS: tuple[str, ...] = tuple(sorted(RENDERERS))


def render(
    plan: Plan, fmt: str, *, color: bool, verbose: bool = False, context: RenderContext | None = None
) -> str:
    """`plan` in format `fmt`; `color` only affects text, `verbose` lists unchanged resources too,
    `context` only affects markdown."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown plan format {fmt!r}; choose one of: {', '.join(FORMATS)}") from None
    return renderer(plan, color=color, verbose=verbose, context=context)


__all__ = [
    "DEFAULT_MARKDOWN_LIMIT",
    "FORMATS",
    "FORMAT_VERSION",
    "MIN_MARKDOWN_LIMIT",
    "RENDERERS",
    "RenderContext",
    "Renderer",
    "render",
]
