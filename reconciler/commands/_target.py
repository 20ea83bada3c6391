"""Options shared by every command that talks to MetaStudio: where, as whom, how hard."""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.cloud.config import DEFAULT_PARALLELISM, Target, resolve_target
from reconciler.cloud.retry import (
    DEFAULT_REQUEST_TIMEOUT_SECONDS,
    DEFAULT_RUN_TIMEOUT_SECONDS,
    Deadline,
    RetryPolicy,
)
from reconciler.commands._argtypes import bounded, option_or_env, parse_duration
from reconciler.errors import ConfigError
from reconciler.heap import importing

if TYPE_CHECKING:  # the client and the emulator are imported only by commands that use them
    import httpx

    from reconciler.cloud.api import MetaStudioApi


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    from reconciler.commands._environment import add_environment_argument

    add_environment_argument(parser)
    group = parser.add_argument_group("target")
    group.add_argument(
        "--local",
        action="store_true",
        help="use the embedded emulator kept under .smartlive/ (no account needed; also SMARTLIVE_LOCAL=1)",
    )
    group.add_argument("--region", help="region id, e.g. cn-north-4 (also SMARTLIVE_REGION)")
    group.add_argument(
        "--endpoint", metavar="URL", help="API endpoint, overriding the region's (also SMARTLIVE_ENDPOINT)"
    )
    group.add_argument("--project-id", help="project id (also HUAWEICLOUD_SDK_PROJECT_ID)")
    group.add_argument(
        "--parallelism",
        type=bounded(int, low=1),
        default=DEFAULT_PARALLELISM,
        metavar="N",
        help=f"at most N API requests in flight (default {DEFAULT_PARALLELISM}; the service's per-operation "
        "limits pace each operation whatever N is)",
    )
    group.add_argument(
        "--request-timeout",
        type=parse_duration,
        metavar="DURATION",
        help="the longest one API request may take, its answer read in full (default 60s; "
        "also SMARTLIVE_REQUEST_TIMEOUT)",
    )
    group.add_argument(
        "--timeout",
        type=parse_duration,
        metavar="DURATION",
        help="the longest the whole command may spend on the API, throttling waited out included "
        "(default 30m; 0: no limit; also SMARTLIVE_TIMEOUT)",
    )
    group.add_argument(
        "--rate-limit",
        action="append",
        type=_rate_limit,
        default=[],
        metavar="OP=N",
        help="pace API operation OP (e.g. ShowInteractionRuleGroup) at N calls per second, 0.01-1000; "
        "repeatable (also SMARTLIVE_RATE_LIMITS=Op=N,Op=N; defaults: StartSmartLive=4, "
        "CreateSmartLiveRoom=1, UpdateSmartLiveRoom=1)",
    )


def _rate_limit(text: str) -> str:
    """--rate-limit's type: checked here (argparse names the option), parsed by rate_limits."""
    from reconciler.cloud.pacing import parse_rate

    try:
        parse_rate(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def rate_limits(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> dict[str, float]:
    """Calls per second by API operation: the defaults, then SMARTLIVE_RATE_LIMITS, then apply's
    --start-rate (an alias of --rate-limit StartSmartLive=N), then --rate-limit."""
    from reconciler.cloud.pacing import RATE_LIMITS_VARIABLE, configured_rates

    env = os.environ if env is None else env
    given: list[str] = list(getattr(args, "rate_limit", None) or [])
    start_rate: float | None = getattr(args, "start_rate", None)
    if start_rate is not None:
        given.insert(0, f"StartSmartLive={start_rate!r}")
    try:
        return configured_rates(given, env.get(RATE_LIMITS_VARIABLE, ""))
    except ValueError as exc:
        raise ConfigError(f"{RATE_LIMITS_VARIABLE}: {exc}") from None


@dataclass(frozen=True)
class TimeLimits:
    """How long one request and the whole run may take, in seconds (run None: no limit)."""

    request: float = DEFAULT_REQUEST_TIMEOUT_SECONDS
    run: float | None = DEFAULT_RUN_TIMEOUT_SECONDS


def time_limits(
    args: argparse.Namespace,
    env: Mapping[str, str] | None = None,
    *,
    default_run: float | None = DEFAULT_RUN_TIMEOUT_SECONDS,
) -> TimeLimits:
    """--request-timeout and --timeout, else their variables, else the defaults (`default_run` None: no
    limit on the run unless one is asked for, for a command that runs as long as its input lasts)."""
    env = os.environ if env is None else env
    request = option_or_env(
        args,
        "request_timeout",
        env,
        "SMARTLIVE_REQUEST_TIMEOUT",
        DEFAULT_REQUEST_TIMEOUT_SECONDS,
        parse_duration,
    )
    if request <= 0:
        raise ConfigError("--request-timeout must be longer than 0 (it bounds every request)")
    run = option_or_env(args, "timeout", env, "SMARTLIVE_TIMEOUT", default_run or 0.0, parse_duration)
    return TimeLimits(request, run or None)


#: The variables that say where, which a selected environment's own target replaces.
_PLACE_VARIABLES = ("SMARTLIVE_LOCAL", "SMARTLIVE_ENDPOINT", "SMARTLIVE_REGION")


def target_from_args(args: argparse.Namespace) -> Target:
    """The target the flags name; what they leave out, the selected environment of the project file
    (commands/_environment.py), then the SMARTLIVE_* and SDK variables (docs/environments.md)."""
    from reconciler.commands._environment import selection_of

    local = bool(getattr(args, "local", False))
    endpoint: str | None = getattr(args, "endpoint", None)
    region: str | None = getattr(args, "region", None)
    project_id: str | None = getattr(args, "project_id", None)
    env: Mapping[str, str] = os.environ
    selection = selection_of(args)
    environment = selection.environment
    if environment is not None:
        if not (local or endpoint or region) and (
            environment.local or environment.endpoint or environment.region
        ):
            # The environment says where: the variables that would say otherwise are its defaults, not its masters.
            local, endpoint, region = environment.local, environment.endpoint, environment.region
            env = {k: v for k, v in os.environ.items() if k not in _PLACE_VARIABLES}
        project_id = project_id or environment.project_id
    return resolve_target(
        local=local,
        endpoint=endpoint,
        region=region,
        project_id=project_id,
        env=env,
        credential_variables=selection.credential_variables(),
    )


def local_transport(target: Target) -> httpx.AsyncBaseTransport | None:
    """For --local, the in-process emulator as an httpx transport (no socket); else None (the network).

    Share one between clients of the same command (the API client, the live-event reporter): each
    call opens the emulator's database anew."""
    if target.local_data is None:
        return None
    with importing():  # the emulator, ~60 ms of a local plan's imports
        import httpx

        from reconciler.emulator.local import local_app

    return httpx.ASGITransport(app=local_app(target.local_data))


def api_from_args(
    args: argparse.Namespace, target: Target, limits: TimeLimits
) -> AbstractAsyncContextManager[MetaStudioApi]:
    """open_api as a command's options ask: --parallelism, its time limits (time_limits, read before
    any work), --rate-limit and the rest of rate_limits."""
    return open_api(target, args.parallelism, limits=limits, rates=rate_limits(args))


@asynccontextmanager
async def open_api(
    target: Target,
    parallelism: int = DEFAULT_PARALLELISM,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    limits: TimeLimits | None = None,
    rates: Mapping[str, float] | None = None,
) -> AsyncIterator[MetaStudioApi]:
    """An API client for the target; for --local the emulator runs in-process, with no socket.

    `transport` overrides the one chosen for the target (pass `local_transport(target)` to share it).
    The run's time limit starts now; `rates` (rate_limits) pace the API operations, else the defaults."""
    from reconciler.cloud.api import MetaStudioApi
    from reconciler.cloud.http import HttpClient
    from reconciler.cloud.pacing import DEFAULT_RATES

    limits = limits or TimeLimits()
    if transport is None:
        transport = local_transport(target)
    async with HttpClient(
        target,
        parallelism=parallelism,
        transport=transport,
        retry=RetryPolicy(timeout_seconds=limits.request),
        deadline=Deadline(limits.run),
        rates=DEFAULT_RATES if rates is None else rates,
    ) as http:
        yield MetaStudioApi(http)
