"""What smartlive.yaml may say: the project's stack and paths, and its named environments.

Strict, as the manifests are: unknown fields are errors, `"4000"` is not a number and `yes` is not a
boolean. Credentials have no field: an environment names the environment variables that hold them
(`ak_env`, `sk_env`, `token_env`), and reading.py refuses a field that looks like a key with its own
message (a project file is committed; a key in it is leaked).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from reconciler.manifest.registry import API_VERSION
from reconciler.manifest.variables import VariableValue
from reconciler.project.names import (
    ENVIRONMENT_NAME,
    VARIABLE_NAME,
    checked_environment_name,
    checked_variable_name,
)

KIND: Final = "Project"


def _region(value: str) -> str:
    from reconciler.cloud.config import region_problem

    problem = region_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _endpoint(value: str) -> str:
    from reconciler.cloud.config import checked_endpoint
    from reconciler.errors import ConfigError

    try:
        return checked_endpoint(value, "an endpoint")
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


def _env_variable(value: str) -> str:
    if not VARIABLE_NAME.match(value):
        raise ValueError(f"{value!r} is not an environment variable name (letters, digits and _)")
    return value


def _stack(value: str) -> str:
    from reconciler.engine.stacks import stack_name_problem

    problem = stack_name_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _state(value: str) -> str:
    """A state store URL carries no password: the project file is committed (PGPASSWORD or ~/.pgpass
    hold it)."""
    if not value.strip():
        raise ValueError("a state store cannot be empty; leave `state` out for the default")
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/@]*:[^/@]*@", value):
        raise ValueError(
            "credentials never live in smartlive.yaml: leave the password out of the state URL "
            "(PostgreSQL reads it from PGPASSWORD or ~/.pgpass)"
        )
    return value


EnvVariableName = Annotated[
    str, AfterValidator(_env_variable), Field(json_schema_extra={"pattern": VARIABLE_NAME.pattern})
]
_VARIABLE_NAMES: Final[dict[str, Any]] = {"propertyNames": {"pattern": VARIABLE_NAME.pattern}}
Variables = dict[Annotated[str, AfterValidator(checked_variable_name)], VariableValue]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Credentials(_Strict):
    """Which environment variables hold this environment's credentials: their names, never their values.
    Either an access key pair (`ak_env` and `sk_env`, with `security_token_env` for temporary
    credentials) or an IAM token (`token_env`). Left out, the usual variables and credentials file are read
    (docs/environment.md)."""

    ak_env: EnvVariableName | None = Field(
        default=None, description="the environment variable holding the access key id (AK)"
    )
    sk_env: EnvVariableName | None = Field(
        default=None, description="the environment variable holding the secret access key (SK)"
    )
    security_token_env: EnvVariableName | None = Field(
        default=None,
        description="the environment variable holding the security token of temporary (STS) credentials",
    )
    token_env: EnvVariableName | None = Field(
        default=None,
        description="the environment variable holding an IAM token, sent as X-Auth-Token instead of signing",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Credentials:
        if self.token_env is not None and (self.ak_env or self.sk_env or self.security_token_env):
            raise ValueError("name either token_env or the ak_env/sk_env pair, not both")
        if (self.ak_env is None) != (self.sk_env is None):
            raise ValueError("name both ak_env and sk_env (or neither)")
        if self.security_token_env is not None and self.ak_env is None:
            raise ValueError("security_token_env goes with ak_env and sk_env")
        if self.token_env is None and self.ak_env is None:
            raise ValueError("name ak_env and sk_env, or token_env")
        return self


class Environment(_Strict):
    """One place the manifests are applied to (staging, production): its target, its state store and
    its variables. Command-line flags override what it says; it overrides the SMARTLIVE_* variables."""

    local: bool = Field(
        default=False,
        description="the embedded emulator kept under .smartlive/ (no account), as --local; instead of "
        "region or endpoint",
    )
    region: Annotated[str, AfterValidator(_region)] | None = Field(
        default=None, description="the region id, e.g. cn-north-4, as --region"
    )
    endpoint: Annotated[str, AfterValidator(_endpoint)] | None = Field(
        default=None, description="the API endpoint URL, as --endpoint (overrides the region's)"
    )
    project_id: str | None = Field(default=None, min_length=1, description="the project id, as --project-id")
    credentials: Credentials | None = None
    state: Annotated[str, AfterValidator(_state)] | None = Field(
        default=None,
        description="the state store, as --state: a file path (relative to smartlive.yaml), "
        "sqlite:///path or postgresql://user@host/db without a password",
    )
    variables: Variables = Field(
        default_factory=dict,
        description="the values of ${var:NAME} in the manifests for this environment (over the "
        "project's own `variables`)",
        json_schema_extra=_VARIABLE_NAMES,
    )

    @model_validator(mode="after")
    def _one_place(self) -> Environment:
        if self.local and (self.region or self.endpoint):
            raise ValueError("local: true is the embedded emulator; it takes no region or endpoint")
        if self.local and (self.project_id or self.credentials):
            raise ValueError("local: true is the embedded emulator; it takes no project_id or credentials")
        return self


class Project(_Strict):
    """smartlive.yaml: a manifest set's stack, default paths and named environments
    (docs/environments.md). Found at the manifests' root or in one of its parent directories."""

    api_version: Literal["smartlive/v1"] = Field(alias="apiVersion", description=f"always {API_VERSION}")
    kind: Literal["Project"] = Field(description="always Project")
    stack: Annotated[str, AfterValidator(_stack)] | None = Field(
        default=None,
        description="the stack these manifests are, as --stack (default: the manifests' root directory)",
    )
    paths: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=lambda: ["."],
        min_length=1,
        description="the manifest files and directories a command reads when given no PATH, relative to "
        'smartlive.yaml (default ["."])',
    )
    default_environment: str | None = Field(
        default=None,
        description="the environment selected when neither --env nor SMARTLIVE_ENV names one",
    )
    variables: Variables = Field(
        default_factory=dict,
        description="values of ${var:NAME} shared by every environment (an environment's own win)",
        json_schema_extra=_VARIABLE_NAMES,
    )
    environments: dict[Annotated[str, AfterValidator(checked_environment_name)], Environment] = Field(
        default_factory=dict,
        description="the named environments, selected with --env NAME or SMARTLIVE_ENV",
        json_schema_extra={"propertyNames": {"pattern": ENVIRONMENT_NAME.pattern}},
    )

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, title=KIND)

    def variables_of(self, environment: str | None) -> dict[str, Any]:
        """The project's variables, then the environment's over them (kustomize's base and overlay)."""
        own = self.environments[environment].variables if environment is not None else {}
        return {**self.variables, **own}


__all__ = ["KIND", "VARIABLE_NAME", "Credentials", "Environment", "Project", "VariableValue"]
