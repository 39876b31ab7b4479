"""GET /_sim/metrics: the Prometheus exposition, read back with prometheus_client's own parser."""

from __future__ import annotations

import time
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import WebhookReceiver, make_settings, prevail_token
from tests.vendors.prevail.helpers import new_request


def scrape(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/_sim/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: Any) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_webhooks_and_faults() -> None:
    with ThreadedServer(create_app(make_settings(tick_seconds=3600.0))) as server, WebhookReceiver() as receiver:
        base = f"{server.url}/_ns/metrics"
        prevail = httpx.Client(base_url=base, timeout=30,
                               headers={"Authorization": f"Bearer {prevail_token('brightline-reporting')}"})
        admin = httpx.Client(base_url=base, timeout=30)
        rule = {"match": {"vendor": "prevail", "operation": "listSessionRequests"}, "when": {"calls": [2]},
                "effect": {"status": 429}}
        assert admin.post("/_sim/faults", json=rule).status_code == 201
        assert prevail.get("/api/v1/session_requests").status_code == 200
        assert prevail.get("/api/v1/session_requests").status_code == 429  # the fault fires on call 2
        assert prevail.post("/api/v1/session_requests", json=new_request(receiver.url)).status_code == 201
        admin.post("/_sim/clock/advance", json={"seconds": 0})  # the posted webhook's first attempt starts
        deadline = time.perf_counter() + 10
        def delivered() -> bool:  # journaled once the receiver's answer is back, after it got the body
            return any(entry["kind"] == "webhook" for entry in admin.get("/_sim/journal").json()["entries"])

        while not delivered() and time.perf_counter() < deadline:
            time.sleep(0.02)
        assert len(receiver.received) == 1
        assert httpx.get(f"{server.url}/no/such/path").status_code == 404

        samples = scrape(admin)
        assert value(samples, "sim_requests_total", vendor="prevail", operation="listSessionRequests",
                     status="200") == 1
        assert value(samples, "sim_requests_total", vendor="prevail", operation="listSessionRequests",
                     status="429") == 1
        assert value(samples, "sim_requests_total", vendor="prevail", operation="createSessionRequest",
                     status="201") == 1
        assert value(samples, "sim_requests_total", vendor="admin", operation="addFault", status="201") == 1
        assert value(samples, "sim_requests_total", vendor="admin", operation="advanceClock", status="200") == 1
        assert value(samples, "sim_requests_total", vendor="none", operation="none", status="404") == 1
        assert value(samples, "sim_request_duration_seconds_count", vendor="prevail") == 3
        assert value(samples, "sim_request_duration_seconds_bucket", vendor="prevail", le="+Inf") == 3
        assert value(samples, "sim_request_duration_seconds_sum", vendor="prevail") > 0
        assert value(samples, "sim_faults_fired_total", vendor="prevail", kind="status") == 1
        assert value(samples, "sim_webhook_deliveries_total", vendor="prevail") == 1
        assert value(samples, "sim_webhook_failures_total", vendor="prevail") == 0
        assert value(samples, "sim_namespaces") == 1
        journal = admin.get("/_sim/journal").json()["entries"]
        assert value(samples, "sim_journal_entries") == len(journal) - 1  # the journal read is journaled after
        assert value(samples, "sim_requests_total", vendor="admin", operation="getMetrics", status="200") == 0

        again = scrape(admin)  # the scrape itself is counted, and counters only grow
        assert value(again, "sim_requests_total", vendor="admin", operation="getMetrics", status="200") == 1
        prevail.close()
        admin.close()


def test_failed_deliveries_and_webhook_faults_are_counted() -> None:
    with ThreadedServer(create_app(make_settings(tick_seconds=3600.0))) as server, \
            WebhookReceiver(failures=1) as receiver:
        base = f"{server.url}/_ns/failing"
        prevail = httpx.Client(base_url=base, timeout=30,
                               headers={"Authorization": f"Bearer {prevail_token('brightline-reporting')}"})
        admin = httpx.Client(base_url=base, timeout=30)
        duplicate = {"match": {"vendor": "prevail", "webhook": "session_scheduled"}, "effect": {"webhook": "duplicate"}}
        assert admin.post("/_sim/faults", json=duplicate).status_code == 201
        assert prevail.post("/api/v1/session_requests", json=new_request(receiver.url)).status_code == 201
        admin.post("/_sim/clock/advance", json={"seconds": 0})  # the posted webhook's first attempts start
        deadline = time.perf_counter() + 10
        samples = scrape(admin)
        # the delivery and its duplicate: one is answered 500, the other reaches the receiver
        while value(samples, "sim_webhook_deliveries_total", vendor="prevail") < 2 and time.perf_counter() < deadline:
            time.sleep(0.02)
            samples = scrape(admin)
        assert value(samples, "sim_webhook_deliveries_total", vendor="prevail") == 2
        assert value(samples, "sim_webhook_failures_total", vendor="prevail") == receiver.failed == 1
        assert len(receiver.received) == 1
        assert value(samples, "sim_faults_fired_total", vendor="prevail", kind="duplicate") == 1
        prevail.close()
        admin.close()
