"""A burst of webhook deliveries that come due together is delivered without stalling the server."""

from __future__ import annotations

import threading
import time

import httpx

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import WebhookReceiver, make_settings, prevail_token
from tests.vendors.prevail.helpers import new_request

BURST = 2000


class HealthProbe:
    """Asks ``/_sim/health`` over and over on its own thread and keeps the slowest answer."""

    def __init__(self, url: str):
        self._url = url
        self._stop = threading.Event()
        self.latencies: list[float] = []
        self.answered_at: list[tuple[float, float]] = []  # (asked, answered), perf_counter seconds
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self._url, timeout=30) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                assert client.get("/_sim/health").status_code == 200
                answered = time.perf_counter()
                self.latencies.append(answered - started)
                self.answered_at.append((started, answered))
                time.sleep(0.01)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def test_two_thousand_retries_due_at_once_are_all_delivered_while_health_answers() -> None:
    settings = make_settings(tick_seconds=3600.0, journal_size=10)  # only the clock advance below drains
    with ThreadedServer(create_app(settings)) as server, WebhookReceiver(failures=BURST) as receiver:
        base = f"{server.url}/_ns/burst"
        prevail = httpx.Client(base_url=base, timeout=30,
                               headers={"Authorization": f"Bearer {prevail_token('brightline-reporting')}"})
        admin = httpx.Client(base_url=base, timeout=30)
        for _ in range(BURST):  # self-service: each request is scheduled, and its webhook posted, at once
            assert prevail.post("/api/v1/session_requests", json=new_request(receiver.url)).status_code == 201
        admin.post("/_sim/clock/advance", json={"seconds": 0})  # the last first attempts start

        def retries() -> list[dict[str, str]]:
            pending = admin.get("/_sim/namespaces/burst").json()["pending"]
            return [item for item in pending if item["what"].endswith("(attempt 2)")]

        deadline = time.perf_counter() + 60
        while len(retries()) < BURST and time.perf_counter() < deadline:
            time.sleep(0.05)
        pending = retries()
        assert receiver.failed == BURST and len(pending) == BURST, (
            receiver.failed, len(pending), admin.get("/_sim/journal", params={"limit": 10}).json())
        assert len({item["due"] for item in pending}) > 100  # jitter spreads the retries

        with HealthProbe(server.url) as probe:
            fired = admin.post("/_sim/clock/advance", json={"seconds": 1.25}).json()["fired"]
            while len(receiver.received) < BURST and time.perf_counter() < deadline:
                time.sleep(0.02)
        assert fired == BURST
        assert len(receiver.received) == BURST
        assert len(probe.latencies) > 10
        assert max(probe.latencies) < 1.0, f"/_sim/health took {max(probe.latencies):.3f} s"
        prevail.close()
        admin.close()


def test_two_thousand_first_attempts_made_due_by_one_advance_are_all_delivered_while_health_answers() -> None:
    settings = make_settings(tick_seconds=3600.0, journal_size=10)  # only the clock advance below drains
    with ThreadedServer(create_app(settings)) as server, WebhookReceiver() as receiver:
        base = f"{server.url}/_ns/first-burst"
        prevail = httpx.Client(base_url=base, timeout=30,
                               headers={"Authorization": f"Bearer {prevail_token('acme-legal')}"})
        admin = httpx.Client(base_url=base, timeout=30)
        for _ in range(BURST):  # scheduled an hour after submission, all by the one advance below
            assert prevail.post("/api/v1/session_requests", json=new_request(receiver.url)).status_code == 201
        assert receiver.received == []
        deadline = time.perf_counter() + 60
        with HealthProbe(server.url) as probe:
            time.sleep(0.1)
            advance_started = time.perf_counter()
            fired = admin.post("/_sim/clock/advance", json={"seconds": 3600}).json()["fired"]
            advance_answered = time.perf_counter()
            while len(receiver.received) < BURST and time.perf_counter() < deadline:
                time.sleep(0.02)
        assert fired >= BURST  # the schedulings, and the deliveries they released
        # The advance fires its 2,000 schedulings a slice at a time: health is asked and answered meanwhile.
        meanwhile = [asked for asked, answered in probe.answered_at
                     if advance_started < asked and answered < advance_answered]
        assert len(meanwhile) >= 3, (len(meanwhile), advance_answered - advance_started)
        assert len(receiver.received) == BURST
        assert len(probe.latencies) > 10
        assert max(probe.latencies) < 1.0, f"/_sim/health took {max(probe.latencies):.3f} s"
        prevail.close()
        admin.close()
