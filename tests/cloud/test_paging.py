"""Paging: page 1 with limit 100, then the other pages at once from `count`, never more than --parallelism
requests in flight; against the emulator (with injected latency, so requests overlap) and a fake."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.cloud.api import MetaStudioApi
from reconciler.kinds.live_job import NAME as JOB_KIND
from reconciler.kinds.live_job import LiveJobManifest, LiveJobSpec
from reconciler.kinds.rule_group import NAME as GROUP_KIND
from reconciler.kinds.rule_group import RuleGroupManifest, RuleGroupSpec
from reconciler.manifest import LoadResult, Manifest, SourceLocation
from reconciler.runs.session import DesiredBuilder, read_live
from tests.cloud.conftest import (
    Concurrency,
    add_groups,
    client,
    emulator_client,
    json_response,
    run,
    set_faults,
    stats,
)


def offsets(requests: list[httpx.Request]) -> list[tuple[int, int]]:
    out = []
    for request in requests:
        query = parse_qs(request.url.query.decode())
        out.append((int(query["offset"][0]), int(query["limit"][0])))
    return out


@pytest.mark.parametrize("parallelism", [1, 3, 8])
def test_groups_are_listed_page_one_first_then_the_rest_concurrently_within_the_bound(
    app: Starlette, parallelism: int
) -> None:
    add_groups(app, 1030)
    set_faults(app, latency_ms=15)

    async def go() -> tuple[list[str], Concurrency]:
        async with emulator_client(app, parallelism=parallelism) as (http, transport):
            groups = await MetaStudioApi(http).list_rule_groups()
            return [g.group_name or "" for g in groups], transport

    names, transport = run(go())
    assert sorted(names) == [f"g{i:05d}" for i in range(1030)]
    requested = offsets(transport.requests)
    assert requested[0] == (0, 100), "page 1 comes first, alone"
    assert sorted(requested[1:]) == [(o, 100) for o in range(100, 1100, 100)]
    assert transport.peak == min(parallelism, 10)
    assert stats(app) == {"GET /v1/{project_id}/smart-live-interaction-rule-groups": 11}


def test_one_page_is_one_request(app: Starlette) -> None:
    add_groups(app, 100)

    async def go() -> Concurrency:
        async with emulator_client(app) as (http, transport):
            assert len(await MetaStudioApi(http).list_rule_groups()) == 100
            return transport

    assert offsets(run(go()).requests) == [(0, 100)]


def test_reading_live_state_shows_every_wanted_group_and_reads_jobs_once_within_the_bound(
    app: Starlette,
) -> None:
    add_groups(app, 250, rules=2)
    set_faults(app, latency_ms=10)

    # Every group is declared but one, and one job in room r1.
    source = SourceLocation("set.yaml", 0, 1)
    declared: list[Manifest[Any]] = [
        RuleGroupManifest(GROUP_KIND, f"g{i:05d}", RuleGroupSpec(), source) for i in range(250) if i != 7
    ]
    declared.append(LiveJobManifest(JOB_KIND, "evening", LiveJobSpec(room_id="r1"), source))
    builder = DesiredBuilder(LoadResult(resources=declared), hmac_key=None, environ={})

    async def go() -> tuple[int, Concurrency]:
        async with emulator_client(app, parallelism=5) as (http, transport):
            live = await read_live(MetaStudioApi(http), builder, {})
            return len(live[GROUP_KIND].groups), transport

    shown, transport = run(go())
    assert shown == 249
    assert transport.peak == 5
    # No room is declared or managed: the room kind reads nothing; the active jobs are one list. The
    # declared job's room runs no job: it is shown once, to know it exists.
    assert stats(app) == {
        "GET /v1/{project_id}/smart-live-interaction-rule-groups": 3,
        "GET /v1/{project_id}/smart-live-interaction-rule-groups/{group_id}": 249,
        "GET /v1/{project_id}/smart-live-jobs": 1,
        "GET /v1/{project_id}/smart-live-rooms/{room_id}": 1,
    }


class FakePages:
    """A list endpoint answering pages of `count` items; `shift` moves the list after page 1 is served."""

    def __init__(self, count: int, *, later_count: int | None = None) -> None:
        self.count = count
        self.later_count = later_count
        self.served = 0
        self.in_flight = 0
        self.peak = 0
        self.requested: list[tuple[int, int]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        query = parse_qs(request.url.query.decode())
        offset, limit = int(query["offset"][0]), int(query["limit"][0])
        self.requested.append((offset, limit))
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0.005)
        self.in_flight -= 1
        count = self.count if self.served == 0 or self.later_count is None else self.later_count
        self.served += 1
        items = [
            {"group_id": f"id-{i}", "group_name": f"n-{i}"} for i in range(offset, min(offset + limit, count))
        ]
        return json_response(200, {"count": count, "interaction_rule_groups": items})


def list_groups(pages: FakePages, parallelism: int = 8) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        async with client(httpx.MockTransport(pages), parallelism=parallelism) as http:
            return await http.list_all(
                "/smart-live-interaction-rule-groups", "interaction_rule_groups", key="group_id"
            )

    result: list[dict[str, Any]] = run(go())
    return result


def test_fake_pages_bound_and_offsets() -> None:
    pages = FakePages(2_450)
    items = list_groups(pages, parallelism=4)
    assert len(items) == 2_450
    assert pages.requested[0] == (0, 100)
    assert sorted(pages.requested[1:]) == [(o, 100) for o in range(100, 2_500, 100)]
    assert pages.peak == 4


def test_an_empty_list_or_a_missing_count_is_one_request() -> None:
    for count in (0, 1, 100):
        pages = FakePages(count)
        assert len(list_groups(pages)) == count
        assert pages.requested == [(0, 100)]


def test_a_list_that_moves_while_it_is_read_is_read_again() -> None:
    # Something is deleted between page 1 and the others: offset paging could skip an item, and a
    # skipped group would be planned as a create. The pages disagree on count, so the list is read anew.
    pages = FakePages(350, later_count=340)
    items = list_groups(pages)
    assert len(pages.requested) == 4 + 4
    assert len(items) == 340


def test_an_item_seen_on_two_pages_is_kept_once() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(parse_qs(request.url.query.decode())["offset"][0])
        # A create shifted the list: the last item of page 1 shows again at the top of page 2.
        ids = range(100) if offset == 0 else range(99, 150)
        return json_response(
            200,
            {
                "count": 150,
                "interaction_rule_groups": [{"group_id": f"id-{i}", "group_name": f"n-{i}"} for i in ids],
            },
        )

    async def go() -> list[dict[str, Any]]:
        async with client(handler) as http:
            return await http.list_all(
                "/smart-live-interaction-rule-groups", "interaction_rule_groups", key="group_id"
            )

    items = run(go())
    assert [i["group_id"] for i in items] == [f"id-{i}" for i in range(150)]
