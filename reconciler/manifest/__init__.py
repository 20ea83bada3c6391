"""Desired state: manifest files -> typed resources, with diagnostics that point at the YAML.

The public interface (plan, apply and validate use only this):

    load_manifests(paths) -> LoadResult        .resources .groups .jobs .of_kind() .diagnostics .ok .files
    check_manifests(paths) -> CheckResult      the same diagnostics without resources, on every core
    RuleGroupManifest, LiveJobManifest         the built-in resource types (Manifest subclasses)
    Diagnostic                                 file, line, column, path, code, severity, message
    SecretRef, LiteralSecret                   secret fields; .resolve() only when building a request
    register_kind, register_set_check          extend the manifest format with a kind or a check
"""

from reconciler.manifest.codes import CODES, Code, Severity
from reconciler.manifest.diagnostics import Diagnostic, Finding, format_path
from reconciler.manifest.kinds import (
    ALLOW_RESTART,
    LiveEventCallBackConfigSpec,
    LiveJobManifest,
    LiveJobSpec,
    RuleGroupManifest,
    RuleGroupSpec,
)
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
    register_kind,
    register_set_check,
)
from reconciler.manifest.results import CheckResult, LoadResult
from reconciler.manifest.secrets import SECRET_REF_PATTERN, LiteralSecret, Secret, SecretRef

__all__ = [
    "ALLOW_RESTART",
    "API_VERSION",
    "CODES",
    "SECRET_REF_PATTERN",
    "CheckResult",
    "Code",
    "Diagnostic",
    "Finding",
    "KindSpec",
    "LiteralSecret",
    "LiveEventCallBackConfigSpec",
    "LiveJobManifest",
    "LiveJobSpec",
    "LoadResult",
    "Manifest",
    "Metadata",
    "ResourceRef",
    "RuleGroupManifest",
    "RuleGroupSpec",
    "Secret",
    "SecretRef",
    "SetCheck",
    "Severity",
    "SourceLocation",
    "check_manifests",
    "format_path",
    "kinds",
    "load_manifests",
    "register_kind",
    "register_set_check",
]
