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

A delivery's body is built when each attempt is sent: plain JSON payloads as they are, signed ones
(:class:`~simulator.core.webhook_faults.SignedClaims`) by the builder the vendor registered for the
webhook, so a token's ``iat``/``exp`` are those of the attempt, retries included. The namespace's
fault plan is asked about each delivery when it is posted (:meth:`FaultPlan.decide_webhook`); what
the firing rule does to it (duplicate, reorder, delay, tamper) is applied here and journaled with
every attempt as ``detail.fault``.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import orjson

from simulator.core.clock import monotonic
from simulator.core.faults import FaultPlan
from simulator.core.journal import Entry, Journal
from simulator.core.metrics import Tally
from simulator.core.rand import SeededSource
from simulator.core.schedule import DueQueue
from simulator.core.webhook_faults import AppliedFault, Builder, Holds, SignedClaims
from simulator.core.webhook_guard import Refused, Resolver, Rules, parse_target, resolve, system_resolver
from simulator.core.webhookrules import WebhookEffect, webhook_name

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
    payload: Any  # JSON data, or SignedClaims built by the vendor's builder at send time
    vendor: str
    event: str  # "NAME" or "NAME:SUBJECT"; NAME is the webhook the vendor declares
    attempt: int = 1
    due: float = 0.0
    fault: AppliedFault | None = None  # what a fault rule does to this delivery
    copy: int = 0  # a duplicate's number (1, 2, ...); 0 for the delivery itself

    def label(self) -> str:
        return f"webhook {self.event} -> {self.url[:URL_CHARS]} (attempt {self.attempt})"

    @property
    def webhook(self) -> tuple[str, str]:
        return self.vendor, webhook_name(self.event)

    @property
    def effect(self) -> WebhookEffect | None:
        return self.fault.effect if self.fault is not None else None


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
    @property
    def webhook_builders(self) -> Mapping[str, Mapping[str, Builder]]: ...  # vendor -> webhook -> builder

    @property
    def tally(self) -> Tally: ...  # the server's metrics


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
                 resolver: Resolver = system_resolver, max_pending: int = MAX_PENDING,
                 builders: Mapping[str, Mapping[str, Builder]] | None = None,
                 plan: Callable[[], FaultPlan | None] = lambda: None, token_now: Callable[[], float] | None = None,
                 tally: Tally | None = None):
        self._queue = queue
        self._tally = tally or Tally()
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
        self._taking = 0  # workers that will still take deliveries from the ready line
        self._closed = False
        self._builders = builders or {}
        self._plan = plan  # the namespace's fault plan, looked up per delivery (a reset replaces it)
        self._token_now = token_now or clock_now  # now for the tokens signed bodies carry
        self._holds: Holds[Delivery] = Holds()  # deliveries a reorder rule held back
        queue.attach(self)

    @property
    def pending_count(self) -> int:
        return len(self._scheduled) + len(self._ready) + self._sending + len(self._holds)

    def sample(self, limit: int) -> Iterator[Delivery]:
        """At most ``limit`` deliveries waiting to be sent, in no particular order (memory estimates)."""
        waiting = itertools.chain((item[2] for item in self._scheduled), self._ready)
        return itertools.islice(waiting, limit)

    def post(self, url: str, payload: Any, vendor: str, event: str) -> None:
        """Schedule a delivery due now; it starts on the next drain of the namespace queue.

        ``payload`` is JSON data, or :class:`SignedClaims` for a webhook the vendor registered a builder for.
        """
        now = self._now()
        delivery = Delivery(next(self._ids), url, payload, vendor, event, due=now)
        plan = self._plan()
        rule = plan.decide_webhook(vendor, webhook_name(event), now) if plan is not None else None
        if rule is not None:
            assert isinstance(rule.spec.effect, WebhookEffect)
            delivery = replace(delivery, fault=AppliedFault(rule.id, rule.spec.effect, rule.spec.document["effect"]))
            self._tally.fault(vendor, rule.spec.effect.kind)
        if self.pending_count >= self._max_pending:
            self._record(delivery, Outcome(error=f"dropped: {self._max_pending} deliveries already wait in this "
                                                 "namespace"), 0.0, {"dropped": True})
            return
        effect = delivery.effect
        if effect is not None and effect.kind == "reorder":
            self._holds.hold(delivery.webhook, delivery.id, delivery, now + effect.hold)
            return
        self._holds.follow(delivery.webhook, delivery.id)  # what was held goes out after this one
        if effect is not None and effect.kind == "delay":
            delivery = replace(delivery, due=now + effect.delay)
        self._schedule(delivery)

    def deliveries(self) -> tuple[int, list[Delivery], list[tuple[float, int | None, Delivery]]]:
        """As data a saved namespace keeps: the next delivery id, every delivery waiting to be sent
        (scheduled or ready) in sending order, and those a reorder rule holds back (deadline, the id
        each goes out after or None while it waits for the next one, delivery). Deliveries being
        sent at this instant are not included."""
        waiting = [delivery for _, _, delivery in sorted(self._scheduled)] + list(self._ready)
        return self._peek_id(), waiting, self._holds.held()

    def _peek_id(self) -> int:
        upcoming = next(self._ids)
        self._ids = itertools.count(upcoming)
        return upcoming

    def restore(self, next_id: int, deliveries: list[Delivery],
                held: Sequence[tuple[float, int | None, Delivery]] = ()) -> None:
        """Wait for exactly ``deliveries`` and ``held`` (from :meth:`deliveries`), each at its due instant."""
        self._scheduled.clear()
        self._ready.clear()
        self._ids = itertools.count(next_id)
        for delivery in deliveries:
            self._schedule(delivery)
        self._holds.restore([(delivery.webhook, delivery.id, deadline, leader, delivery)
                             for deadline, leader, delivery in held])

    def _schedule(self, delivery: Delivery) -> None:
        heapq.heappush(self._scheduled, (delivery.due, next(self._order), delivery))

    def release(self, now: float) -> int:
        """Move deliveries due by ``now`` to the ready line and start workers; returns how many."""
        moved = 0
        while self._scheduled and self._scheduled[0][0] <= now:
            self._ready.append(heapq.heappop(self._scheduled)[2])
            moved += 1
        if self._holds:  # held back by reorder, and no later delivery came in time: they go out anyway
            released = self._holds.expired(now)
            self._ready.extend(released)
            moved += len(released)
        if self._ready:
            self._spawn()
        return moved

    def pending(self) -> list[tuple[float, str]]:
        waiting = [delivery for _, _, delivery in sorted(self._scheduled)] + list(self._ready)
        held = [(deadline, f"{delivery.label()}, held back (reorder)") for deadline, delivery in self._holds.pending()]
        return [(delivery.due, delivery.label()) for delivery in waiting] + held

    def _spawn(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a unit test of a model): the ready line waits for a drain inside one
            return
        # Count workers still taking deliveries, not tasks: one that found the line empty has stopped
        # taking, though its task is discarded only by a later callback. Counting those, a delivery
        # made ready in between could wait, unsent, for the next drain.
        while self._taking < min(self.concurrency, len(self._ready)):
            task = loop.create_task(self._work())
            self._taking += 1
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)

    async def _work(self) -> None:
        try:
            await self._take_deliveries()
        finally:
            self._taking -= 1  # no await between finding the line empty and this: nothing slips in

    async def _take_deliveries(self) -> None:
        limiter = _server_limiter()
        while self._ready and not self._closed:
            delivery = self._ready.popleft()
            try:
                body = self._body(delivery)
            except Exception as error:  # a payload its builder cannot sign fails the attempt, never the worker
                self._finish(delivery, Outcome(error=_short(error)), 0.0)
                continue
            for sent in [delivery, *self._copies(delivery)]:  # duplicates go out right after, same bytes
                if self._closed:
                    break
                self._sending += 1
                started = monotonic()
                try:
                    async with limiter:
                        started = monotonic()
                        outcome = await self._attempt(sent, body)
                finally:
                    self._sending -= 1
                self._finish(sent, outcome, monotonic() - started)

    def _body(self, delivery: Delivery) -> bytes:
        if not isinstance(delivery.payload, SignedClaims):
            return orjson.dumps(delivery.payload)
        vendor, name = delivery.webhook
        build = self._builders.get(vendor, {}).get(name)
        if build is None:
            raise LookupError(f"{vendor} declares no signed webhook {name!r}")
        effect = delivery.effect
        return build(delivery.payload, effect.tamper if effect is not None else None, self._token_now())

    def _copies(self, delivery: Delivery) -> list[Delivery]:
        effect = delivery.effect
        if effect is None or effect.kind != "duplicate" or delivery.attempt != 1 or delivery.copy:
            return []
        return [replace(delivery, id=next(self._ids), copy=number) for number in range(1, effect.copies + 1)]

    async def _attempt(self, delivery: Delivery, body: bytes) -> Outcome:
        from simulator.core import webhook_transport  # h11 loads with the first delivery, not at start-up

        try:
            target = parse_target(delivery.url)
            async with asyncio.timeout(self.timeout):
                addresses = await resolve(target, self.rules, self._resolver)
                return Outcome(status=await webhook_transport.post(addresses, target, body, HEADERS))
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
        if delivery.attempt == 1 and not delivery.copy and self._holds and not self._closed:
            followers = self._holds.sent(delivery.id)  # held by reorder until this one was sent
            if followers:
                self._ready.extend(followers)
                self._spawn()

    def _record(self, delivery: Delivery, outcome: Outcome, seconds: float, extra: dict[str, Any]) -> None:
        url = delivery.url[:URL_CHARS]
        delivered = 200 <= outcome.status < 300
        self._tally.delivery(delivery.vendor, delivered)
        detail: dict[str, Any] = {"event": delivery.event, "url": url, "attempt": delivery.attempt,
                                  "delivered": delivered, **extra}
        if outcome.error:
            detail["error"] = outcome.error
        if delivery.fault is not None:
            detail["fault"] = delivery.fault.journal()
        if delivery.copy:
            detail["copy"] = delivery.copy
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
        self._holds.clear()
        for task in list(self._workers):
            task.cancel()

    async def settle(self) -> None:
        """Wait until the ready line is worked through (tests and shutdown)."""
        while self._workers:
            await asyncio.gather(*list(self._workers), return_exceptions=True)


def open_sender(queue: DueQueue, clock_now: Callable[[], float], journal: Journal, config: WebhookConfig,
                plan: Callable[[], FaultPlan | None] = lambda: None,
                token_now: Callable[[], float] | None = None) -> WebhookSender:
    """The sender of one namespace, with the server's webhook settings, its fault plan and token clock."""
    return WebhookSender(queue, clock_now, journal, seed=config.seed, policy=config.webhook_policy,
                         allow=config.webhook_allow, concurrency=config.webhook_concurrency,
                         timeout=config.webhook_timeout, builders=config.webhook_builders, plan=plan,
                         token_now=token_now, tally=config.tally)
