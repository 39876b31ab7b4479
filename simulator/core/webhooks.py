"""Outbound webhook deliveries, retried with backoff on the namespace clock and journaled.

A failed delivery never reaches the request that caused it: it is recorded in the journal and
retried after 1, 2, 4, 8 and 16 seconds of namespace time (six attempts in all).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from simulator.core.clock import monotonic
from simulator.core.journal import Entry, Journal
from simulator.core.schedule import DueQueue

if TYPE_CHECKING:
    import httpx

RETRY_DELAYS = (1, 2, 4, 8, 16)
_client: httpx.AsyncClient | None = None


def _http_client() -> httpx.AsyncClient:
    global _client
    if _client is None:
        import httpx

        _client = httpx.AsyncClient(timeout=5.0, follow_redirects=False)
    return _client


async def close_client() -> None:
    global _client
    if _client is not None:
        await _client.aclose()
        _client = None


def is_loopback(url: str) -> bool:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WebhookSender:
    """Delivers webhooks of one namespace. ``policy`` ``loopback`` refuses other hosts (for test runs
    that must never reach the network); ``any`` delivers wherever the client asked."""

    def __init__(self, queue: DueQueue, clock_now: Callable[[], float], journal: Journal, policy: str = "any"):
        self._policy = policy
        self._queue = queue
        self._now = clock_now
        self._journal = journal
        self._tasks: set[asyncio.Task[None]] = set()

    def post(self, url: str, payload: Any, vendor: str, event: str) -> None:
        """Queue a delivery due now; it runs on the next drain of the namespace queue."""
        body = orjson.dumps(payload)
        self._queue.push(self._now(), f"webhook {event} -> {url}", lambda: self._start(url, body, vendor, event, 1))

    def _start(self, url: str, body: bytes, vendor: str, event: str, attempt: int) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a unit test of a model): deliver on the next drain inside one
            self._queue.push(self._now(), f"webhook {event} -> {url}",
                             lambda: self._start(url, body, vendor, event, attempt))
            return
        task = loop.create_task(self._deliver(url, body, vendor, event, attempt))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, body: bytes, vendor: str, event: str, attempt: int) -> None:
        started = monotonic()
        status, error = 0, ""
        if self._policy == "loopback" and not is_loopback(url):
            self._journal.append(Entry(
                seq=self._journal.next_seq(), at=self._now(), kind="webhook", method="POST", path=url, status=0,
                latency_ms=0.0, vendor=vendor,
                detail={"event": event, "url": url, "attempt": attempt, "delivered": False,
                        "error": "blocked: webhook_policy is loopback and the host is not a loopback address"},
            ))
            return
        try:
            response = await _http_client().post(url, content=body, headers={"Content-Type": "application/json"})
            status = response.status_code
        except Exception as exc:  # any transport failure is a failed attempt, never a crash
            error = f"{type(exc).__name__}: {exc}"
        delivered = 200 <= status < 300
        detail: dict[str, Any] = {"event": event, "url": url, "attempt": attempt, "delivered": delivered}
        if error:
            detail["error"] = error
        if not delivered and attempt <= len(RETRY_DELAYS):
            retry_at = self._now() + RETRY_DELAYS[attempt - 1]
            detail["next_attempt_at"] = retry_at
            self._queue.push(retry_at, f"webhook {event} -> {url} (retry {attempt})",
                             lambda: self._start(url, body, vendor, event, attempt + 1))
        self._journal.append(Entry(
            seq=self._journal.next_seq(), at=self._now(), kind="webhook", method="POST", path=url,
            status=status, latency_ms=round((monotonic() - started) * 1000, 3), vendor=vendor, detail=detail,
        ))

    async def settle(self) -> None:
        """Wait for deliveries in flight (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
