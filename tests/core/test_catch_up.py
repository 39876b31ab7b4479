"""A backlog of due effects fires a slice at a time: the loop serves others meanwhile, and requests
of the same namespace wait until all of it has fired."""

from __future__ import annotations

import asyncio

from simulator.core.store import CATCH_UP_SLICE
from tests.core.notes import notes_registry


def test_a_backlog_fires_in_slices_and_the_namespace_waits_for_all_of_it() -> None:
    namespace = notes_registry().get("backlog")
    fired: list[int] = namespace.state("notes").notes
    now = namespace.clock.timestamp()
    backlog = CATCH_UP_SLICE * 10
    for index in range(backlog):
        namespace.state("notes").ctx.later(now - 1, "write", {"text": index}, f"effect {index}")

    async def scenario() -> tuple[int, int, list[int]]:
        others_ran: list[int] = []

        async def other_namespace() -> None:  # stands for any other request on the loop
            while len(fired) < backlog:
                others_ran.append(len(fired))
                await asyncio.sleep(0)

        async def same_namespace() -> int:
            await asyncio.sleep(0)  # arrives once the catch-up is under way
            await namespace.ready(None)
            return len(fired)

        bystander = asyncio.create_task(other_namespace())
        waiter = asyncio.create_task(same_namespace())
        total = await namespace.catch_up()
        await bystander
        return total, await waiter, others_ran

    total, seen_by_same_namespace, others_ran = asyncio.run(scenario())
    assert total == backlog and fired == list(range(backlog))  # in due order, each once
    assert seen_by_same_namespace == backlog  # never half
    assert any(0 < count < backlog for count in others_ran)  # the loop was free between slices
    assert not namespace.busy
