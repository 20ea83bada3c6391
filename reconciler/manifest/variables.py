"""The variables of the selected environment, for ``${var:NAME}`` in manifests (docs/environments.md).

An environment of the project file (smartlive.yaml) names its variables; the loader substitutes them
into every string value of a manifest before the kind's model type-checks it. This module holds only
what the loader is handed: which environment, and its values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

#: What a variable may hold: a scalar, as YAML writes it.
VariableValue = str | int | float | bool
#: What a file's text holds where it names a variable: only such a file's outcome depends on them.
VARIABLE_MARK: Final = b"${var:"


@dataclass(frozen=True)
class Variables:
    """The values ``${var:NAME}`` takes, and what to say when one is missing."""

    #: The selected environment's name; None when none is selected (then `values` are the project's own:
    #: the base every environment's values go over, as a kustomize base built alone).
    environment: str | None
    values: Mapping[str, VariableValue] = field(default_factory=dict)
    #: The environments the project file declares (named in the message when none is selected).
    declared: tuple[str, ...] = ()
    #: The project file, as the user would name it (for messages).
    project_file: str = "smartlive.yaml"


def variables_digest(variables: Variables | None) -> str:
    """What a checked file's outcome depends on when it names a variable: the environment, its values,
    and the environments declared (the message when none is selected names them)."""
    if variables is None:
        return "no-project"
    material = [
        variables.environment,
        sorted(variables.values.items()),
        variables.declared,
        variables.project_file,
    ]
    return hashlib.sha256(json.dumps(material, default=repr).encode()).hexdigest()[:16]
