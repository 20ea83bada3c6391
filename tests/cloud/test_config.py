"""Target resolution, the official SDK's conventions first (reconciler/cloud/config.py).

Every test passes its own environment mapping, so nothing here depends on the machine's variables or home.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.cloud.config import (
    LOCAL_AK,
    LOCAL_ENDPOINT,
    LOCAL_PROJECT_ID,
    Credentials,
    Target,
    canonical_endpoint,
    resolve_target,
)
from reconciler.errors import ConfigError

REGION = "cn-north-4"


def resolve(env: dict[str, str], **kw: Any) -> Target:
    options: dict[str, Any] = {"local": False, "endpoint": None, "region": REGION, "project_id": None}
    options.update(kw)
    return resolve_target(env=env, **options)


def credentials_file(tmp_path: Path, body: str, name: str = "credentials") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """An environment whose HOME has no ~/.huaweicloud/credentials."""
    return {"HOME": str(tmp_path / "home")}


def test_sdk_environment_variables(home: dict[str, str]) -> None:
    env = {
        **home,
        "HUAWEICLOUD_SDK_AK": "ak-1",
        "HUAWEICLOUD_SDK_SK": "sk-1",
        "HUAWEICLOUD_SDK_PROJECT_ID": "proj-1",
        "HUAWEICLOUD_SDK_SECURITY_TOKEN": "sts-1",
    }
    target = resolve(env)
    assert target.endpoint == "https://metastudio.cn-north-4.myhuaweicloud.com"
    assert target.project_id == "proj-1"
    assert target.credentials == Credentials(
        ak="ak-1", sk="sk-1", security_token="sts-1", source="HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK"
    )


def test_the_seeds_cloud_sdk_variables_come_after_the_sdks(home: dict[str, str]) -> None:
    seeds = {**home, "CLOUD_SDK_AK": "seed-ak", "CLOUD_SDK_SK": "seed-sk", "HUAWEICLOUD_SDK_PROJECT_ID": "p"}
    creds = resolve(seeds).credentials
    assert (creds.ak, creds.sk, creds.source) == ("seed-ak", "seed-sk", "CLOUD_SDK_AK/CLOUD_SDK_SK")
    both = {**seeds, "HUAWEICLOUD_SDK_AK": "sdk-ak", "HUAWEICLOUD_SDK_SK": "sdk-sk"}
    assert resolve(both).credentials.ak == "sdk-ak"


def test_the_default_credentials_file_in_home_with_its_project_id(tmp_path: Path) -> None:
    directory = tmp_path / ".huaweicloud"
    directory.mkdir()
    credentials_file(
        directory,
        "[basic]\nak = file-ak\nsk = file-sk\nproject_id = file-proj\nsecurity_token = file-sts\n",
    )
    target = resolve({"HOME": str(tmp_path)})
    creds = target.credentials
    assert (creds.ak, creds.sk, creds.security_token) == ("file-ak", "file-sk", "file-sts")
    assert creds.source == str(directory / "credentials")
    assert target.project_id == "file-proj"
    # The command line and the environment name the project before the file does.
    assert resolve({"HOME": str(tmp_path)}, project_id="flag-proj").project_id == "flag-proj"
    env = {"HOME": str(tmp_path), "HUAWEICLOUD_SDK_PROJECT_ID": "env-proj"}
    assert resolve(env).project_id == "env-proj"


def test_credentials_file_named_by_the_sdk_variable(tmp_path: Path, home: dict[str, str]) -> None:
    path = credentials_file(tmp_path, "[basic]\nak = other-ak\nsk = other-sk\n", "elsewhere.ini")
    env = {**home, "HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(path), "HUAWEICLOUD_SDK_PROJECT_ID": "p"}
    assert resolve(env).credentials.ak == "other-ak"


def test_environment_variables_win_over_the_credentials_file(tmp_path: Path) -> None:
    path = credentials_file(tmp_path, "[basic]\nak = file-ak\nsk = file-sk\nproject_id = file-proj\n")
    env = {
        "HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(path),
        "HUAWEICLOUD_SDK_AK": "env-ak",
        "HUAWEICLOUD_SDK_SK": "env-sk",
        "HUAWEICLOUD_SDK_PROJECT_ID": "env-proj",
    }
    target = resolve(env)
    assert target.credentials.ak == "env-ak" and target.project_id == "env-proj"


@pytest.mark.parametrize(
    "body",
    ["not an ini file at all\n", "[basic\nak = x\n", "\xff\xfe binary".encode("latin-1").decode("latin-1")],
)
def test_an_unreadable_credentials_file_is_a_config_error_without_its_content(
    tmp_path: Path, body: str
) -> None:
    path = tmp_path / "credentials"
    path.write_bytes(body.encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        resolve({"HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(path), "HUAWEICLOUD_SDK_PROJECT_ID": "p"})
    assert str(path) in str(caught.value)


def test_missing_credentials_name_what_to_set(home: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve({**home, "HUAWEICLOUD_SDK_PROJECT_ID": "p"})
    message = str(caught.value)
    for name in (
        "HUAWEICLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_SK",
        "CLOUD_SDK_AK",
        ".huaweicloud/credentials",
        "--local",
    ):
        assert name in message


@pytest.mark.parametrize("present", ["HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "CLOUD_SDK_SK"])
def test_half_a_key_pair_says_which_half_is_missing(home: dict[str, str], present: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve({**home, present: "value-not-shown-7d", "HUAWEICLOUD_SDK_PROJECT_ID": "p"})
    message = str(caught.value)
    assert present in message and "is not" in message
    assert "value-not-shown-7d" not in message


def test_missing_project_id_names_the_option_and_the_variable(home: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve({**home, "HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "s"})
    assert "--project-id" in str(caught.value) and "HUAWEICLOUD_SDK_PROJECT_ID" in str(caught.value)


def test_region_endpoint_and_the_sdks_region_override(home: dict[str, str]) -> None:
    env = {**home, "HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "s", "HUAWEICLOUD_SDK_PROJECT_ID": "p"}
    assert resolve(env, region="cn-east-3").endpoint == "https://metastudio.cn-east-3.myhuaweicloud.com"
    override = {**env, "HUAWEICLOUD_SDK_REGION_METASTUDIO_CN_EAST_3": "https://ms.internal.example:8443/"}
    assert resolve(override, region="cn-east-3").endpoint == "https://ms.internal.example:8443"
    # As the SDK: a comma-separated list of endpoints, the first one used.
    listed = {**env, "HUAWEICLOUD_SDK_REGION_METASTUDIO_CN_EAST_3": "https://a.example,https://b.example"}
    assert resolve(listed, region="cn-east-3").endpoint == "https://a.example"
    # The override is per region: another region keeps its default endpoint.
    assert resolve(override, region="cn-north-4").endpoint.startswith("https://metastudio.cn-north-4.")
    with pytest.raises(ConfigError, match="HUAWEICLOUD_SDK_REGION_METASTUDIO_CN_EAST_3"):
        resolve({**env, "HUAWEICLOUD_SDK_REGION_METASTUDIO_CN_EAST_3": "ms.internal"}, region="cn-east-3")


def test_endpoint_option_wins_over_region_and_is_checked(home: dict[str, str]) -> None:
    env = {**home, "HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "s", "HUAWEICLOUD_SDK_PROJECT_ID": "p"}
    assert resolve(env, endpoint="http://127.0.0.1:8085/").endpoint == "http://127.0.0.1:8085"
    assert (
        resolve({**env, "SMARTLIVE_ENDPOINT": "http://e.example"}, region=None).endpoint == "http://e.example"
    )
    with pytest.raises(ConfigError, match="--endpoint must be an http"):
        resolve(env, endpoint="metastudio.example.com")


def test_no_region_and_no_endpoint_says_how_to_choose(home: dict[str, str]) -> None:
    env = {**home, "HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "s", "HUAWEICLOUD_SDK_PROJECT_ID": "p"}
    with pytest.raises(ConfigError, match=r"--region .* or --endpoint URL, or use --local"):
        resolve(env, region=None)
    assert resolve({**env, "SMARTLIVE_REGION": "cn-east-3"}, region=None).endpoint.endswith(
        "cn-east-3.myhuaweicloud.com"
    )
    with pytest.raises(ConfigError, match="is not a region id"):
        resolve(env, region="CN North 4")


def test_an_iam_token_replaces_signing(home: dict[str, str]) -> None:
    env = {**home, "SMARTLIVE_AUTH_TOKEN": "tok-1", "HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "s"}
    target = resolve(env, project_id="p")
    assert target.credentials.auth_token == "tok-1" and not target.credentials.ak
    assert target.credentials.source == "SMARTLIVE_AUTH_TOKEN"


@pytest.mark.parametrize("how", ["flag", "env"])
def test_local_needs_no_account(tmp_path: Path, how: str) -> None:
    env = {"HOME": str(tmp_path)} if how == "flag" else {"HOME": str(tmp_path), "SMARTLIVE_LOCAL": "1"}
    target = resolve_target(
        local=how == "flag", endpoint=None, region=None, project_id=None, env=env, workdir=tmp_path
    )
    assert target.is_local and target.local_data == tmp_path / ".smartlive" / "emulator.db"
    assert (target.endpoint, target.project_id, target.credentials.ak) == (
        LOCAL_ENDPOINT,
        LOCAL_PROJECT_ID,
        LOCAL_AK,
    )


def test_secrets_never_show_in_a_repr() -> None:
    creds = Credentials(
        ak="ak-visible", sk="sk-hidden-1", security_token="sts-hidden-2", auth_token="tok-hidden-3"
    )
    shown = repr(creds)
    assert "ak-visible" in shown
    for secret in creds.secrets():
        assert secret not in shown
    assert sorted(creds.secrets()) == ["sk-hidden-1", "sts-hidden-2", "tok-hidden-3"]


@pytest.mark.parametrize(
    "spellings",
    [
        ["http://127.0.0.1:8085", "http://localhost:8085/", "HTTP://LOCALHOST:8085", "http://[::1]:8085"],
        [
            "https://metastudio.cn-north-4.myhuaweicloud.com",
            "https://METASTUDIO.cn-north-4.myhuaweicloud.com:443/",
            "HTTPS://metastudio.cn-north-4.myhuaweicloud.com.",
        ],
        ["http://ms.internal.example", "http://ms.internal.example:80", "http://MS.internal.example/"],
        ["http://[2001:DB8::1]:8080/api/", "http://[2001:db8::1]:8080/api"],
    ],
)
def test_spellings_of_one_server_are_one_target_key(spellings: list[str]) -> None:
    # The lock and the state store are keyed by it: two spellings must not hold two locks.
    keys = {Target(url, "p", Credentials()).key for url in spellings}
    assert len(keys) == 1, keys
    assert keys.pop() == canonical_endpoint(spellings[0]) + "|p"


def test_different_servers_keep_different_keys() -> None:
    urls = [
        "http://127.0.0.1:8085",
        "http://127.0.0.1:8086",
        "https://127.0.0.1:8085",
        "http://127.0.0.2:8085",
        "http://ms.example/a",
        "http://ms.example/A",
        "http://ms.example:8080",
    ]
    assert len({Target(url, "p", Credentials()).key for url in urls}) == len(urls)
    assert (
        Target("http://127.0.0.1:1", "p", Credentials()).key
        != Target("http://127.0.0.1:1", "q", Credentials()).key
    )


def test_the_canonical_key_of_the_usual_spellings_is_what_earlier_versions_wrote() -> None:
    # State stores written before keys were canonical keep their records for these.
    for url in ("https://metastudio.cn-north-4.myhuaweicloud.com", "http://127.0.0.1:8085", LOCAL_ENDPOINT):
        assert canonical_endpoint(url) == url


def test_a_percent_sign_in_the_credentials_file_is_part_of_the_key(tmp_path: Path) -> None:
    path = credentials_file(tmp_path, "[basic]\nak = a%b\nsk = s%(x)s%%\nproject_id = p%\n")
    target = resolve({"HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(path)})
    assert (target.credentials.ak, target.credentials.sk, target.project_id) == ("a%b", "s%(x)s%%", "p%")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("ak = x\n[basic]\n", "line 1 comes before any [section] header"),
        ("[basic]\nak = x\nsk = s3cret\ns3cret-alone\n", "line 4 is not `name = value`"),
        ("[basic]\nsk = s3cret\nsk = s3cret-again\n", "line 3: sk is set twice in [basic]"),
        ("[basic]\nak = x\n[basic]\n", "line 3: [basic] appears twice"),
    ],
)
def test_what_is_wrong_with_a_credentials_file_is_said_by_line_never_by_content(
    tmp_path: Path, body: str, problem: str
) -> None:
    path = credentials_file(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        resolve({"HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(path), "HUAWEICLOUD_SDK_PROJECT_ID": "p"})
    assert str(caught.value) == f"cannot read credentials file {path}: {problem}"
