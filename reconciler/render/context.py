"""What a renderer needs besides the plan: where the plan was made for, and how long a comment may be.

The CLI fills it in (renderers do no I/O and read no environment variable). Text and JSON name the
environment only; markdown the stack, environment and target.
"""

from __future__ import annotations

from dataclasses import dataclass

#: GitHub refuses a comment longer than 65,536 characters; the rest is room for what a pipeline wraps
#: around the plan (a heading, a link to the run).
DEFAULT_MARKDOWN_LIMIT = 65_000
#: Below this a comment cannot hold its header, the counts by kind and the note saying how to see all.
MIN_MARKDOWN_LIMIT = 2_000


@dataclass(frozen=True)
class RenderContext:
    #: Where the plan was made for as a reader names it: "embedded emulator", or an endpoint and project.
    #: Never a credential. "" when the caller does not say (the header then names the stack only).
    target: str = ""
    #: The longest markdown output, in characters (code points): past it, details are summarized.
    markdown_limit: int = DEFAULT_MARKDOWN_LIMIT
    #: The environment of the project file the plan was made in (docs/environments.md); "" for none.
    environment: str = ""
