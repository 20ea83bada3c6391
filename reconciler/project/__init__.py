"""The project file, smartlive.yaml: the manifest set's stack, default paths and named environments.

    model.py      what the file may say (pydantic, strict; its JSON Schema is schemas/Project.json)
    reading.py    the file read and checked like a manifest: FILE:LINE:COL diagnostics
    discovery.py  where the file is found: the manifests' root or one of its parents
    selection.py  which environment a command runs in, and what that environment provides
    schema.py     schemas/Project.json

docs/environments.md is the user's guide.
"""

from __future__ import annotations

from typing import Final

#: The project file's one name (not `.yml`: one spelling, so that discovery and the directory walk agree).
from reconciler.manifest.files import PROJECT_FILE_NAME

#: The variable --env falls back on.
ENV_VARIABLE: Final = "SMARTLIVE_ENV"

__all__ = ["ENV_VARIABLE", "PROJECT_FILE_NAME"]
