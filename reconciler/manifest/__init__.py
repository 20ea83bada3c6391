"""Desired state: manifest files -> typed resources, with diagnostics that point at the YAML.

The public interface (plan, apply and validate use only this):

    load_manifests(paths) -> LoadResult        .resources .of_kind() .diagnostics .ok .files
    check_manifests(paths) -> CheckResult      the same diagnostics without resources, on every core
    Diagnostic                                 file, line, column, path, code, severity, message
    SecretRef, LiteralSecret                   secret fields; .resolve() only when building a request
    register_document, register_set_check      extend the manifest format with a kind or a check

The built-in kinds (reconciler/kinds/) register themselves; their resource types live there.
"""

from reconciler.manifest.codes import CODES, Code, Severity
from reconciler.manifest.diagnostics import Diagnostic, Finding, format_path
from reconciler.manifest.loader import check_manifests, load_manifests
from reconciler.manifest.registry import (
    API_VERSION,
    KindSpec,
    Manifest,
    Metadata,
    ResourceRef,
    SetCheck,
    SourceLocation,
    kinds,
    register_document,
    register_kind,
    register_set_check,
)
from reconciler.manifest.results import CheckResult, LoadResult
from reconciler.manifest.secrets import SECRET_REF_PATTERN, LiteralSecret, Secret, SecretRef

__all__ = [
    "API_VERSION",
    "CODES",
    "SECRET_REF_PATTERN",
    "CheckResult",
    "Code",
    "Diagnostic",
    "Finding",
    "KindSpec",
    "LiteralSecret",
    "LoadResult",
    "Manifest",
    "Metadata",
    "ResourceRef",
    "Secret",
    "SecretRef",
    "SetCheck",
    "Severity",
    "SourceLocation",
    "check_manifests",
    "format_path",
    "kinds",
    "load_manifests",
    "register_document",
    "register_kind",
    "register_set_check",
]
