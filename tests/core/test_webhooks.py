"""Webhook deliveries: bounded queue, concurrency caps, seeded jitter, one deadline, capped reads, pinned addresses."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from simulator.core import webhook_transport, webhooks
from simulator.core.journal import Entry, Journal
from simulator.core.schedule import DueQueue
from simulator.core.webhooks import WebhookSender, retry_delay

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter, dict[str, str]], Awaitable[None]]
START = 1_000_000.0


class Receiver:
    """An HTTP receiver on 127.0.0.1 in the test's event loop; ``behaviour`` answers each request."""

    def __init__(self, behaviour: Behaviour):
        self.behaviour = behaviour
        self.requests: list[dict[str, str]] = []
        self.active = 0
        self.most_active = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=256)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._server is not None
        self._server.close()

    def url(self, host: str = "127.0.0.1", path: str = "/hook") -> str:
        return f"http://{host}:{self.port}{path}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
            await reader.readexactly(int(headers.get("content-length", "0")))
            headers[":target"] = head[0].split(" ")[1]
            self.requests.append(headers)
            await self.behaviour(reader, writer, headers)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.active -= 1
            writer.close()


def answer(status: int, body: bytes = b"", pause: float = 0.0) -> Behaviour:
    async def behaviour(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _headers: dict[str, str]) -> None:
        await asyncio.sleep(pause)
        writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
    return behaviour


def world(**options: Any) -> tuple[WebhookSender, DueQueue, Journal, list[float]]:
    now = [START]
    queue, journal = DueQueue(), Journal(100_000)
    options.setdefault("policy", "loopback")
    return WebhookSender(queue, lambda: now[0], journal, **options), queue, journal, now


def entries(journal: Journal) -> list[Entry]:
    return [e for e in journal if e.kind == "webhook"]


async def deliver(sender: WebhookSender, queue: DueQueue, now: list[float]) -> int:
    fired = queue.drain(lambda: now[0])
    await sender.settle()
    return fired


def test_a_full_namespace_drops_new_deliveries_and_journals_them() -> None:
    sender, _queue, journal, _now = world(max_pending=3)
    for number in range(5):
        sender.post("http://127.0.0.1:9/hook", {"n": number}, "prevail", f"event{number}")
    assert sender.pending_count == 3
    dropped = entries(journal)
    assert [e.detail["event"] for e in dropped] == ["event3", "event4"]
    assert all(e.detail["dropped"] and not e.detail["delivered"] and e.status == 0 for e in dropped)
    assert "3 deliveries already wait" in dropped[0].detail["error"]


def test_deliveries_run_at_most_webhook_concurrency_at_once() -> None:
    async def main() -> None:
        async with Receiver(answer(204, pause=0.05)) as receiver:
            sender, queue, journal, now = world(concurrency=3)
            for number in range(12):
                sender.post(receiver.url(), {"n": number}, "prevail", "e")
            assert await deliver(sender, queue, now) == 12
            assert receiver.most_active == 3 and len(receiver.requests) == 12
            assert all(e.detail["delivered"] and e.status == 204 for e in entries(journal))
    asyncio.run(main())


def test_the_server_wide_cap_bounds_every_namespace_together() -> None:
    async def main() -> None:
        async with Receiver(answer(204, pause=0.3)) as receiver:
            worlds = [world(concurrency=50) for _ in range(2)]
            for sender, _queue, _journal, _now in worlds:
                for number in range(50):
                    sender.post(receiver.url(), {"n": number}, "prevail", "e")
            await asyncio.gather(*(deliver(sender, queue, now) for sender, queue, _journal, now in worlds))
            assert len(receiver.requests) == 100
            assert receiver.most_active == webhooks.SERVER_CONCURRENCY
    asyncio.run(main())


def test_retries_wait_their_delay_stretched_by_a_seeded_jitter() -> None:
    async def failing_round(seed: int) -> list[float]:
        async with Receiver(answer(500)) as receiver:
            sender, queue, journal, now = world(seed=seed)
            for number in range(40):
                sender.post(receiver.url(), {"n": number}, "prevail", f"e{number}")
            await deliver(sender, queue, now)
            first = sorted(entries(journal), key=lambda e: e.detail["event"])
            assert all(e.status == 500 and not e.detail["delivered"] for e in first)
            waits = [e.detail["next_attempt_at"] - START for e in first]
            assert await deliver(sender, queue, now) == 0  # nothing is due before its delay
            now[0] = START + max(waits)
            assert await deliver(sender, queue, now) == 40  # then every retry is
            return waits

    waits = asyncio.run(failing_round(seed=7))
    assert all(1 <= wait < 1 + webhooks.JITTER for wait in waits)
    assert len(set(waits)) == 40  # spread out, so the retries of a burst do not come due together
    assert sorted(waits) == pytest.approx(sorted(retry_delay(7, number, 1) for number in range(1, 41)))
    assert asyncio.run(failing_round(seed=7)) == waits  # the same seed gives the same schedule
    assert asyncio.run(failing_round(seed=8)) != waits
    assert all(16 <= retry_delay(7, number, 5) < 20 for number in range(1, 100))


def test_a_delivery_is_attempted_six_times_then_given_up() -> None:
    async def main() -> None:
        async with Receiver(answer(503)) as receiver:
            sender, queue, journal, now = world()
            sender.post(receiver.url(), {}, "prevail", "e")
            for _ in range(10):
                await deliver(sender, queue, now)
                now[0] += 20
            assert [e.detail["attempt"] for e in entries(journal)] == [1, 2, 3, 4, 5, 6]
            assert "next_attempt_at" not in entries(journal)[-1].detail and sender.pending_count == 0
    asyncio.run(main())


def test_one_deadline_covers_the_whole_delivery_not_each_read() -> None:
    async def trickle(_r: asyncio.StreamReader, writer: asyncio.StreamWriter, _h: dict[str, str]) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(100):  # a header byte every 50 ms: no single read ever waits long
            await asyncio.sleep(0.05)
            writer.write(b"X")
            await writer.drain()

    async def main() -> None:
        async with Receiver(trickle) as receiver:
            sender, queue, journal, now = world(timeout=0.5)
            sender.post(receiver.url(), {}, "prevail", "e")
            loop = asyncio.get_running_loop()
            started = loop.time()
            await deliver(sender, queue, now)
            assert loop.time() - started < 3
            [entry] = entries(journal)
            assert entry.status == 0 and entry.detail["error"] == "timed out: no answer within 0.5 s"
            assert entry.detail["next_attempt_at"]  # a timeout is a failed attempt, retried
    asyncio.run(main())


@pytest.fixture
def bytes_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts what the transport reads from receivers."""
    counted = [0]
    connect = webhook_transport._connect

    async def counting_connect(*args: Any) -> tuple[Any, asyncio.StreamWriter]:
        reader, writer = await connect(*args)

        class Counting:
            async def read(self, size: int) -> bytes:
                chunk = await reader.read(size)
                counted[0] += len(chunk)
                return chunk
        return Counting(), writer

    monkeypatch.setattr(webhook_transport, "_connect", counting_connect)
    return counted


def test_a_huge_answer_costs_at_most_64_kb(bytes_read: list[int]) -> None:
    async def huge_body(_r: asyncio.StreamReader, writer: asyncio.StreamWriter, _h: dict[str, str]) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 314572800\r\n\r\n")
        chunk = b"x" * 65536
        for _ in range(4800):  # 300 MB, unless the simulator hangs up first
            writer.write(chunk)
            await writer.drain()

    async def main() -> None:
        async with Receiver(huge_body) as receiver:
            sender, queue, journal, now = world()
            sender.post(receiver.url(), {}, "prevail", "e")
            await deliver(sender, queue, now)
            [entry] = entries(journal)
            assert entry.status == 200 and entry.detail["delivered"]
    asyncio.run(main())
    assert 0 < bytes_read[0] <= webhook_transport.MAX_ANSWER_BYTES


def test_an_endless_answer_head_fails_after_64_kb(bytes_read: list[int]) -> None:
    async def endless_head(_r: asyncio.StreamReader, writer: asyncio.StreamWriter, _h: dict[str, str]) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(10_000):
            writer.write(b"X-Pad: " + b"a" * 1000 + b"\r\n")
            await writer.drain()

    async def main() -> None:
        async with Receiver(endless_head) as receiver:
            sender, queue, journal, now = world()
            sender.post(receiver.url(), {}, "prevail", "e")
            await deliver(sender, queue, now)
            [entry] = entries(journal)
            assert entry.status == 0 and "larger than 65536 bytes" in entry.detail["error"]
    asyncio.run(main())
    assert bytes_read[0] <= webhook_transport.MAX_ANSWER_BYTES


def test_a_failed_delivery_journals_its_status_and_a_short_reason_never_the_answer() -> None:
    async def main() -> None:
        async with Receiver(answer(500, b"SECRET-TOKEN " * 1000)) as receiver:
            sender, queue, journal, now = world()
            sender.post(receiver.url(), {}, "prevail", "e")
            await deliver(sender, queue, now)
            [entry] = entries(journal)
            assert entry.status == 500 and "SECRET" not in repr(entry)
    asyncio.run(main())


def test_a_name_is_resolved_off_the_loop_once_per_attempt_and_the_checked_address_is_used() -> None:
    asked: list[str] = []
    answers = [["127.0.0.1"], ["169.254.169.254"]]  # the second lookup "rebinds" to the metadata service

    async def resolver(host: str, _port: int) -> list[str]:
        asked.append(host)
        return answers[len(asked) - 1]

    async def main() -> None:
        async with Receiver(answer(500)) as receiver:
            sender, queue, journal, now = world(policy="any", resolver=resolver)
            sender.post(receiver.url("hooks.test", "/a b?x=1"), {}, "prevail", "e")
            await deliver(sender, queue, now)
            now[0] += 2
            await deliver(sender, queue, now)
            assert asked == ["hooks.test", "hooks.test"]
            [request] = receiver.requests  # hooks.test exists only in the resolver above: the address was used
            assert request["host"] == f"hooks.test:{receiver.port}" and request[":target"] == "/a%20b?x=1"
            first, second = entries(journal)
            assert first.status == 500 and second.status == 0 and second.detail["blocked"]
            assert "hooks.test resolves to 169.254.169.254, a cloud metadata address" in second.detail["error"]
            assert "next_attempt_at" not in second.detail and sender.pending_count == 0  # refused: not retried
    asyncio.run(main())


def test_a_metadata_url_is_blocked_without_a_lookup_and_journaled_with_the_reason() -> None:
    async def resolver(host: str, _port: int) -> list[str]:
        raise AssertionError(f"looked up {host}")

    async def main() -> None:
        sender, queue, journal, now = world(policy="any", resolver=resolver)
        sender.post("http://2852039166/latest/meta-data/iam/", {}, "prevail", "e")
        sender.post("http://metadata.google.internal/computeMetadata/v1/", {}, "prevail", "e")
        await deliver(sender, queue, now)
        errors = [e.detail["error"] for e in entries(journal)]
        assert errors == ["blocked: 169.254.169.254 is a cloud metadata address; allow the host with --webhook-allow",
                          "blocked: metadata.google.internal is a cloud metadata service; allow the host with "
                          "--webhook-allow"]
        assert all(e.status == 0 and e.detail["blocked"] for e in entries(journal))
    asyncio.run(main())


def test_closing_drops_what_waits_and_stops_what_is_being_sent() -> None:
    async def main() -> None:
        async with Receiver(answer(204, pause=5)) as receiver:
            sender, queue, journal, now = world(concurrency=2)
            for number in range(5):
                sender.post(receiver.url(), {"n": number}, "prevail", "e")
            queue.drain(lambda: now[0])
            await asyncio.sleep(0.1)
            sender.close()
            await asyncio.wait_for(sender.settle(), 2)
            assert sender.pending_count == 0 and queue.pending() == [] and not entries(journal)
    asyncio.run(main())


def reading(now: list[float]) -> Callable[[], float]:
    return lambda: now[0]


def test_a_delivery_made_ready_as_the_last_worker_stops_is_still_sent() -> None:
    """Between a worker finding the ready line empty and its task being discarded, a drain may make a
    delivery ready: it must go out without waiting for another drain (no clock tick would come)."""
    async def main() -> None:
        async with Receiver(answer(204)) as receiver:
            for yields in range(40):  # every interleaving of the drain with the worker's last steps
                sender, queue, _journal, now = world(concurrency=1)
                sender.post(receiver.url(), {"n": 1}, "prevail", "first")
                queue.drain(reading(now))
                sent = len(receiver.requests)
                while len(receiver.requests) == sent:
                    await asyncio.sleep(0)
                for _ in range(yields):
                    await asyncio.sleep(0)
                sender.post(receiver.url(), {"n": 2}, "prevail", "second")
                queue.drain(reading(now))  # the last drain: nothing else will release it
                for _ in range(2000):
                    if len(receiver.requests) == sent + 2:
                        break
                    await asyncio.sleep(0.001)
                assert len(receiver.requests) == sent + 2, f"the second delivery waited, {yields} yields in"
                await sender.settle()
    asyncio.run(main())
