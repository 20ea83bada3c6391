"""The desired side of a plan, in canonical form, built from loaded manifests.

Secret references (`${env:NAME}`, `${file:PATH}`) stay references here; they are resolved only to
compute fingerprints (HMAC under the state store's key) and to build a request, never to show.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.engine import normalize
from reconciler.engine.planner import DesiredGroup, DesiredJob

#: field or flat path -> HMAC of the resolved value, computed by the caller with the store's key.
Fingerprinter = Callable[[Any], str]


@dataclass(frozen=True)
class JobDeclaration:
    """A SmartLiveJob manifest reduced to what planning and apply need."""

    name: str
    room_id: str
    state: Literal["running", "stopped"]
    #: StartSmartLiveReq fields as written, secret references unresolved.
    request: Mapping[str, Any]
    allow_restart: bool = False


def desired_group(
    name: str, rules: list[dict[str, Any]], fingerprint: Fingerprinter | None = None
) -> DesiredGroup:
    canonical = normalize.normalize_group({"group_name": name, "interaction_rules": rules})
    return DesiredGroup(name, canonical, fingerprint(canonical) if fingerprint else "")


def desired_job(
    declaration: JobDeclaration,
    *,
    resolve: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None,
    fingerprint: Fingerprinter | None = None,
) -> DesiredJob:
    """`resolve` turns the request with references into the request with values (for fingerprints)."""
    canonical = normalize.normalize_job_request(declaration.request)
    observed = normalize.declared_observed_fields(declaration.request)
    blind = normalize.blind_job_fields(declaration.request)
    fingerprints: dict[str, str] | None = None
    if resolve is not None and fingerprint is not None:
        resolved_blind = normalize.blind_job_fields(resolve(declaration.request))
        fingerprints = {name: fingerprint(value) for name, value in resolved_blind.items()}
    return DesiredJob(
        declaration.name, declaration.room_id, declaration.state, observed, blind, fingerprints, canonical
    )
