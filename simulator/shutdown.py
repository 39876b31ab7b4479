"""Graceful shutdown: what the server still does between SIGTERM (or Ctrl-C) and its exit.

uvicorn stops accepting connections and waits for the requests in flight; the app's lifespan then
fires every namespace's due timed effects and sends the webhook deliveries that are due, all within
one deadline (``--shutdown-timeout``) counted from the signal. What is not done by then is dropped
(and said so on standard error); deliveries due later (retries) are not waited for.
"""

from __future__ import annotations

import asyncio
import logging

from simulator.core.clock import monotonic
from simulator.core.store import Registry

logger = logging.getLogger("simulator")


class Deadline:
    """When the server must be done shutting down; set when shutdown begins."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._at: float | None = None

    def start(self) -> None:
        if self._at is None:
            self._at = monotonic() + self.seconds

    def remaining(self) -> float:
        self.start()
        assert self._at is not None
        return max(0.0, self._at - monotonic())


async def finish_due_work(registry: Registry, deadline: Deadline) -> None:
    """Fire due effects and send due webhook deliveries in every namespace, until the deadline."""
    try:
        async with asyncio.timeout(deadline.remaining()):
            for namespace in registry.all():
                await namespace.catch_up()  # releases the deliveries that are due to their senders
            await asyncio.gather(*(namespace.webhooks.settle() for namespace in registry.all()))
    except TimeoutError:
        waiting = sum(namespace.webhooks.pending_count for namespace in registry.all())
        if waiting:
            logger.warning("shutdown: %d webhook deliveries not sent within %g s (--shutdown-timeout)",
                           waiting, deadline.seconds)
