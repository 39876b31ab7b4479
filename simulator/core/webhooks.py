"""Outbound webhook deliveries: queued per namespace, sent by a few workers, retried on the clock.

A delivery is a plain record. Posting one schedules it due now; every drain of the namespace's due
queue moves what became due to a ready line, which at most ``webhook_concurrency`` workers per
namespace (and :data:`SERVER_CONCURRENCY` in the whole server) work through, so a clock advance that
makes thousands due starts a handful of sends at a time and the event loop keeps serving requests.
A namespace holds at most :data:`MAX_PENDING` deliveries (scheduled, ready or being sent); one more
is dropped and journaled as dropped, so no burst builds an unbounded backlog.

Each attempt has one deadline, ``webhook_timeout``, for resolving, connecting, sending and reading
the answer's head (at most 64 KB of it). Addresses are checked by :mod:`simulator.core.webhook_guard`;
a refused one is journaled as blocked and not retried. A failed attempt is journaled (its status
and a short reason, never the answer's body) and retried after 1, 2, 4, 8 and 16 seconds of
namespace time, each stretched by a seeded jitter of up to 25% (:func:`retry_delay`) so that
deliveries that failed together do not all come due again together: six attempts in all.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import orjson

from simulator.core import webhook_transport
from simulator.core.clock import monotonic
from simulator.core.journal import Entry, Journal
from simulator.core.rand import SeededSource
from simulator.core.schedule import DueQueue
from simulator.core.webhook_guard import Refused, Resolver, Rules, parse_target, resolve, system_resolver

RETRY_DELAYS = (1, 2, 4, 8, 16)  # seconds of namespace time before attempts 2 to 6
JITTER = 0.25  # a retry waits its delay times 1 + [0, JITTER)
MAX_PENDING = 4096  # deliveries a namespace holds at once; one more is dropped
SERVER_CONCURRENCY = 64  # deliveries being sent at once in the whole server
REASON_CHARS = 200  # of an error kept in the journal
URL_CHARS = 2048  # of a URL kept in the journal
HEADERS = [("Content-Type", "application/json")]


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int  # per namespace, in the order deliveries were posted
    url: str
    body: bytes
    vendor: str
    event: str
    attempt: int = 1
    due: float = 0.0

    def label(self) -> str:
        return f"webhook {self.event} -> {self.url[:URL_CHARS]} (attempt {self.attempt})"


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int = 0  # the receiver's, 0 when there was no answer
    error: str = ""
    blocked: bool = False


class WebhookConfig(Protocol):
    """What a sender takes from the server's configuration."""

    @property
    def seed(self) -> int: ...
    @property
    def webhook_policy(self) -> str: ...
    @property
    def webhook_allow(self) -> tuple[str, ...]: ...
    @property
    def webhook_concurrency(self) -> int: ...
    @property
    def webhook_timeout(self) -> float: ...


def retry_delay(seed: int, delivery_id: int, attempt: int) -> float:
    """Seconds of namespace time between failed ``attempt`` of a delivery and the next one.

    The jitter is drawn for the (delivery, attempt) pair rather than from one stream, so it does
    not depend on the order in which concurrent attempts happen to finish: same seed, same delays.
    """
    jitter = SeededSource(seed, f"webhooks:{delivery_id}:{attempt}").random.random() * JITTER
    return RETRY_DELAYS[attempt - 1] * (1 + jitter)


_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _server_limiter() -> asyncio.Semaphore:
    """The server-wide cap: one per event loop, since every server runs on its own loop."""
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = asyncio.Semaphore(SERVER_CONCURRENCY)
    return limiter


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:REASON_CHARS]


class WebhookSender:
    """Delivers the webhooks of one namespace (see the module's description for the rules)."""

    def __init__(self, queue: DueQueue, clock_now: Callable[[], float], journal: Journal, *, seed: int = 1,
                 policy: str = "any", allow: tuple[str, ...] = (), concurrency: int = 16, timeout: float = 5.0,
                 resolver: Resolver = system_resolver, max_pending: int = MAX_PENDING):
        self._queue = queue
        self._now = clock_now
        self._journal = journal
        self._seed = seed
        self.rules = Rules.of(policy, allow)
        self.concurrency = concurrency  # deliveries being sent at once for this namespace
        self.timeout = timeout  # seconds for one whole attempt
        self._resolver = resolver
        self._max_pending = max_pending
        self._ids = itertools.count(1)
        self._order = itertools.count()  # ties in due time go in the order they were scheduled
        self._scheduled: list[tuple[float, int, Delivery]] = []  # a heap by due time
        self._ready: deque[Delivery] = deque()
        self._sending = 0
        self._workers: set[asyncio.Task[None]] = set()
        self._closed = False
        queue.attach(self)

    @property
    def pending_count(self) -> int:
        return len(self._scheduled) + len(self._ready) + self._sending

    def post(self, url: str, payload: Any, vendor: str, event: str) -> None:
        """Schedule a delivery due now; it starts on the next drain of the namespace queue."""
        delivery = Delivery(next(self._ids), url, orjson.dumps(payload), vendor, event, due=self._now())
        if self.pending_count >= self._max_pending:
            self._record(delivery, Outcome(error=f"dropped: {self._max_pending} deliveries already wait in this "
                                                 "namespace"), 0.0, {"dropped": True})
            return
        self._schedule(delivery)

    def _schedule(self, delivery: Delivery) -> None:
        heapq.heappush(self._scheduled, (delivery.due, next(self._order), delivery))

    def release(self, now: float) -> int:
        """Move deliveries due by ``now`` to the ready line and start workers; returns how many."""
        moved = 0
        while self._scheduled and self._scheduled[0][0] <= now:
            self._ready.append(heapq.heappop(self._scheduled)[2])
            moved += 1
        if self._ready:
            self._spawn()
        return moved

    def pending(self) -> list[tuple[float, str]]:
        waiting = [delivery for _, _, delivery in sorted(self._scheduled)] + list(self._ready)
        return [(delivery.due, delivery.label()) for delivery in waiting]

    def _spawn(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a unit test of a model): the ready line waits for a drain inside one
            return
        while len(self._workers) < min(self.concurrency, len(self._ready)):
            task = loop.create_task(self._work())
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)

    async def _work(self) -> None:
        limiter = _server_limiter()
        while self._ready and not self._closed:
            delivery = self._ready.popleft()
            self._sending += 1
            started = monotonic()
            try:
                async with limiter:
                    started = monotonic()
                    outcome = await self._attempt(delivery)
            finally:
                self._sending -= 1
            self._finish(delivery, outcome, monotonic() - started)

    async def _attempt(self, delivery: Delivery) -> Outcome:
        try:
            target = parse_target(delivery.url)
            async with asyncio.timeout(self.timeout):
                addresses = await resolve(target, self.rules, self._resolver)
                return Outcome(status=await webhook_transport.post(addresses, target, delivery.body, HEADERS))
        except Refused as refused:
            return Outcome(error=f"blocked: {refused}"[:REASON_CHARS], blocked=True)
        except TimeoutError:  # before OSError: it is one
            return Outcome(error=f"timed out: no answer within {self.timeout:g} s")
        except Exception as error:  # any transport failure is a failed attempt, never a crash
            return Outcome(error=_short(error))

    def _finish(self, delivery: Delivery, outcome: Outcome, seconds: float) -> None:
        extra: dict[str, Any] = {}
        delivered = 200 <= outcome.status < 300
        if outcome.blocked:
            extra["blocked"] = True
        elif not delivered and delivery.attempt <= len(RETRY_DELAYS) and not self._closed:
            retry_at = self._now() + retry_delay(self._seed, delivery.id, delivery.attempt)
            extra["next_attempt_at"] = retry_at
            self._schedule(replace(delivery, attempt=delivery.attempt + 1, due=retry_at))
        self._record(delivery, outcome, seconds, extra)

    def _record(self, delivery: Delivery, outcome: Outcome, seconds: float, extra: dict[str, Any]) -> None:
        url = delivery.url[:URL_CHARS]
        detail: dict[str, Any] = {"event": delivery.event, "url": url, "attempt": delivery.attempt,
                                  "delivered": 200 <= outcome.status < 300, **extra}
        if outcome.error:
            detail["error"] = outcome.error
        self._journal.append(Entry(
            seq=self._journal.next_seq(), at=self._now(), kind="webhook", method="POST", path=url,
            status=outcome.status, latency_ms=round(seconds * 1000, 3), vendor=delivery.vendor, detail=detail,
        ))

    def close(self) -> None:
        """Stop: nothing pending is sent, deliveries being sent are cancelled (reset, deletion)."""
        self._closed = True
        self._queue.detach(self)
        self._scheduled.clear()
        self._ready.clear()
        for task in list(self._workers):
            task.cancel()

    async def settle(self) -> None:
        """Wait until the ready line is worked through (tests and shutdown)."""
        while self._workers:
            await asyncio.gather(*list(self._workers), return_exceptions=True)


def open_sender(queue: DueQueue, clock_now: Callable[[], float], journal: Journal,
                config: WebhookConfig) -> WebhookSender:
    """The sender of one namespace, with the server's webhook settings."""
    return WebhookSender(queue, clock_now, journal, seed=config.seed, policy=config.webhook_policy,
                         allow=config.webhook_allow, concurrency=config.webhook_concurrency,
                         timeout=config.webhook_timeout)
