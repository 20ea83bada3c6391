"""The diagnostic codes: one stable code per kind of problem, each with a fixed severity.

Codes never change meaning once released; a retired check keeps its number unused. The families:

    Y...  reading files and YAML (syntax, duplicate keys, aliases, encoding, size)
    M...  document structure and types (apiVersion, kind, unknown fields, ranges, secrets)
    R...  interaction rules (semantic checks beyond types)
    J...  live jobs (what the live service supports beyond the API's types)
    L...  live rooms (scene layout, imports)
    S...  the manifest set as a whole (unique names, one running job per room, references)

docs/diagnostics.md shows every code in a table made from CODES (tests/unit/test_docs_examples.py keeps
the two in step): a summary is that table's text, Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Severity = Literal["error", "warning"]
ERROR: Final = "error"
WARNING: Final = "warning"


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    severity: Severity
    summary: str


CODES: dict[str, Code] = {}


def _code(code: str, severity: Severity, summary: str) -> str:
    if code in CODES:
        raise ValueError(f"diagnostic code {code} registered twice")
    CODES[code] = Code(code, severity, summary)
    return code


def severity_of(code: str) -> Severity:
    return CODES[code].severity


# Files and YAML
CANNOT_READ = _code("Y001", ERROR, "a path cannot be read (missing, unreadable, not a regular file)")
FILE_TOO_LARGE = _code("Y002", ERROR, "a file larger than 10 MiB; refused without reading it")
NOT_UTF8 = _code("Y003", ERROR, "a file that is not UTF-8 (position of the first bad byte)")
YAML_SYNTAX = _code("Y004", ERROR, "YAML syntax error, at the parser's position")
DUPLICATE_KEY = _code("Y005", ERROR, "the same key twice in one mapping")
ALIAS_EXPANSION = _code(
    "Y006", ERROR, "aliases that add more than 100,000 nodes to a document, or refer to themselves"
)
UNSUPPORTED_YAML = _code(
    "Y007", ERROR, "unsupported YAML: explicit tags, complex keys, nesting deeper than 64 levels"
)
EMPTY_DOCUMENT = _code("Y008", WARNING, "an empty document, or a file without any document")
NO_MANIFESTS = _code(
    "Y009", ERROR, "a directory argument holds no `.yaml`/`.yml` file, or none that is a smartlive manifest"
)

# Document structure and types
NOT_A_MAPPING = _code("M001", ERROR, "a document that is not a mapping")
BAD_API_VERSION = _code("M002", ERROR, "`apiVersion` missing or not `smartlive/v1`")
BAD_KIND = _code("M003", ERROR, "`kind` missing or unknown (with a suggestion)")
UNKNOWN_FIELD = _code("M004", ERROR, 'an unknown field (with a "did you mean")')
MISSING_FIELD = _code("M005", ERROR, "a required field is missing")
WRONG_TYPE = _code("M006", ERROR, "a value of the wrong type")
VALUE_NOT_ALLOWED = _code(
    "M007", ERROR, "a value outside the API's range, length or enum (with a suggestion for enums)"
)
LITERAL_SECRET = _code("M008", ERROR, "a secret written literally instead of `${env:NAME}` / `${file:PATH}`")
BAD_SECRET_REFERENCE = _code("M009", ERROR, "a malformed secret reference")
UNKNOWN_ANNOTATION = _code(
    "M010", WARNING, "an unknown `smartlive.io/` annotation, or one on a kind it does not apply to"
)
BAD_ANNOTATION = _code("M011", ERROR, "a `smartlive.io/` annotation with an invalid value")
UNCHECKED_DOCUMENT = _code(
    "M012",
    ERROR,
    "a document smartlive failed to check (a bug: please report it); the other documents and files are still checked",
)
UNDEFINED_VARIABLE = _code(
    "M013",
    ERROR,
    "a `${var:NAME}` the selected environment does not define (or with no environment selected), or a "
    "malformed one",
)
MISPLACED_REFERENCE = _code(
    "M014", ERROR, "a `${env:...}` / `${file:...}` reference in a field that takes no secret reference"
)

# Interaction rules
REGEX_INVALID = _code(
    "R001", ERROR, "a REGEX match value that does not compile (Python syntax, as the rule engine reads it)"
)
MATH_NOT_NUMBER = _code("R002", ERROR, "a MATH_* match value that is not a number")
AGGREGATE_WITHOUT_MATH = _code("R003", ERROR, "SUM/AVG/COUNT with a match that is not MATH_*")
RELATION_WITHOUT_TAGS = _code("R004", ERROR, "relation AND/OR without tags")
REPLY_WITHOUT_CONTENT = _code(
    "R005", ERROR, "SYSTEM_REPLY or SYSTEM_REPLY_AND_CALLBACK without reply_texts or reply_audios"
)
SHOW_LAYER_WITHOUT_LAYER = _code("R006", ERROR, "SHOW_LAYER without layer_config")
INTELLIGENT_WITHOUT_ROBOT = _code("R007", ERROR, "INTELLIGENT_REPLY without robot_id")
LAYER_CONFIG_MISSING = _code(
    "R008", ERROR, "a layer whose layer_type has no matching image_config / video_config / text_config"
)
LAYER_CONFIG_IGNORED = _code(
    "R009", WARNING, "a layer config of another type than layer_type (ignored by the service)"
)
LAYER_OUTSIDE_CANVAS = _code(
    "R010", ERROR, "a layer (position + size) that fits neither the 1920x1080 nor the 1080x1920 canvas"
)
FONT_COLOR_INVALID = _code("R011", ERROR, "font_color that is not `#RRGGBB`")
DUPLICATE_RULE_NAME = _code("R012", ERROR, "a rule_name used twice in one group")
TIME_WINDOW_INVALID = _code("R013", ERROR, "time_window below -1")

# Live jobs
RESOLUTION_UNSUPPORTED = _code("J001", ERROR, "live video other than 1080x1920 or 1920x1080")
BITRATE_OUT_OF_RANGE = _code(
    "J002", ERROR, "live bitrate outside 1000-8000 kbps (the range StartSmartLive documents for live video)"
)
FRAME_RATE_NOT_25 = _code("J003", WARNING, "frame_rate other than 25 (live is fixed at 25 fps)")
SUBTITLES_UNSUPPORTED = _code("J004", WARNING, "subtitles enabled or configured (live does not support them)")
CODEC_UNSUPPORTED = _code("J005", ERROR, "codec other than H264")
VIEW_MODE_MISMATCH = _code(
    "J006", ERROR, "view_mode that disagrees with the resolution (leave it out: the service derives it)"
)
OUTPUT_URL_SCHEME = _code("J007", ERROR, "an output URL that is not `rtmp://` or `rtmps://`")
STREAM_KEY_COUNT = _code("J008", ERROR, "not as many stream_keys as output_urls")
CALLBACK_NOT_HTTPS = _code("J009", ERROR, "a callback URL that is not `https://`")
CALLBACK_KEY_MISSING = _code("J010", ERROR, "auth_type MSS_A or MSS_A_HEAD without key")
CALLBACK_KEY_UNUSED = _code("J011", WARNING, "a key with auth_type NONE (unused)")

# Live rooms
BACKGROUND_NOT_COVERING = _code(
    "L001",
    ERROR,
    "a background image that does not cover the room's canvas (1920x1080 landscape, 1080x1920 portrait)",
)
ROOM_LAYER_OUTSIDE = _code("L002", ERROR, "a scene layer outside the room's canvas")
TEXT_NOT_BASE64 = _code("L003", ERROR, "a text layer's `text_context` that is not Base64")
GROUP_IMPORTED_TWICE = _code("L004", WARNING, "the same rule group imported twice into one room")

# The manifest set
DUPLICATE_NAME = _code("S001", ERROR, "two resources of one kind with the same `metadata.name`")
ROOM_RUNNING_TWICE = _code("S002", ERROR, "more than one running SmartLiveJob for one room_id")
REFERENCE_UNDECLARED = _code("S003", ERROR, "a reference to a resource the manifests do not declare")
REFERENCE_CYCLE = _code("S004", ERROR, "references that form a cycle")
ROOM_FIELD_OVERRIDDEN = _code("S005", WARNING, "a job overrides a field its declared room sets")
