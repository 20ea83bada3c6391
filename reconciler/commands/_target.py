"""Options shared by every command that talks to MetaStudio: where, as whom, how hard."""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from reconciler.cloud.config import Target, resolve_target
from reconciler.commands._argtypes import bounded

if TYPE_CHECKING:  # the client and the emulator are imported only by commands that use them
    import httpx

    from reconciler.cloud.api import MetaStudioApi


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
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
        default=8,
        metavar="N",
        help="at most N API requests in flight (default 8)",
    )


def target_from_args(args: argparse.Namespace) -> Target:
    return resolve_target(
        local=bool(getattr(args, "local", False)),
        endpoint=getattr(args, "endpoint", None),
        region=getattr(args, "region", None),
        project_id=getattr(args, "project_id", None),
        env=os.environ,
    )


def local_transport(target: Target) -> httpx.AsyncBaseTransport | None:
    """For --local, the in-process emulator as an httpx transport (no socket); else None (the network).

    Share one between clients of the same command (the API client, the live-event reporter): each
    call opens the emulator's database anew."""
    if target.local_data is None:
        return None
    import httpx

    from reconciler.emulator.local import local_app

    return httpx.ASGITransport(app=local_app(target.local_data))


@asynccontextmanager
async def open_api(
    target: Target, parallelism: int = 8, *, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[MetaStudioApi]:
    """An API client for the target; for --local the emulator runs in-process, with no socket.

    `transport` overrides the one chosen for the target (pass `local_transport(target)` to share it)."""
    from reconciler.cloud.api import MetaStudioApi
    from reconciler.cloud.http import HttpClient

    if transport is None:
        transport = local_transport(target)
    async with HttpClient(target, parallelism=parallelism, transport=transport) as http:
        yield MetaStudioApi(http)
