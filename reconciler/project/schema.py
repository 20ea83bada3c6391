"""schemas/Project.json: the project file's JSON Schema, made by the manifests' generator (descriptions,
no titles), so that editors complete smartlive.yaml as they complete a manifest."""

from __future__ import annotations

from typing import Any, Final

from reconciler.manifest.schema import DIALECT, SCHEMA_ID_BASE, ManifestSchema, render, schema_files
from reconciler.project.model import KIND, Project

PROJECT_SCHEMA_FILE: Final = f"{KIND}.json"


def project_schema() -> dict[str, Any]:
    schema = Project.model_json_schema(mode="validation", schema_generator=ManifestSchema)
    return {"$schema": DIALECT, "$id": SCHEMA_ID_BASE + PROJECT_SCHEMA_FILE, **schema}


def every_schema_file() -> dict[str, str]:
    """File name -> content: the manifest kinds' schemas and the project file's (`smartlive schema`)."""
    return {**schema_files(), PROJECT_SCHEMA_FILE: render(project_schema())}
