"""Which environment of the project file a command runs in, and what it provides.

An environment is selected by --env NAME, else SMARTLIVE_ENV, else the project's default_environment;
a name the project does not declare is a usage error listing those it does. What the selection provides
(paths, stack, state, target, variables) is below the command line's own flags and above the SMARTLIVE_*
variables (docs/environments.md, "Precedence").
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.errors import UsageError
from reconciler.manifest.variables import Variables
from reconciler.project import ENV_VARIABLE, PROJECT_FILE_NAME
from reconciler.project.model import Environment
from reconciler.project.reading import ProjectFile

if TYPE_CHECKING:
    from reconciler.cloud.config import CredentialVariables

_SCHEME = "://"


@dataclass(frozen=True)
class Selection:
    """The project file found (None: there is none) and the environment selected in it (None: none)."""

    file: ProjectFile | None = None
    name: str | None = None

    @property
    def environment(self) -> Environment | None:
        if self.file is None or self.name is None:
            return None
        return self.file.project.environments[self.name]

    def variables(self) -> Variables | None:
        """What `${var:NAME}` takes: None without a project file (then any `${var:}` is an error)."""
        if self.file is None:
            return None
        project = self.file.project
        return Variables(
            environment=self.name,
            values=project.variables_of(self.name),
            declared=tuple(project.environments),
            project_file=self.file.shown,
        )

    def default_paths(self) -> list[str]:
        """The project's `paths`, as the command line would name them; none without a project file."""
        if self.file is None:
            return []
        return [self.file.resolve(path) for path in self.file.project.paths]

    @property
    def stack(self) -> str | None:
        return self.file.project.stack if self.file is not None else None

    @property
    def state(self) -> str | None:
        """The environment's state store; a plain path is relative to the project file."""
        environment = self.environment
        if environment is None or environment.state is None or self.file is None:
            return None
        if _SCHEME in environment.state:
            return environment.state
        return str((self.file.directory / Path(environment.state).expanduser()).resolve())

    def credential_variables(self) -> CredentialVariables | None:
        environment = self.environment
        if environment is None or environment.credentials is None:
            return None
        from reconciler.cloud.config import CredentialVariables

        named = environment.credentials
        return CredentialVariables(
            ak=named.ak_env,
            sk=named.sk_env,
            security_token=named.security_token_env,
            token=named.token_env,
            named_by=f"environment {self.name!r} of {self.file.shown if self.file else PROJECT_FILE_NAME}",
        )


def select(file: ProjectFile | None, requested: str | None, *, source: str = "--env") -> Selection:
    """The environment `requested` names (from `source`, --env or SMARTLIVE_ENV, for messages), else the
    project's default_environment, else none."""
    if file is None:
        if requested:
            raise UsageError(
                f"{source} {requested}: there is no {PROJECT_FILE_NAME} in the manifests' root or its parents "
                "to declare environments (docs/environments.md)"
            )
        return Selection()
    declared = list(file.project.environments)
    if not requested:
        return Selection(file, file.project.default_environment)
    if requested not in declared:
        listed = ", ".join(declared) if declared else "none"
        raise UsageError(
            f"{source} {requested}: {file.shown} declares no such environment (declared: {listed})"
        )
    return Selection(file, requested)


def selection_for(
    paths: Sequence[str | os.PathLike[str]], requested: str | None = None, *, source: str = "--env"
) -> Selection:
    """The project file of the manifests at `paths` (their root's or a parent's; the working directory's
    with none) and the environment `requested` selects in it: what every command runs in."""
    from reconciler.project.discovery import find_project_file, search_start
    from reconciler.project.reading import read_project_file

    found = find_project_file(search_start(paths))
    return select(read_project_file(found) if found is not None else None, requested, source=source)


__all__ = ["ENV_VARIABLE", "Selection", "select", "selection_for"]
