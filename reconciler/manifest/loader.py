"""Files and directories -> typed resources and diagnostics, never an exception.

The pipeline, per file: read (size cap) -> UTF-8 check -> fast parse (yaml_documents) -> per
document: envelope (apiVersion, kind) -> the kind's model (strict: YAML types must match) -> the
kind's lint -> the kind's prepare (for plan and apply). Then the checks across the set. Findings
carry paths; only files that have findings are parsed again with positions (yaml_positions) to turn
paths into line:column.

All of a file's diagnostics come in one round: a document that does not type-check is linted on the
parts that do (partial.py), and takes part in the set checks by its kind and metadata.name. A file
found by walking a directory that holds no smartlive manifest (a CI workflow, a compose file) is
skipped and counted (foreign.py); whether it is one is a fact of its content, kept with its outcome.

Two entry points share it. ``load_manifests`` returns the resources (plan, apply): parsing may run
on several cores, the rest in this process; with a cache directory, a file unchanged since it was
checked is not parsed nor checked again, its outcome comes from the cache (parse_cache.py).
``check_manifests`` (``smartlive validate``) only needs the diagnostics, so each core runs the whole
pipeline on its share of the files and sends back findings and the small per-resource summaries the
set checks need (registry.SetCheck).
"""

from __future__ import annotations

import difflib
import marshal
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, ValidationError

from reconciler.manifest import codes
from reconciler.manifest.diagnostics import Diagnostic, Finding, diagnostic
from reconciler.manifest.files import Found, check_utf8, discover, read_manifest
from reconciler.manifest.foreign import hints_name_smartlive, meant_as_manifest, text_hints
from reconciler.manifest.lint_metadata import lint_annotations
from reconciler.manifest.nulls import null_findings
from reconciler.manifest.parallel import map_encoded
from reconciler.manifest.parse_cache import Checked, Key, ParseCache, file_key, salted
from reconciler.manifest.partial import Parts, type_checked_parts
from reconciler.manifest.registry import (
    API_VERSION,
    DeferredSpec,
    KindSpec,
    Manifest,
    ResourceRef,
    SourceLocation,
    kinds,
    set_checks,
)
from reconciler.manifest.results import CheckResult, LoadResult
from reconciler.manifest.substitution import misplaced_references, substitute
from reconciler.manifest.validation import findings_from
from reconciler.manifest.variables import VARIABLE_MARK, Variables, variables_digest
from reconciler.manifest.yaml_documents import Document, parse_documents
from reconciler.manifest.yaml_positions import PositionIndex

#: What _read_and_parse returns, marshal-able: (file-level findings, documents, for a file that does
#: not parse what its text says of itself (foreign.text_hints), and whether its text holds a `${`: only
#: then are its strings searched for variables, substitution.py).
Parsed = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], tuple[bool, list[str]] | None, bool]


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
    #: (resource, its extract for each registered set check, in registration order), in document
    #: order: every document of a known kind with a valid metadata.name, type-checked or not
    summaries: list[tuple[ResourceRef, tuple[Any, ...]]] = field(default_factory=list)
    count: int = 0
    #: No document of the file is meant as a smartlive manifest (foreign.py).
    foreign: bool = False
    #: The data of each kept resource's document whose variables were substituted, by document index
    #: (the parse cache keeps the document as checked, not as written).
    substituted: dict[int, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Declared:
    """A document of a known kind with a valid metadata.name: the set checks see it."""

    ref: ResourceRef
    #: The resource, when the document type-checks (then it is kept and counted).
    resource: Manifest[Any] | None
    #: What the set checks' extracts read: the resource, or the parts of the document that
    #: type-check; None when only its kind and name are known (each extract is then None).
    summarized: Manifest[Any] | None
    #: The document's data with its variables substituted, when any was.
    substituted: Any = None


def load_manifests(
    paths: Sequence[str | os.PathLike[str]],
    *,
    parallel: bool | None = None,
    cache_dir: Path | None = None,
    variables: Variables | None = None,
) -> LoadResult:
    """Load every manifest under ``paths`` (files, or directories walked recursively for *.yaml/*.yml).

    Never raises for a problem in the input: each becomes a Diagnostic. ``parallel`` forces (True)
    or forbids (False) parsing in forked processes; by default large sets use every core.
    ``cache_dir`` keeps checked files there between runs (parse_cache.py). ``variables`` are the
    selected environment's, for ``${var:NAME}`` (None: there is no project file)."""
    found = discover(paths)
    files = found.files
    if cache_dir is None:
        parsed = map_encoded(_read_and_parse, files, [_size(file) for file in files], parallel=parallel)
        outcomes = [
            _process(file, item, keep=True, variables=variables)
            for file, item in zip(files, parsed, strict=True)
        ]
    else:
        outcomes = _load_with_cache(ParseCache.open(cache_dir), files, parallel, variables)
    checked = _checked(found, outcomes)
    return LoadResult(
        resources=[r for outcome in checked.values() for r in outcome.resources],
        diagnostics=_finish(found, checked),
        files=len(checked),
        skipped=len(files) - len(checked),
    )


def check_manifests(
    paths: Sequence[str | os.PathLike[str]],
    *,
    parallel: bool | None = None,
    variables: Variables | None = None,
) -> CheckResult:
    """What ``load_manifests`` would report, computed on every core for large sets (no resources kept)."""
    found = discover(paths)
    files = found.files
    kinds()  # register the built-in kinds before any fork: children inherit the registry
    check = partial(_check_file, variables=variables)
    encoded = map_encoded(check, files, [_size(file) for file in files], parallel=parallel)
    outcomes = [_decode_outcome(file, item) for file, item in zip(files, encoded, strict=True)]
    checked = _checked(found, outcomes)
    return CheckResult(
        _finish(found, checked),
        len(checked),
        sum(outcome.count for outcome in checked.values()),
        skipped=len(files) - len(checked),
    )


def _checked(found: Found, outcomes: list[_FileOutcome]) -> dict[str, _FileOutcome]:
    """The outcomes of the files checked, in file order: all but the foreign files found by walking a
    directory (a file named on its own is checked whatever it holds)."""
    return {
        file: outcome
        for file, outcome in zip(found.files, outcomes, strict=True)
        if not (outcome.foreign and file in found.walked)
    }


def _size(file: str) -> int:
    try:
        return os.stat(file).st_size
    except OSError:
        return 0


def _load_with_cache(
    cache: ParseCache, files: list[str], parallel: bool | None, variables: Variables | None
) -> list[_FileOutcome]:
    """Every file is read and hashed here; one whose key matches its cache entry is rebuilt from it,
    the others are parsed (on several cores when worth it) and checked, then kept for the next run.
    A file that names a variable is keyed by the variables too (another environment, another entry)."""
    outcomes: dict[str, _FileOutcome] = {}
    keys: dict[str, tuple[str, Key]] = {}
    unchecked: dict[str, bytes | Finding] = {}
    here = os.getcwd()
    registered, checks = kinds(), len(set_checks())
    for file in files:
        data = read_manifest(file)
        key = file_key(file, data) if isinstance(data, bytes) else None
        if key is not None and VARIABLE_MARK in cast(bytes, data):
            key = salted(key, variables_digest(variables))
        if key is not None:
            absolute = os.path.normpath(os.path.join(here, file))  # os.path.abspath, one getcwd
            keys[file] = absolute, key
            checked = cache.lookup(absolute, key)
            restored = _restore(file, absolute, checked, registered, checks) if checked is not None else None
            if checked is not None and restored is not None:
                outcomes[file] = restored
                cache.remember(absolute, key, checked)
                continue
        unchecked[file] = data
    pending = list(unchecked)
    sizes = [len(data) if isinstance(data, bytes) else 0 for data in unchecked.values()]
    # A forked child inherits `unchecked`: the files are not read twice.
    parsed = map_encoded(lambda file: _parse_data(unchecked[file]), pending, sizes, parallel=parallel)
    for file, item in zip(pending, parsed, strict=True):
        outcome = outcomes[file] = _process(file, item, keep=True, prepare=True, variables=variables)
        if file in keys:
            cache.remember(*keys[file], _encode_checked(outcome, item))
    cache.save()
    return [outcomes[file] for file in files]


def _encode_checked(outcome: _FileOutcome, parsed: Parsed) -> Checked:
    """A checked file as plain data for the cache: its findings as found (positions are looked up
    when reported), per resource what _restore needs to rebuild it without checking it again (its
    document is kept, marshal-encoded, decoded only if the spec is read, to validate the spec), the
    set-check summaries of the documents that did not type-check, and whether it is foreign."""
    documents = {index: data for data, index, _line, _empty in parsed[1]} | outcome.substituted
    pending = [(p.document, p.fallback_line, _encode_finding(p.finding)) for p in outcome.pending]
    extracts_of = {ref.source.document: extracts for ref, extracts in outcome.summaries}
    resources = [
        (
            resource.kind,
            resource.name,
            resource.source.document,
            resource.source.line,
            dict(resource.labels),
            dict(resource.annotations),
            extracts_of[resource.source.document],
            resource.prepared,
            marshal.dumps(documents[resource.source.document]),
        )
        for resource in outcome.resources
    ]
    kept = {resource.source.document for resource in outcome.resources}
    declared = [
        (ref.kind, ref.name, ref.source.document, ref.source.line, extracts)
        for ref, extracts in outcome.summaries
        if ref.source.document not in kept
    ]
    return pending, resources, declared, outcome.foreign


def _restore(
    file: str, absolute: str, checked: Checked, registered: Mapping[str, KindSpec], checks: int
) -> _FileOutcome | None:
    """The outcome _encode_checked kept, rebuilt for `file` (its spec validated only when read); None
    when the entry does not fit (then the file is checked again): one of `checks` set checks each."""
    pending, resources, declared, foreign = checked
    base_dir = os.path.dirname(absolute)
    outcome = _FileOutcome(foreign=foreign)
    try:
        outcome.pending = [
            _Pending(file, document, line, Finding(*finding)) for document, line, finding in pending
        ]
        for kind, name, document, line, extracts in declared:
            if len(extracts) != checks:
                return None
            outcome.summaries.append(
                (ResourceRef(kind, name, SourceLocation(file, document, line)), tuple(extracts))
            )
        for kind, name, document, line, labels, annotations, extracts, prepared, data in resources:
            if len(extracts) != checks:  # a set check registered since (a plugin's)
                return None
            spec = registered[kind]
            source = SourceLocation(file, document, line)
            deferred = DeferredSpec(partial(_validated_spec, spec, data, base_dir))
            resource = spec.resource_type(
                kind=kind,
                name=name,
                spec=cast(Any, deferred),  # the one place a spec is passed unvalidated (registry.py)
                source=source,
                labels=labels,
                annotations=annotations,
                prepared=prepared,
            )
            outcome.resources.append(resource)
            outcome.summaries.append((ResourceRef(kind, name, source), tuple(extracts)))
            outcome.count += 1
    except (KeyError, TypeError, ValueError):
        return None
    outcome.summaries.sort(key=lambda summary: summary[0].source.document)  # document order, as checked
    return outcome


def _validated_spec(spec: KindSpec, data: bytes, base_dir: str) -> BaseModel:
    """The spec of a cached resource, validated as _load_document did it (it passed then: the file is
    the same, the code is the same)."""
    document = _with_supported_version(marshal.loads(data))
    validated = spec.document_model.model_validate(document, strict=True, context={"base_dir": base_dir})
    model: BaseModel = validated.spec  # type: ignore[attr-defined]
    return model


def _with_supported_version(data: dict[str, Any]) -> dict[str, Any]:
    """An unsupported apiVersion is reported once (by _load_document), not again by the model."""
    if "apiVersion" in data and data["apiVersion"] != API_VERSION:
        return {**data, "apiVersion": API_VERSION}
    return data


def _read_and_parse(file: str) -> Parsed:
    """(file-level findings, documents, text hints) of one file, as plain tuples: this may run in a
    forked process (parallel.py) and travel back through ``marshal``."""
    return _parse_data(read_manifest(file))


def _parse_data(data: bytes | Finding) -> Parsed:
    findings: list[Finding] = []
    documents: list[tuple[Any, ...]] = []
    hints = None
    dollar = isinstance(data, bytes) and b"${" in data
    if isinstance(data, Finding):
        findings.append(data)
    elif (encoding_problem := check_utf8(data)) is not None:
        findings.append(encoding_problem)
        hints = text_hints(data)
    else:
        parsed = parse_documents(data)
        if parsed.problem is not None:
            findings.append(parsed.problem)
            hints = text_hints(data)
        elif not parsed.documents:
            findings.append(Finding(codes.EMPTY_DOCUMENT, "no YAML document in this file"))
        documents = [(d.data, d.index, d.line, d.empty) for d in parsed.documents]
    return [_encode_finding(f) for f in findings], documents, hints, dollar


def _is_foreign(parsed: Parsed, known: Mapping[str, KindSpec]) -> bool:
    """No document of the file is meant as a smartlive manifest (foreign.py). A file that could not be
    read, or holds no document at all, is no other tool's: it is reported (Y001, Y002, Y008)."""
    file_findings, documents, hints, _dollar = parsed
    if any(not empty and meant_as_manifest(data, known) for data, _index, _line, empty in documents):
        return False
    if hints is not None:
        return not hints_name_smartlive(hints, known)
    return not file_findings and any(not empty for _data, _index, _line, empty in documents)


def _process(
    file: str, parsed: Parsed, *, keep: bool, prepare: bool = False, variables: Variables | None = None
) -> _FileOutcome:
    """Type-check and lint the documents of one parsed file; ``keep`` the resources, and ``prepare``
    them (KindSpec.prepare) when they are to be cached: otherwise a kind's build does it if it needs
    to (`smartlive test` builds no rule group, and would only pay for it)."""
    file_findings, documents, _hints, dollar = parsed
    outcome = _FileOutcome(pending=[_Pending(file, None, 1, Finding(*f)) for f in file_findings])
    registered = kinds()
    outcome.foreign = _is_foreign(parsed, registered)
    checks = set_checks()
    base_dir = os.path.dirname(os.path.abspath(file))
    for document in documents:
        declared = _guarded_document(
            file,
            Document(*document),
            base_dir,
            registered,
            outcome.pending,
            prepare=prepare,
            variables=variables,
            search=dollar,
        )
        if declared is None:
            continue
        if declared.resource is not None:
            outcome.count += 1
            if keep:
                outcome.resources.append(declared.resource)
                if declared.substituted is not None:
                    outcome.substituted[declared.resource.source.document] = declared.substituted
        summarized = declared.summarized
        extracts = (
            tuple(check.extract(summarized) for check in checks)
            if summarized is not None
            else (None,) * len(checks)
        )
        outcome.summaries.append((declared.ref, extracts))
    return outcome


def _check_file(file: str, variables: Variables | None = None) -> Any:
    """The whole pipeline for one file, as marshal-able data (runs in a forked child, or here)."""
    outcome = _process(file, _read_and_parse(file), keep=False, variables=variables)
    pending = [(p.document, p.fallback_line, _encode_finding(p.finding)) for p in outcome.pending]
    summaries = [
        ((ref.kind, ref.name, ref.source.document, ref.source.line), extracts)
        for ref, extracts in outcome.summaries
    ]
    return pending, summaries, outcome.count, outcome.foreign


def _decode_outcome(file: str, encoded: Any) -> _FileOutcome:
    pending, summaries, count, foreign = encoded
    return _FileOutcome(
        pending=[_Pending(file, document, line, Finding(*finding)) for document, line, finding in pending],
        summaries=[
            (ResourceRef(kind, name, SourceLocation(file, document, line)), tuple(extracts))
            for (kind, name, document, line), extracts in summaries
        ],
        count=count,
        foreign=foreign,
    )


def _encode_finding(finding: Finding) -> tuple[Any, ...]:
    return (finding.code, finding.message, finding.path, finding.at_key, finding.line, finding.column)


def _finish(found: Found, checked: dict[str, _FileOutcome]) -> list[Diagnostic]:
    """Run the set checks over every summary of the files `checked`, then place and sort every
    finding; a directory argument whose files were all skipped is Y009, as one without any."""
    pending = [_Pending(problem.path, None, 1, problem.finding) for problem in found.problems]
    pending.extend(_only_foreign(found, checked))
    for outcome in checked.values():
        pending.extend(outcome.pending)
    summaries = [summary for outcome in checked.values() for summary in outcome.summaries]
    for index, check in enumerate(set_checks()):
        for ref, finding in check.check([(ref, extracts[index]) for ref, extracts in summaries]):
            pending.append(_Pending(ref.source.file, ref.source.document, ref.source.line, finding))
    order = (
        {problem.path: -1 for problem in found.problems}
        | dict.fromkeys(found.directories, -1)
        | {file: index for index, file in enumerate(found.files)}
    )
    return sorted(_locate(pending), key=lambda d: (order.get(d.file, len(order)), d.line, d.column, d.code))


def _only_foreign(found: Found, checked: dict[str, _FileOutcome]) -> list[_Pending]:
    """Y009 for each directory argument all of whose files were skipped: a wrong path far more often
    than a wish (`validate .github`), as a directory without any .yaml file is."""
    out: list[_Pending] = []
    for directory, files in found.directories.items():
        if files and not any(file in checked for file in files):
            message = f"no smartlive manifest in this directory ({_files(len(files))} skipped: not smartlive manifests)"
            out.append(_Pending(directory, None, 1, Finding(codes.NO_MANIFESTS, message)))
    return out


def _files(count: int) -> str:
    return f"{count} file{'' if count == 1 else 's'}"


def _guarded_document(
    file: str,
    document: Document,
    base_dir: str,
    registered: Mapping[str, KindSpec],
    pending: list[_Pending],
    *,
    prepare: bool,
    variables: Variables | None,
    search: bool,
) -> _Declared | None:
    """_load_document, or M012 where a kind's validator or lint fails unexpectedly: a bug in one
    check then costs that document's diagnostics, not every other file's (and never a traceback).
    The exception's message is not shown: it may quote the document, which may hold a secret."""
    try:
        return _load_document(
            file, document, base_dir, registered, pending, prepare=prepare, variables=variables, search=search
        )
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
    *,
    prepare: bool,
    variables: Variables | None,
    search: bool,
) -> _Declared | None:
    """One document: envelope, variables (only where its file's text holds a `${`: `search`), types,
    lint; its findings go to `pending`."""

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
        data = _with_supported_version(data)
    kind = data.get("kind")
    spec = registered.get(kind) if isinstance(kind, str) else None
    if spec is None:
        report(_kind_finding(kind, "kind" in data, list(registered)))
        return None
    model = spec.document_model
    references: list[Any] = []
    unresolved: set[Any] = set()  # a variable with no value: its string's type error would say no more
    substituted = None
    if search:
        outcome = substitute(data, variables)
        for finding in outcome.findings:
            report(finding)
        references = outcome.references
        unresolved = {finding.path for finding in outcome.findings}
        if outcome.data is not data:
            data = substituted = outcome.data
    nulls = list(null_findings(data, model))
    for finding in nulls:
        report(finding)

    def validate(document_data: dict[str, Any]) -> BaseModel:
        return model.model_validate(document_data, strict=True, context={"base_dir": base_dir})

    parts: Parts | None
    try:
        parts = Parts(validate(data))
    except ValidationError as exc:
        for finding in findings_from(exc, data, model):
            if finding.path not in unresolved:
                report(finding)
        parts = type_checked_parts(data, exc, validate)
    source = SourceLocation(file, document.index, document.line)
    if parts is None:
        name = _declared_name(data)
        return _Declared(ResourceRef(spec.kind, name, source), None, None) if name is not None else None
    metadata = parts.validated.metadata  # type: ignore[attr-defined]
    resource = spec.resource_type(
        kind=spec.kind,
        name=metadata.name,
        spec=parts.validated.spec,  # type: ignore[attr-defined]
        source=source,
        labels=metadata.labels or {},
        annotations=metadata.annotations or {},
    )
    for check in (*spec.lint, lint_annotations):
        for finding in check(resource):
            placed = parts.as_written(finding)
            if placed is not None:
                report(placed)
    # Judged on a whole model only: where parts were set aside, paths as written and the model's differ.
    misplaced = list(misplaced_references(parts.validated, references)) if parts.complete else []
    for finding in misplaced:
        report(finding)
    ref = ResourceRef.of(resource)
    if not parts.complete or nulls or misplaced:
        # Not a resource (it has type errors); the set checks read what type-checks, unless items were
        # removed: their extracts would hold paths with the indexes shifted.
        return _Declared(ref, None, None if parts.removed else resource)
    if prepare and spec.prepare is not None:
        resource = replace(resource, prepared=spec.prepare(resource))
    return _Declared(ref, resource, resource, substituted)


def _declared_name(data: dict[str, Any]) -> str | None:
    """metadata.name of a document that does not type-check, when it is a valid one (Metadata)."""
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) and 1 <= len(name) <= 256 else None


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
