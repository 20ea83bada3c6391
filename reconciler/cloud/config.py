"""Where the API is and who we are: the target of plan/apply, resolved the official SDK's way first.

Order for credentials: HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK (+ HUAWEICLOUD_SDK_PROJECT_ID,
HUAWEICLOUD_SDK_SECURITY_TOKEN), then the seeds' CLOUD_SDK_AK / CLOUD_SDK_SK, then the SDK's credentials
file (HUAWEICLOUD_SDK_CREDENTIALS_FILE or ~/.huaweicloud/credentials, section [basic]); an IAM token in
SMARTLIVE_AUTH_TOKEN is sent as X-Auth-Token instead of signing. The endpoint is --endpoint, else the
region's (HUAWEICLOUD_SDK_REGION_METASTUDIO_<REGION> overrides it, as the SDK does). `--local` targets the
embedded emulator kept under .smartlive/, with no account at all.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.errors import ConfigError
from reconciler.redaction import remember

DEFAULT_ENDPOINT_TEMPLATE = "https://metastudio.{region}.myhuaweicloud.com"
#: The embedded emulator's fixed identity (also documented in README, "Local mode").
LOCAL_AK = "local-ak"
LOCAL_SK = "local-sk"
LOCAL_PROJECT_ID = "local-project"
LOCAL_ENDPOINT = "http://smartlive.local"
LOCAL_DIR = Path(".smartlive")

_REGION_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")


@dataclass(frozen=True)
class Credentials:
    """AK/SK (signed requests) or an IAM token. `repr` never shows a secret."""

    ak: str = ""
    sk: str = field(default="", repr=False)
    security_token: str = field(default="", repr=False)
    auth_token: str = field(default="", repr=False)
    source: str = ""

    def __post_init__(self) -> None:
        for secret in self.secrets():
            remember(secret)  # hidden from every output from now on, even if a service echoes it

    def secrets(self) -> list[str]:
        """Every secret value, for redaction and for tests that scan output."""
        return [s for s in (self.sk, self.security_token, self.auth_token) if s]


@dataclass(frozen=True)
class Target:
    endpoint: str
    project_id: str
    credentials: Credentials
    #: Path of the embedded emulator's database when the target is local, else None.
    local_data: Path | None = None

    @property
    def is_local(self) -> bool:
        return self.local_data is not None

    @property
    def key(self) -> str:
        """What identifies this target for locks and the state store."""
        return f"{self.endpoint.rstrip('/')}|{self.project_id}"


def _credentials_file(env: Mapping[str, str]) -> Path:
    explicit = env.get("HUAWEICLOUD_SDK_CREDENTIALS_FILE")
    return (
        Path(explicit)
        if explicit
        else Path(env.get("HOME", str(Path.home()))) / ".huaweicloud" / "credentials"
    )


def _from_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    parser = configparser.ConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read credentials file {path}: {type(exc).__name__}") from None
    return dict(parser.items("basic")) if parser.has_section("basic") else {}


def resolve_credentials(env: Mapping[str, str]) -> tuple[Credentials, str]:
    """Return the credentials and the project id found with them ("" when none was)."""
    if env.get("SMARTLIVE_AUTH_TOKEN"):
        return Credentials(auth_token=env["SMARTLIVE_AUTH_TOKEN"], source="SMARTLIVE_AUTH_TOKEN"), ""
    for prefix in ("HUAWEICLOUD_SDK_", "CLOUD_SDK_"):
        ak, sk = env.get(prefix + "AK", ""), env.get(prefix + "SK", "")
        if ak and sk:
            token = env.get("HUAWEICLOUD_SDK_SECURITY_TOKEN", "")
            return Credentials(ak=ak, sk=sk, security_token=token, source=f"{prefix}AK/{prefix}SK"), ""
    path = _credentials_file(env)
    profile = _from_file(path)
    if profile.get("ak") and profile.get("sk"):
        creds = Credentials(
            ak=profile["ak"],
            sk=profile["sk"],
            security_token=profile.get("security_token", ""),
            source=str(path),
        )
        return creds, profile.get("project_id", "")
    for prefix in ("HUAWEICLOUD_SDK_", "CLOUD_SDK_"):
        half = [name for name in (prefix + "AK", prefix + "SK") if env.get(name)]
        if len(half) == 1:
            missing = ({prefix + "AK", prefix + "SK"} - set(half)).pop()
            raise ConfigError(f"{half[0]} is set but {missing} is not: set both (or neither)")
    raise ConfigError(
        "no credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (or CLOUD_SDK_AK/CLOUD_SDK_SK), "
        f"write them to {path} under [basic], or set SMARTLIVE_AUTH_TOKEN; "
        "use --local to work against the embedded emulator instead"
    )


def resolve_endpoint(endpoint: str | None, region: str | None, env: Mapping[str, str]) -> str:
    if endpoint:
        if not re.match(r"^https?://[^\s/]+", endpoint):
            raise ConfigError(f"--endpoint must be an http(s) URL, got {endpoint!r}")
        return endpoint.rstrip("/")
    region = region or env.get("SMARTLIVE_REGION")
    if not region:
        raise ConfigError("no endpoint: pass --region (e.g. cn-north-4) or --endpoint URL, or use --local")
    if not _REGION_RE.match(region):
        raise ConfigError(f"--region {region!r} is not a region id such as cn-north-4")
    name = region_override_variable(region)
    # The SDK accepts a comma-separated list of endpoints there and uses the first.
    override = (env.get(name) or "").split(",")[0].strip()
    if override and not re.match(r"^https?://[^\s/]+", override):
        raise ConfigError(f"{name} must be an http(s) URL, got {override!r}")
    return (override or DEFAULT_ENDPOINT_TEMPLATE.format(region=region)).rstrip("/")


def region_override_variable(region: str) -> str:
    """HUAWEICLOUD_SDK_REGION_METASTUDIO_CN_NORTH_4 for cn-north-4, the SDK's EnvRegionProvider name."""
    return "HUAWEICLOUD_SDK_REGION_METASTUDIO_" + region.replace("-", "_").upper()


def resolve_target(
    *,
    local: bool,
    endpoint: str | None,
    region: str | None,
    project_id: str | None,
    env: Mapping[str, str] | None = None,
    workdir: Path | None = None,
) -> Target:
    env = os.environ if env is None else env
    if local or env.get("SMARTLIVE_LOCAL") == "1":
        data = (workdir or Path.cwd()) / LOCAL_DIR / "emulator.db"
        creds = Credentials(ak=LOCAL_AK, sk=LOCAL_SK, source="embedded emulator")
        return Target(LOCAL_ENDPOINT, LOCAL_PROJECT_ID, creds, local_data=data)
    url = resolve_endpoint(endpoint or env.get("SMARTLIVE_ENDPOINT"), region, env)
    creds, file_project = resolve_credentials(env)
    project = project_id or env.get("HUAWEICLOUD_SDK_PROJECT_ID") or file_project
    if not project:
        raise ConfigError(
            "no project id: pass --project-id, set HUAWEICLOUD_SDK_PROJECT_ID "
            "or add project_id to the credentials file's [basic] section"
        )
    return Target(url, project, creds)
