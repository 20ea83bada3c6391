"""Apply's state writes: off the event loop, in submission order, errors handed to the waiter."""

from __future__ import annotations

import asyncio
import threading

import pytest

from reconciler.runs.state_writer import StateWriter


def test_writes_run_on_one_other_thread_in_order_and_the_loop_stays_free() -> None:
    done: list[int] = []
    threads: set[int] = set()
    release = threading.Event()

    def slow_write(n: int) -> int:
        threads.add(threading.get_ident())
        if n == 0:
            release.wait(5)  # the first write blocks its thread until the loop has moved on
        done.append(n)
        return n * 10

    async def go() -> list[int]:
        writer = StateWriter(asyncio.get_running_loop())
        waits = [asyncio.ensure_future(writer.run(lambda n=n: slow_write(n))) for n in range(50)]
        await asyncio.sleep(0.01)
        assert done == []  # the loop ran on while the write was blocked
        release.set()
        results = await asyncio.gather(*waits)
        writer.close()
        return results

    assert asyncio.run(go()) == [n * 10 for n in range(50)]
    assert done == list(range(50))
    assert threading.get_ident() not in threads and len(threads) == 1


def test_a_failed_write_raises_in_its_waiter_and_the_next_writes_still_run() -> None:
    def fail() -> None:
        raise OSError("disk full")

    async def go() -> str:
        writer = StateWriter(asyncio.get_running_loop())
        with pytest.raises(OSError, match="disk full"):
            await writer.run(fail)
        result = await writer.run(lambda: "after")
        writer.close()
        return str(result)

    assert asyncio.run(go()) == "after"
