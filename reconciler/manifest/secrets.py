"""Secret references in manifests: ``${env:NAME}`` and ``${file:PATH}``.

Stream keys and the live-event callback key are never written in a manifest: the manifest names
where the value lives and the value is read only when a request is built (``resolve``). Nothing here
ever puts a value into a message, a ``repr`` or a ``str``: diagnostics, plans and logs show the
reference, never what it points to. ``${file:PATH}`` is relative to the manifest's directory.

interaction_callback_url may be a literal URL (it is not a key), but it can carry credentials in its
query string, so a literal one is kept as a ``LiteralSecret`` that prints masked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from reconciler.errors import ManifestError
from reconciler.manifest.files import FileRefused, read_regular_file
from reconciler.redaction import remember

#: An environment variable's or a project variable's name: a letter or _, then letters, digits or _.
NAME_PATTERN: Final = "[A-Za-z_][A-Za-z0-9_]*"
#: Characters that do not make a path: a ${file:...} path needs one character that is none of these.
#: Spelled out (not \s) so that Python's re and the ECMA-262 regexes of JSON Schema validators agree.
_BLANK: Final = r"\t\n\v\f\r "
#: What a reference looks like (also the JSON Schema ``pattern`` of secret fields), or a variable whose
#: value is one (``${var:NAME}``, substituted before the field is read: substitution.py). `(?![\s\S])` is
#: the end of the text in both dialects: `$` also matches before a final line break in Python's re.
SECRET_REF_PATTERN: Final = rf"^\$\{{((env|var):{NAME_PATTERN}|file:[^}}]*[^}}{_BLANK}][^}}]*)\}}(?![\s\S])"
#: What a text that is meant as a reference starts with (a malformed one is M009, not a literal).
REFERENCE_START: Final = "${"
_REFERENCE = re.compile(r"\$\{(env|file):([^}]*)\}\Z")
_ENV_NAME = re.compile(rf"{NAME_PATTERN}\Z")
_PATH_CHARACTER = re.compile(rf"[^}}{_BLANK}]")
MASK: Final = "********"
#: The largest secret file read: keys and URLs are far smaller; anything bigger is the wrong file.
MAX_SECRET_BYTES: Final = 64 * 1024


@dataclass(frozen=True)
class SecretRef:
    """Where a secret lives: ``${env:NAME}`` or ``${file:PATH}``. Holds no value."""

    scheme: Literal["env", "file"]
    target: str
    #: Directory of the manifest that wrote the reference (file references are relative to it).
    base_dir: Path | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return f"${{{self.scheme}:{self.target}}}"

    def __repr__(self) -> str:
        return f"SecretRef({str(self)!r})"

    @classmethod
    def parse(cls, text: str, base_dir: Path | None = None) -> SecretRef:
        """The reference written as ``text``; ValueError (naming the syntax, not the text) if malformed."""
        match = _REFERENCE.match(text)
        if match is None:
            raise ValueError("a secret reference is written ${env:NAME} or ${file:PATH}")
        scheme, target = match.group(1), match.group(2)
        if scheme == "env":
            if not _ENV_NAME.match(target):
                raise ValueError("${env:NAME} needs an environment variable name (letters, digits, _)")
            return cls("env", target, base_dir)
        if not _PATH_CHARACTER.search(target):
            raise ValueError("${file:PATH} needs a path")
        return cls("file", target, base_dir)

    @property
    def path(self) -> Path:
        """The file a ``${file:...}`` reference reads, resolved against the manifest's directory."""
        target = Path(self.target).expanduser()
        if target.is_absolute() or self.base_dir is None:
            return target
        return self.base_dir / target

    def resolve(self, environ: Mapping[str, str] | None = None) -> str:
        """The secret's value. ManifestError naming the variable or file (never a value) if unavailable.

        A file's trailing line breaks are dropped (``echo key > file`` adds one)."""
        if self.scheme == "env":
            env = os.environ if environ is None else environ
            value = env.get(self.target)
            if value is None:
                raise ManifestError(f"environment variable {self.target} is not set (needed by {self})")
            if not value:
                raise ManifestError(f"environment variable {self.target} is empty (needed by {self})")
            return value
        try:
            value = read_secret_file(self.path)
        except FileNotFoundError:
            raise ManifestError(f"secret file {self.path} does not exist (needed by {self})") from None
        except SecretFileError as exc:
            raise ManifestError(f"secret file {self.path} {exc} (needed by {self})") from None
        if not value:
            raise ManifestError(f"secret file {self.path} is empty (needed by {self})")
        return value


class SecretFileError(Exception):
    """Why a secret file cannot be used, as the end of a sentence: `cannot be read: not a regular file`."""


def read_secret_file(path: str | os.PathLike[str]) -> str:
    """The text of a file holding one secret (a `${file:...}` reference, a `--key-file`), its trailing
    line breaks dropped (``echo key > file`` adds one).

    A regular file of at most MAX_SECRET_BYTES, read through the manifests' own reader: a FIFO would
    otherwise hang the command (an apply, while it holds the lock) and /dev/zero exhaust its memory.
    FileNotFoundError is left to the caller, which names the file as it knows it; every other problem
    is a SecretFileError, whose message never holds a byte of the file."""
    try:
        data = read_regular_file(path, MAX_SECRET_BYTES)
    except FileNotFoundError:
        raise
    except FileRefused as refused:
        raise SecretFileError(f"cannot be read: {refused.reason}") from None
    except OSError as exc:
        raise SecretFileError(f"cannot be read: {exc.strerror or type(exc).__name__}") from None
    try:
        return data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise SecretFileError("cannot be read: not UTF-8 text") from None


class LiteralSecret:
    """A value written literally where that is allowed (interaction_callback_url); prints masked."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def resolve(self, environ: Mapping[str, str] | None = None) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"LiteralSecret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LiteralSecret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


Secret = SecretRef | LiteralSecret


def resolve_secret(value: Secret, environ: Mapping[str, str] | None = None) -> str:
    """The secret's value, remembered so that no output shows it (reconciler/redaction.py)."""
    return remember(value.resolve(environ))


def _base_dir(info: ValidationInfo) -> Path | None:
    context = info.context
    if isinstance(context, Mapping):
        base = context.get("base_dir")
        return Path(base) if base is not None else None
    return None


@dataclass(frozen=True)
class ReferenceOnly:
    """Annotated metadata: the field takes only a reference. ``example`` names the variable shown
    in the error message that a literal value gets (the literal itself is never shown)."""

    example: str
    description: str = "secret reference: ${env:NAME} or ${file:PATH} (relative to the manifest)"

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return _secret_schema(self._validate)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": SECRET_REF_PATTERN, "description": self.description}

    def _validate(self, value: Any, info: ValidationInfo) -> SecretRef:
        if isinstance(value, SecretRef):
            return value
        text = _expect_str(value)
        if not text.startswith(REFERENCE_START):
            file_name = self.example.lower().replace("_", "-") + ".txt"
            # No context: pydantic would otherwise format the braces of the example.
            raise PydanticCustomError(
                "secret_literal",
                "secrets must not be written in manifests; write a reference such as "
                f"'${{env:{self.example}}}' or '${{file:secrets/{file_name}}}' (relative to this manifest)",
            )
        return _parse(text, info)


@dataclass(frozen=True)
class ReferenceOrLiteral:
    """Annotated metadata: a reference, or a literal value kept masked (``LiteralSecret``)."""

    max_length: int
    description: str = "literal value or secret reference ${env:NAME} / ${file:PATH}"

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return _secret_schema(self._validate)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # As _validate reads it: text starting with ${ is a reference (and must be a well-formed one),
        # anything else a literal of at most max_length characters.
        return {
            "anyOf": [
                {"type": "string", "pattern": SECRET_REF_PATTERN},
                {
                    "type": "string",
                    "maxLength": self.max_length,
                    "not": {"pattern": f"^{re.escape(REFERENCE_START)}"},
                },
            ],
            "description": self.description,
        }

    def _validate(self, value: Any, info: ValidationInfo) -> Secret:
        if isinstance(value, SecretRef | LiteralSecret):
            return value
        text = _expect_str(value)
        if text.startswith(REFERENCE_START):
            return _parse(text, info)
        if len(text) > self.max_length:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": self.max_length},
            )
        return LiteralSecret(text)


def _expect_str(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    return value


def _parse(text: str, info: ValidationInfo) -> SecretRef:
    try:
        return SecretRef.parse(text, _base_dir(info))
    except ValueError as exc:
        raise PydanticCustomError("secret_reference", str(exc)) from None


def _secret_schema(validate: Callable[[Any, ValidationInfo], Any]) -> core_schema.CoreSchema:
    return core_schema.with_info_plain_validator_function(
        validate,
        # Dumping a manifest shows the reference (or the mask), never a value.
        serialization=core_schema.plain_serializer_function_ser_schema(str),
    )


def resolved_wire(
    value: Any, environ: Mapping[str, str] | None, exclude: frozenset[str] = frozenset()
) -> Any:
    """Plain wire data of a spec model: secrets replaced by their values, None fields left out, and the
    top-level fields in `exclude` (manifest-only fields such as a job's `state`) dropped. Field aliases
    are not used: specs that need one build their request themselves."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return {
            name: resolved_wire(getattr(value, name), environ)
            for name in type(value).model_fields
            if name not in exclude and getattr(value, name) is not None
        }
    if isinstance(value, list):
        return [resolved_wire(item, environ) for item in value]
    if isinstance(value, SecretRef | LiteralSecret):
        return resolve_secret(value, environ)
    return value


#: A stream key field: a reference only (a literal is M008).
StreamKey = Annotated[SecretRef, ReferenceOnly("STREAM_KEY")]
#: A callback key field: a reference only.
CallbackKey = Annotated[SecretRef, ReferenceOnly("CALLBACK_KEY")]
