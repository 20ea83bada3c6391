"""`smartlive export`'s rules: every selected remote object of every kind as a manifest file, laid out as
examples/ is (rule-groups/, rooms/, jobs/), and with --adopt, each recorded as managed.

Each kind writes its own objects (Kind.export); this module walks the kinds in reference order, so that a
kind sees the exported objects of the kinds it references (Terraform's `-generate-config-out`, for the
kinds smartlive manages), filters them by --kind and --name, writes the files (manifest/rewrite.py) and
adopts. No kind is named here.

--adopt records each object as `smartlive import` does, and with it what an apply of its new manifest
would record (Kind.adopted): built from the written files with this environment, as plan builds them, so
that the next plan compares what the service shows and trusts the fingerprints for what it never shows
(stream keys, the callback key). A secret whose variable is not set here gets no fingerprint: plan shows
it "? may change" until it is set and export --adopt runs again (docs/export.md).
"""

from __future__ import annotations

import enum
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from reconciler.atomic_file import replace_atomically
from reconciler.cloud.api import MetaStudioApi
from reconciler.engine.export_names import slug, unique
from reconciler.engine.kind import Exported, ExportRequest, ImportRefused, Kind, in_reference_order
from reconciler.kinds import RESOURCE_KINDS
from reconciler.manifest import API_VERSION
from reconciler.manifest.variables import Variables
from reconciler.resources import Address
from reconciler.state.base import StateStore

#: A new manifest's mode: a manifest is meant to be read and committed (it holds no secret).
MANIFEST_MODE = 0o644


class Outcome(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Selection:
    """What --kind and --name select: kinds by name (all when empty), objects whose metadata.name or
    remote name matches one of the globs (all when there is none)."""

    kinds: frozenset[str] = frozenset()
    names: tuple[str, ...] = ()

    def kind(self, kind: Kind[Any, Any]) -> bool:
        return not self.kinds or kind.name in self.kinds

    def __call__(self, address: Address, remote_name: str) -> bool:
        return not self.names or any(
            fnmatchcase(address.name, glob) or fnmatchcase(remote_name, glob) for glob in self.names
        )


async def export_objects(api: MetaStudioApi, selection: Selection) -> list[tuple[Kind[Any, Any], Exported]]:
    """The selected objects of the selected kinds, kind by kind in reference order."""
    exported: dict[str, Sequence[Exported]] = {}
    out: list[tuple[Kind[Any, Any], Exported]] = []
    for kind in in_reference_order(RESOURCE_KINDS):
        if not selection.kind(kind):
            continue
        request = ExportRequest(
            selected=selection,
            exported=lambda name: [e for e in exported.get(name, ()) if not e.refused],
        )
        objects = exported[kind.name] = await kind.export(api, request)
        out.extend((kind, e) for e in objects)
    return out


def document(exported: Exported) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": exported.address.kind,
        "metadata": {"name": exported.address.name},
        "spec": dict(exported.spec),
    }


def file_names(objects: Iterable[tuple[Kind[Any, Any], Exported]]) -> dict[Address, Path]:
    """Each object's file under the output directory: FOLDER/SLUG.yaml, SLUG its metadata.name's slug
    (export_names.slug), `-2` after it where two names give one."""
    taken: dict[str, set[str]] = {}
    out: dict[Address, Path] = {}
    for kind, exported in objects:
        names = taken.setdefault(kind.folder, set())
        stem = unique(slug(exported.address.name), names)
        names.add(stem)
        out[exported.address] = Path(kind.folder) / f"{stem}.yaml"
    return out


def write_manifest(path: Path, exported: Exported) -> Outcome:
    """Create the file, or update it in place (manifest/rewrite.py); written only when it changes.
    LayoutError (RewriteRefused) when an existing file cannot be updated; OSError as the OS says."""
    from reconciler.manifest.rewrite import new_text, updated_text

    wanted = document(exported)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(path, new_text(wanted).encode("utf-8"), mode=MANIFEST_MODE)
        return Outcome.CREATED
    before = path.read_text(encoding="utf-8")
    after = updated_text(before, wanted)
    if after == before:
        return Outcome.UNCHANGED
    replace_atomically(path.resolve(), after.encode("utf-8"), mode=os.stat(path).st_mode & 0o7777)
    return Outcome.UPDATED


@dataclass(frozen=True)
class Adopted:
    address: Address
    #: The record's remote id and stack, or why it was not adopted.
    remote_id: str = ""
    refused: str = ""


async def adopt(
    api: MetaStudioApi,
    store: StateStore,
    target_key: str,
    out_dir: Path,
    objects: Sequence[Exported],
    *,
    stack: str,
    environ: Mapping[str, str],
    variables: Variables | None = None,
    applied_by: str = "",
    force: bool = False,
) -> list[Adopted]:
    """Record each object under `stack` as import does, with what an apply of its manifest in `out_dir`
    would record; the caller holds the target's lock. An object import refuses is reported, not raised."""
    from reconciler.runs.importer import import_object
    from reconciler.runs.session import build_desired, load
    from reconciler.state.base import fingerprint

    key = store.hmac_key()
    desired = build_desired(load([out_dir], variables=variables), key, environ)

    def fingerprinter(value: Any) -> str:
        return fingerprint(value, key)

    results = []
    for exported in objects:
        declared = desired.resources.get(exported.address)
        if declared is None:  # a file of the user's declares it elsewhere, or not at all
            results.append(Adopted(exported.address, refused=f"no manifest in {out_dir} declares it"))
            continue
        try:
            imported = await import_object(
                api,
                store,
                target_key,
                exported.address,
                exported.remote_id,
                force=force,
                applied_by=applied_by,
                stack=stack,
                declared=(declared, fingerprinter),
            )
        except ImportRefused as exc:
            results.append(Adopted(exported.address, refused=str(exc)))
            continue
        results.append(Adopted(exported.address, imported.record.remote_id))
    return results


def unset_variables(objects: Iterable[Exported], environ: Collection[str]) -> list[str]:
    """The secret variables the exported manifests name that `environ` does not set, in order."""
    return list(dict.fromkeys(s.variable for e in objects for s in e.secrets if s.variable not in environ))
