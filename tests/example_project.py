"""What the CLI gives the `${var:NAME}` of examples/ (its project file, examples/smartlive.yaml), for the
tests that load examples/ through the loader rather than through a command."""

from __future__ import annotations

from pathlib import Path

from reconciler.manifest.variables import Variables
from reconciler.project import PROJECT_FILE_NAME
from reconciler.project.selection import selection_for

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def examples_variables(environment: str | None = None) -> Variables | None:
    """The project's own variables (no environment selected, as `make demo` runs), or `environment`'s."""
    return selection_for([EXAMPLES], environment).variables()


def manifest_files(root: Path) -> list[Path]:
    """The manifest files a walk of `root` reads: its YAML files but the project file."""
    return [path for path in root.rglob("*.yaml") if path.name != PROJECT_FILE_NAME]
