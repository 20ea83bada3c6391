"""smartlive.yaml read and checked like a manifest: the same YAML dialect (yaml_documents), the same
codes and messages (validation.findings_from), each problem at its FILE:LINE:COL (yaml_positions).

Besides the model's checks, a field that looks like a credential (`ak`, `sk`, `password`, `token`, ...)
anywhere but under `variables` is refused with its own message (M008): credentials never live in the
project file, which names the environment variables that hold them instead.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from reconciler.errors import UserError
from reconciler.manifest import codes
from reconciler.manifest.diagnostics import Diagnostic, DocPath, Finding, diagnostic
from reconciler.manifest.files import FileRefused, check_utf8, format_size, read_regular_file
from reconciler.manifest.registry import API_VERSION
from reconciler.manifest.validation import findings_from
from reconciler.manifest.yaml_documents import parse_documents
from reconciler.manifest.yaml_positions import PositionIndex
from reconciler.project.model import KIND, Project

#: A project file is a page of settings; anything larger is not one.
MAX_PROJECT_FILE_BYTES: Final = 1024 * 1024
#: Keys that name a credential: refused wherever they appear (a `*_env` name is what is wanted instead).
_CREDENTIAL_KEY = re.compile(
    r"(?:^|_)(?:ak|sk|access_?key(?:_?id)?|secret(?:_access)?(?:_?key)?|(?:auth_|security_|iam_)?token|"
    r"password|passwd|credential|private_key)$",
    re.IGNORECASE,
)
_CREDENTIAL_MESSAGE: Final = (
    "credentials never live in smartlive.yaml: keep them in environment variables and name those here, "
    "under credentials: with ak_env and sk_env (or token_env)"
)


@dataclass(frozen=True)
class ProjectFile:
    """A project file that checked clean: where it is (as shown to the user, and its directory) and what
    it says."""

    shown: str
    directory: Path
    project: Project

    def resolve(self, relative: str) -> str:
        """A path the file names (relative to its own directory), as a command line would spell it:
        relative to the working directory when under it."""
        absolute = (self.directory / relative).resolve()
        return shown_path(absolute)


class ProjectFileError(UserError):
    """smartlive.yaml does not check: every diagnostic, one a line."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        lines = "\n".join(str(d) for d in diagnostics)
        super().__init__(f"the project file has {len(diagnostics)} error(s):\n{lines}")


def shown_path(path: Path) -> str:
    """`path` relative to the working directory when under it (clickable), else absolute."""
    here = Path.cwd().resolve()
    return os.path.relpath(path, here) if path.is_relative_to(here) else str(path)


def read_project_file(path: Path) -> ProjectFile:
    """The project file at `path`, or ProjectFileError with its diagnostics."""
    shown = shown_path(path.resolve())
    data, findings = _parse(path)
    project: Project | None = None
    if data is not None:
        project, findings = _checked(data)
    if findings or project is None:
        raise ProjectFileError(_located(shown, path, findings))
    return ProjectFile(shown, path.resolve().parent, project)


def _parse(path: Path) -> tuple[Any, list[Finding]]:
    try:
        raw = read_regular_file(path, MAX_PROJECT_FILE_BYTES)
    except FileRefused as refused:
        code = codes.FILE_TOO_LARGE if refused.too_large else codes.CANNOT_READ
        reason = (
            refused.reason if not refused.too_large else f"larger than {format_size(MAX_PROJECT_FILE_BYTES)}"
        )
        return None, [Finding(code, f"the project file is {reason}")]
    except OSError as exc:
        return None, [Finding(codes.CANNOT_READ, f"cannot read: {exc.strerror or exc}")]
    bad_encoding = check_utf8(raw)
    if bad_encoding is not None:
        return None, [bad_encoding]
    parsed = parse_documents(raw)
    if parsed.problem is not None:
        return None, [parsed.problem]
    documents = [d for d in parsed.documents if not d.empty]
    if len(documents) != 1:
        line = documents[1].line if len(documents) > 1 else 1
        what = "no document" if not documents else f"{len(documents)} documents"
        return None, [
            Finding(codes.NOT_A_MAPPING, f"a project file holds one document, not {what}", line=line)
        ]
    if not isinstance(documents[0].data, dict):
        return None, [Finding(codes.NOT_A_MAPPING, "the project file must be a mapping of fields")]
    return documents[0].data, []


def _checked(data: dict[str, Any]) -> tuple[Project | None, list[Finding]]:
    findings = _envelope(data)
    findings += [
        Finding(codes.LITERAL_SECRET, _CREDENTIAL_MESSAGE, path, at_key=True)
        for path in _credential_keys(data, ())
    ]
    # What is reported above is not reported again by the model (a credential key as an unknown field).
    cleaned = _without(data, {f.path for f in findings if f.code == codes.LITERAL_SECRET})
    cleaned = {**cleaned, "apiVersion": API_VERSION, "kind": KIND}
    try:
        project = Project.model_validate(cleaned)
    except ValidationError as exc:
        return None, findings + findings_from(exc, cleaned, Project)
    findings += _undeclared_default(project)
    return (project if not findings else None), findings


def _undeclared_default(project: Project) -> list[Finding]:
    """default_environment names one of the environments (checked here, at its own position: a model
    validator's error would point at the whole file)."""
    default = project.default_environment
    if default is None or default in project.environments:
        return []
    declared = ", ".join(project.environments) or "none"
    return [
        Finding(
            codes.VALUE_NOT_ALLOWED,
            f"default_environment {default!r} is not declared under environments (declared: {declared})",
            ("default_environment",),
        )
    ]


def _envelope(data: dict[str, Any]) -> list[Finding]:
    found = []
    version = data.get("apiVersion")
    if version != API_VERSION:
        problem = "missing" if "apiVersion" not in data else f"{version!r}"
        found.append(
            Finding(
                codes.BAD_API_VERSION, f"apiVersion is {problem}; expected {API_VERSION!r}", ("apiVersion",)
            )
        )
    kind = data.get("kind")
    if kind != KIND:
        problem = "missing" if "kind" not in data else f"{kind!r}"
        found.append(
            Finding(codes.BAD_KIND, f"kind is {problem}; a project file's kind is {KIND!r}", ("kind",))
        )
    return found


def _credential_keys(value: Any, path: DocPath) -> list[DocPath]:
    """The paths of keys that look like credentials; `variables` are the user's own names, not fields."""
    found: list[DocPath] = []
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "variables" and (path == () or (len(path) == 2 and path[0] == "environments")):
                continue
            if isinstance(key, str) and not key.endswith("_env") and _CREDENTIAL_KEY.search(key):
                found.append((*path, key))
            else:
                found += _credential_keys(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _credential_keys(child, (*path, index))
    return found


def _without(data: Any, paths: set[DocPath], here: DocPath = ()) -> Any:
    if isinstance(data, dict):
        return {k: _without(v, paths, (*here, k)) for k, v in data.items() if (*here, k) not in paths}
    return data


def _located(shown: str, path: Path, findings: list[Finding]) -> list[Diagnostic]:
    index: PositionIndex | None = None
    out = []
    for finding in findings:
        if finding.line is not None:
            out.append(diagnostic(shown, finding.line, finding.column or 1, finding))
            continue
        if index is None:
            try:
                index = PositionIndex(read_regular_file(path, MAX_PROJECT_FILE_BYTES))
            except (OSError, FileRefused):
                index = PositionIndex(b"")
        line, column = index.locate(0, finding.path, at_key=finding.at_key) or (1, 1)
        out.append(diagnostic(shown, line, column, finding))
    return sorted(out, key=lambda d: (d.line, d.column))
