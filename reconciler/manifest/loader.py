"""Files and directories -> typed resources and diagnostics, never an exception.

The pipeline, per file: read (size cap) -> UTF-8 check -> fast parse (yaml_documents) -> per
document: envelope (apiVersion, kind) -> the kind's model (strict: YAML types must match) -> the
kind's lint. Then the checks across the set. Findings carry paths; only files that have findings
are parsed again with positions (yaml_positions) to turn paths into line:column.

Two entry points share it. ``load_manifests`` returns the resources (plan, apply): parsing may run
on several cores, the rest in this process. ``check_manifests`` (``smartlive validate``) only needs
the diagnostics, so each core runs the whole pipeline on its share of the files and sends back
findings and the small per-resource summaries the set checks need (registry.SetCheck).
"""

from __future__ import annotations

import difflib
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.manifest import codes
from reconciler.manifest.diagnostics import Diagnostic, Finding, diagnostic
from reconciler.manifest.files import PathProblem, check_utf8, discover, read_manifest
from reconciler.manifest.lint_metadata import lint_annotations
from reconciler.manifest.nulls import null_findings
from reconciler.manifest.parallel import map_encoded
from reconciler.manifest.parse_cache import Key, ParseCache, Parsed, file_key
from reconciler.manifest.registry import (
    API_VERSION,
    KindSpec,
    Manifest,
    ResourceRef,
    SourceLocation,
    kinds,
    set_checks,
)
from reconciler.manifest.results import CheckResult, LoadResult
from reconciler.manifest.validation import findings_from
from reconciler.manifest.yaml_documents import Document, parse_documents
from reconciler.manifest.yaml_positions import PositionIndex


@dataclass(frozen=True, slots=True)
class _Pending:
    """A finding waiting for its position: ``document`` None means the file as a whole."""

    file: str
    document: int | None
    fallback_line: int
    finding: Finding


@dataclass
class _FileOutcome:
    pending: list[_Pending] = field(default_factory=list)
    resources: list[Manifest[Any]] = field(default_factory=list)
    #: (resource, its extract for each registered set check, in registration order)
    summaries: list[tuple[ResourceRef, tuple[Any, ...]]] = field(default_factory=list)
    count: int = 0


def load_manifests(
    paths: Sequence[str | os.PathLike[str]], *, parallel: bool | None = None, cache_dir: Path | None = None
) -> LoadResult:
    """Load every manifest under ``paths`` (files, or directories walked recursively for *.yaml/*.yml).

    Never raises for a problem in the input: each becomes a Diagnostic. ``parallel`` forces (True)
    or forbids (False) parsing in forked processes; by default large sets use every core.
    ``cache_dir`` keeps parsed files there between runs (parse_cache.py)."""
    files, path_problems = discover(paths)
    sizes = [_size(file) for file in files]
    if cache_dir is None:
        parsed = map_encoded(_read_and_parse, files, sizes, parallel=parallel)
    else:
        parsed = _parse_with_cache(ParseCache.open(cache_dir), files, sizes, parallel)
    outcomes = [_process(file, item, keep=True) for file, item in zip(files, parsed, strict=True)]
    result = LoadResult(resources=[r for outcome in outcomes for r in outcome.resources], files=len(files))
    result.diagnostics = _finish(files, path_problems, outcomes)
    return result


def check_manifests(paths: Sequence[str | os.PathLike[str]], *, parallel: bool | None = None) -> CheckResult:
    """What ``load_manifests`` would report, computed on every core for large sets (no resources kept)."""
    files, path_problems = discover(paths)
    kinds()  # register the built-in kinds before any fork: children inherit the registry
    encoded = map_encoded(_check_file, files, [_size(file) for file in files], parallel=parallel)
    outcomes = [_decode_outcome(file, item) for file, item in zip(files, encoded, strict=True)]
    diagnostics = _finish(files, path_problems, outcomes)
    return CheckResult(diagnostics, len(files), sum(outcome.count for outcome in outcomes))


def _size(file: str) -> int:
    try:
        return os.stat(file).st_size
    except OSError:
        return 0


def _parse_with_cache(
    cache: ParseCache, files: list[str], sizes: list[int], parallel: bool | None
) -> list[Parsed]:
    # The lookup runs where the file is read (perhaps a forked child, which inherits the cache);
    # the keys come back with the results, and this process records and saves them.
    keyed = map_encoded(partial(_read_and_parse_cached, cache), files, sizes, parallel=parallel)
    for file, (key, parsed) in zip(files, keyed, strict=True):
        if key is not None:
            cache.remember(file, key, parsed)
    cache.save()
    return [parsed for _, parsed in keyed]


def _read_and_parse_cached(cache: ParseCache, file: str) -> tuple[Key | None, Parsed]:
    """_read_and_parse's answer, from the cache when the file's key matches; with the key to record
    (None for a file that could not be read: nothing to keep)."""
    data = read_manifest(file)
    key = file_key(file, data) if isinstance(data, bytes) else None
    if key is None:
        return None, _parse_data(data)
    cached = cache.lookup(file, key)
    return key, cached if cached is not None else _parse_data(data)


def _read_and_parse(file: str) -> Parsed:
    """(file-level findings, documents) of one file, as plain tuples: this may run in a forked
    process (parallel.py) and travel back through ``marshal``."""
    return _parse_data(read_manifest(file))


def _parse_data(data: bytes | Finding) -> Parsed:
    findings: list[Finding] = []
    documents: list[tuple[Any, ...]] = []
    if isinstance(data, Finding):
        findings.append(data)
    elif (encoding_problem := check_utf8(data)) is not None:
        findings.append(encoding_problem)
    else:
        parsed = parse_documents(data)
        if parsed.problem is not None:
            findings.append(parsed.problem)
        elif not parsed.documents:
            findings.append(Finding(codes.EMPTY_DOCUMENT, "no YAML document in this file"))
        documents = [(d.data, d.index, d.line, d.empty) for d in parsed.documents]
    return [_encode_finding(f) for f in findings], documents


def _process(file: str, parsed: Parsed, *, keep: bool) -> _FileOutcome:
    """Type-check and lint the documents of one parsed file."""
    file_findings, documents = parsed
    outcome = _FileOutcome(pending=[_Pending(file, None, 1, Finding(*f)) for f in file_findings])
    registered = kinds()
    checks = set_checks()
    base_dir = os.path.dirname(os.path.abspath(file))
    for document in documents:
        resource = _guarded_document(file, Document(*document), base_dir, registered, outcome.pending)
        if resource is None:
            continue
        outcome.count += 1
        if keep:
            outcome.resources.append(resource)
        outcome.summaries.append(
            (ResourceRef.of(resource), tuple(check.extract(resource) for check in checks))
        )
    return outcome


def _check_file(file: str) -> Any:
    """The whole pipeline for one file, as marshal-able data (runs in a forked child, or here)."""
    outcome = _process(file, _read_and_parse(file), keep=False)
    pending = [(p.document, p.fallback_line, _encode_finding(p.finding)) for p in outcome.pending]
    summaries = [
        ((ref.kind, ref.name, ref.source.document, ref.source.line), extracts)
        for ref, extracts in outcome.summaries
    ]
    return pending, summaries, outcome.count


def _decode_outcome(file: str, encoded: Any) -> _FileOutcome:
    pending, summaries, count = encoded
    return _FileOutcome(
        pending=[_Pending(file, document, line, Finding(*finding)) for document, line, finding in pending],
        summaries=[
            (ResourceRef(kind, name, SourceLocation(file, document, line)), tuple(extracts))
            for (kind, name, document, line), extracts in summaries
        ],
        count=count,
    )


def _encode_finding(finding: Finding) -> tuple[Any, ...]:
    return (finding.code, finding.message, finding.path, finding.at_key, finding.line, finding.column)


def _finish(
    files: list[str], path_problems: list[PathProblem], outcomes: list[_FileOutcome]
) -> list[Diagnostic]:
    """Run the set checks over every summary, then place and sort every finding."""
    pending = [_Pending(problem.path, None, 1, problem.finding) for problem in path_problems]
    for outcome in outcomes:
        pending.extend(outcome.pending)
    summaries = [summary for outcome in outcomes for summary in outcome.summaries]
    for index, check in enumerate(set_checks()):
        for ref, finding in check.check([(ref, extracts[index]) for ref, extracts in summaries]):
            pending.append(_Pending(ref.source.file, ref.source.document, ref.source.line, finding))
    order = {problem.path: -1 for problem in path_problems} | {
        file: index for index, file in enumerate(files)
    }
    return sorted(_locate(pending), key=lambda d: (order.get(d.file, len(order)), d.line, d.column, d.code))


def _guarded_document(
    file: str,
    document: Document,
    base_dir: str,
    registered: Mapping[str, KindSpec],
    pending: list[_Pending],
) -> Manifest[Any] | None:
    """_load_document, or M012 where a kind's validator or lint fails unexpectedly: a bug in one
    check then costs that document's diagnostics, not every other file's (and never a traceback).
    The exception's message is not shown: it may quote the document, which may hold a secret."""
    try:
        return _load_document(file, document, base_dir, registered, pending)
    except Exception as exc:
        message = f"smartlive failed to check this document ({type(exc).__name__}); please report it"
        finding = Finding(codes.UNCHECKED_DOCUMENT, message, line=document.line, column=1)
        pending.append(_Pending(file, document.index, document.line, finding))
        return None


def _load_document(
    file: str,
    document: Document,
    base_dir: str,
    registered: Mapping[str, KindSpec],
    pending: list[_Pending],
) -> Manifest[Any] | None:
    def report(finding: Finding) -> None:
        pending.append(_Pending(file, document.index, document.line, finding))

    if document.empty:
        report(Finding(codes.EMPTY_DOCUMENT, "empty document", line=document.line, column=1))
        return None
    data = document.data
    if not isinstance(data, dict):
        report(
            Finding(
                codes.NOT_A_MAPPING,
                f"a manifest is a mapping (apiVersion, kind, metadata, spec), not {_describe(data)}",
                line=document.line,
                column=1,
            )
        )
        return None
    if "apiVersion" not in data:
        report(Finding(codes.BAD_API_VERSION, f"missing apiVersion: {API_VERSION}"))
    elif data["apiVersion"] != API_VERSION:
        report(
            Finding(
                codes.BAD_API_VERSION,
                f"apiVersion {data['apiVersion']!r} is not supported; use {API_VERSION}",
                ("apiVersion",),
            )
        )
        data = {**data, "apiVersion": API_VERSION}  # reported once, not again by the model
    kind = data.get("kind")
    spec = registered.get(kind) if isinstance(kind, str) else None
    if spec is None:
        report(_kind_finding(kind, "kind" in data, list(registered)))
        return None
    model = spec.document_model
    nulls = list(null_findings(data, model))
    for finding in nulls:
        report(finding)
    try:
        validated = model.model_validate(data, strict=True, context={"base_dir": base_dir})
    except ValidationError as exc:
        for finding in findings_from(exc, data, model):
            report(finding)
        return None
    if nulls:
        return None
    metadata = validated.metadata  # type: ignore[attr-defined]
    resource = spec.resource_type(
        kind=spec.kind,
        name=metadata.name,
        spec=validated.spec,  # type: ignore[attr-defined]
        source=SourceLocation(file, document.index, document.line),
        labels=metadata.labels or {},
        annotations=metadata.annotations or {},
    )
    for check in (*spec.lint, lint_annotations):
        for finding in check(resource):
            report(finding)
    return resource


def _kind_finding(kind: Any, present: bool, known: list[str]) -> Finding:
    listing = ", ".join(known)
    if not present:
        return Finding(codes.BAD_KIND, f"missing kind: one of {listing}")
    close = difflib.get_close_matches(kind, known, n=1, cutoff=0.6) if isinstance(kind, str) else []
    hint = f" (did you mean {close[0]!r}?)" if close else f"; known kinds: {listing}"
    return Finding(codes.BAD_KIND, f"unknown kind {kind!r}{hint}", ("kind",))


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


def _locate(pending: list[_Pending]) -> list[Diagnostic]:
    """Turn paths into positions, composing each file that needs it once."""
    by_file: dict[str, list[_Pending]] = defaultdict(list)
    for item in pending:
        by_file[item.file].append(item)
    out: list[Diagnostic] = []
    for file, items in by_file.items():
        index: PositionIndex | None = None
        for item in items:
            finding = item.finding
            if finding.line is not None:
                out.append(diagnostic(file, finding.line, finding.column or 1, finding))
                continue
            position = None
            if item.document is not None:
                if index is None:
                    data = read_manifest(file)
                    index = PositionIndex(data if isinstance(data, bytes) else b"")
                position = index.locate(item.document, finding.path, at_key=finding.at_key)
            line, column = position if position is not None else (item.fallback_line, 1)
            out.append(diagnostic(file, line, column, finding))
    return out
