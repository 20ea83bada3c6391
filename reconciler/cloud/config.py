"""Where the API is and who we are: the target of plan/apply, resolved the official SDK's way first.

Order for credentials: HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK (+ HUAWEICLOUD_SDK_PROJECT_ID,
HUAWEICLOUD_SDK_SECURITY_TOKEN), then the seeds' CLOUD_SDK_AK / CLOUD_SDK_SK, then the SDK's credentials
file (HUAWEICLOUD_SDK_CREDENTIALS_FILE or ~/.huaweicloud/credentials, section [basic]); an IAM token in
SMARTLIVE_AUTH_TOKEN is sent as X-Auth-Token instead of signing. The endpoint is --endpoint, else the
region's (HUAWEICLOUD_SDK_REGION_METASTUDIO_<REGION> overrides it, as the SDK does). `--local` targets the
embedded emulator kept under .smartlive/, with no account at all.

Nothing here prints a secret: a credentials file that does not parse is named with the line at fault,
never its content, and an endpoint is shown with any user name and password in it hidden.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from reconciler.errors import ConfigError
from reconciler.redaction import remember

#: Requests in flight at once (--parallelism), chosen by benchmarks/parallelism.py against the emulator
#: with 30 ms of latency: against a service that does not throttle, 16 plans and applies about 1.8x as
#: fast as 8 (1,000 groups + 250 jobs: 7.0 -> 3.9 s; 500 creates: 4.0 -> 2.2 s); against per-operation
#: limits every level takes the limit's time, and what grows with the level is the burst of 429s spent
#: learning a limit (reads at 20/s: 16 extra requests at 8, 29 at 16, 62 at 32). 32 would plan another
#: 1.6x faster unthrottled but doubles that burst, which the tenant's other clients feel too.
DEFAULT_PARALLELISM = 16

DEFAULT_ENDPOINT_TEMPLATE = "https://metastudio.{region}.myhuaweicloud.com"
#: The embedded emulator's fixed identity (also documented in docs/emulator.md, "Local mode").
LOCAL_AK = "local-ak"
LOCAL_SK = "local-sk"
LOCAL_PROJECT_ID = "local-project"
LOCAL_ENDPOINT = "http://smartlive.local"
LOCAL_DIR = Path(".smartlive")

_REGION_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")
#: Names of this machine's loopback interface: one server to a lock, however it is spelled.
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


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
        """What identifies this target for locks and the state store: the canonical endpoint (so that two
        spellings of one server can never hold two locks) and the project."""
        return f"{canonical_endpoint(self.endpoint)}|{self.project_id}"


def canonical_endpoint(url: str) -> str:
    """One spelling per server: scheme and host in lower case, the scheme's default port dropped, the
    loopback names (localhost, 127.0.0.1, ::1) as 127.0.0.1, no trailing dot or slash.

    Only for keys: requests still go to the endpoint as given (localhost may resolve to ::1 first)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")  # urlsplit lower-cases it and drops IPv6 brackets
    host = "127.0.0.1" if host in _LOOPBACK else host
    netloc = f"[{host}]" if ":" in host else host
    port = _port(parts)
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:  # not a URL resolve_endpoint accepted: keep the key as distinct as the text
        return None


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
    # Raw: a secret key may well contain `%`, which ConfigParser's interpolation refuses with an error
    # that quotes the value. The SDK reads the file raw too.
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read credentials file {path}: {_parse_problem(exc)}") from None
    return dict(parser.items("basic")) if parser.has_section("basic") else {}


def _parse_problem(exc: Exception) -> str:
    """What is wrong with a credentials file, by line number and option name: its lines hold secrets."""
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno} comes before any [section] header"
    if isinstance(exc, configparser.ParsingError):
        lines = ", ".join(str(lineno) for lineno, _line in exc.errors[:5])
        return f"line {lines} is not `name = value`"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"line {exc.lineno}: {exc.option} is set twice in [{exc.section}]"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"line {exc.lineno}: [{exc.section}] appears twice"
    return type(exc).__name__


@dataclass(frozen=True)
class CredentialVariables:
    """The environment variables a project environment reads its credentials from (its `credentials:`,
    docs/environments.md): names only. When given, they are the only place looked at: an environment
    that names STAGING_AK never signs with another environment's keys."""

    ak: str | None = None
    sk: str | None = None
    security_token: str | None = None
    token: str | None = None
    #: Who named them, for messages: "environment 'staging' of smartlive.yaml".
    named_by: str = ""


def _named_credentials(env: Mapping[str, str], names: CredentialVariables) -> Credentials:
    wanted = [n for n in (names.token,) if n] if names.token else [n for n in (names.ak, names.sk) if n]
    unset = [name for name in wanted if not env.get(name)]
    if unset:
        raise ConfigError(
            f"{names.named_by} reads its credentials from {' and '.join(wanted)}, but "
            f"{' and '.join(unset)} {'is' if len(unset) == 1 else 'are'} not set"
        )
    if names.token:
        return Credentials(auth_token=env[names.token], source=names.token)
    assert names.ak is not None and names.sk is not None
    token = env.get(names.security_token, "") if names.security_token else ""
    return Credentials(
        ak=env[names.ak], sk=env[names.sk], security_token=token, source=f"{names.ak}/{names.sk}"
    )


def resolve_credentials(
    env: Mapping[str, str], named: CredentialVariables | None = None
) -> tuple[Credentials, str]:
    """Return the credentials and the project id found with them ("" when none was). `named`: the
    variables a project environment names, read instead of the usual ones."""
    if named is not None:
        return _named_credentials(env, named), ""
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
        return checked_endpoint(endpoint, "--endpoint")
    region = region or env.get("SMARTLIVE_REGION")
    if not region:
        raise ConfigError("no endpoint: pass --region (e.g. cn-north-4) or --endpoint URL, or use --local")
    problem = region_problem(region)
    if problem:
        raise ConfigError(f"--region {problem}")
    name = region_override_variable(region)
    # The SDK accepts a comma-separated list of endpoints there and uses the first.
    override = (env.get(name) or "").split(",")[0].strip()
    if override:
        return checked_endpoint(override, name)
    return DEFAULT_ENDPOINT_TEMPLATE.format(region=region)


def region_problem(region: str) -> str | None:
    """What is wrong with `region` as a region id (`'x' is not a region id ...`); None when nothing is."""
    return None if _REGION_RE.match(region) else f"{region!r} is not a region id such as cn-north-4"


def checked_endpoint(url: str, what: str) -> str:
    """`url` without its trailing slash, or a ConfigError saying what is wrong with it (shown without
    any user name or password it carries)."""
    problem = _endpoint_problem(url)
    if problem:
        shown = re.sub(r"//[^/?#]*@", "//***@", url)
        raise ConfigError(f"{what} {problem}, got {shown!r}")
    return url.rstrip("/")


def _endpoint_problem(url: str) -> str:
    if not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE):
        return "must be an http(s) URL"
    if any(c.isspace() or not c.isprintable() for c in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range; an unclosed IPv6 bracket
        return "is not a valid URL (check the [IPv6] brackets and that the port is a number 1-65535)"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password (credentials come from the environment)"
    if not parts.hostname:
        return "has no host name"
    if port == 0:
        return "must not use port 0"
    if parts.query or parts.fragment:
        return "must not have a query (?...) or a fragment (#...)"
    return ""


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
    credential_variables: CredentialVariables | None = None,
) -> Target:
    env = os.environ if env is None else env
    if local or env.get("SMARTLIVE_LOCAL") == "1":
        data = (workdir or Path.cwd()) / LOCAL_DIR / "emulator.db"
        creds = Credentials(ak=LOCAL_AK, sk=LOCAL_SK, source="embedded emulator")
        return Target(LOCAL_ENDPOINT, LOCAL_PROJECT_ID, creds, local_data=data)
    url = resolve_endpoint(endpoint or env.get("SMARTLIVE_ENDPOINT"), region, env)
    creds, file_project = resolve_credentials(env, credential_variables)
    project = project_id or env.get("HUAWEICLOUD_SDK_PROJECT_ID") or file_project
    if not project:
        raise ConfigError(
            "no project id: pass --project-id, set HUAWEICLOUD_SDK_PROJECT_ID "
            "or add project_id to the credentials file's [basic] section"
        )
    return Target(url, project, creds)
