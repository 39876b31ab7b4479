"""Server metrics: plain counters on the hot path, Prometheus families only when scraped.

Counting a request is a few dict operations (about a microsecond): the request path never touches
``prometheus_client``. :func:`exposition` turns the counters into the Prometheus text format with a
collector of its own in a per-app ``CollectorRegistry`` (tests build many apps in one process, so the
library's global registry would mix them). ``prometheus_client`` is imported on the first scrape,
keeping it off the server's start path.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from typing import Any

# Seconds; Prometheus' default buckets, with finer ones below 5 ms where most answers fall.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
NO_VENDOR = "none"  # label of requests that reached no operation (an unknown path)
ADMIN = "admin"  # label of the simulator's own operations that belong to no vendor
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Tally:
    """What the server did since it started, as plain counters keyed by label values."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], int] = {}  # (vendor, operation, status) -> count
        self.latency: dict[str, list[float]] = {}  # vendor -> per-bucket counts (+Inf last), then the sum
        self.deliveries: dict[str, int] = {}  # vendor -> webhook delivery attempts
        self.delivery_failures: dict[str, int] = {}  # vendor -> attempts not answered 2xx
        self.faults: dict[tuple[str, str], int] = {}  # (vendor, effect kind) -> rules fired

    def request(self, vendor: str, operation: str, status: int, seconds: float) -> None:
        key = (vendor, operation, status)
        requests = self.requests
        requests[key] = requests.get(key, 0) + 1
        counts = self.latency.get(vendor)
        if counts is None:
            counts = self.latency[vendor] = [0.0] * (len(BUCKETS) + 2)
        counts[bisect_left(BUCKETS, seconds)] += 1
        counts[-1] += seconds

    def delivery(self, vendor: str, delivered: bool) -> None:
        self.deliveries[vendor] = self.deliveries.get(vendor, 0) + 1
        if not delivered:
            self.delivery_failures[vendor] = self.delivery_failures.get(vendor, 0) + 1

    def fault(self, vendor: str, kind: str) -> None:
        key = (vendor, kind)
        self.faults[key] = self.faults.get(key, 0) + 1


class Gauges:
    """Values read at scrape time from the server's state (bounded work: one pass over namespaces)."""

    def __init__(self, namespaces: Callable[[], int], journal_entries: Callable[[], int]):
        self.namespaces = namespaces
        self.journal_entries = journal_entries


def _families(tally: Tally, gauges: Gauges) -> Iterator[Any]:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

    requests = CounterMetricFamily("sim_requests", "HTTP requests answered, by vendor, operation and status",
                                   labels=["vendor", "operation", "status"])
    for (vendor, operation, status), count in sorted(tally.requests.items()):
        requests.add_metric([vendor, operation, str(status)], count)
    yield requests
    latency = HistogramMetricFamily("sim_request_duration_seconds",
                                    "Time from a request's arrival to its answer being sent, by vendor",
                                    labels=["vendor"])
    for vendor, counts in sorted(tally.latency.items()):
        cumulative, buckets = 0.0, []
        for bound, in_bucket in zip((*(repr(b) for b in BUCKETS), "+Inf"), counts[:-1], strict=True):
            cumulative += in_bucket
            buckets.append((bound, cumulative))
        latency.add_metric([vendor], buckets, counts[-1])
    yield latency
    yield GaugeMetricFamily("sim_namespaces", "Namespaces in memory", value=gauges.namespaces())
    yield GaugeMetricFamily("sim_journal_entries", "Journal entries held, all namespaces together",
                            value=gauges.journal_entries())
    for name, doc, values in (
        ("sim_webhook_deliveries", "Webhook delivery attempts, by vendor", tally.deliveries),
        ("sim_webhook_failures", "Webhook delivery attempts not answered 2xx (refused, dropped, timed out, "
                                 "or another status), by vendor", tally.delivery_failures),
    ):
        family = CounterMetricFamily(name, doc, labels=["vendor"])
        for vendor, count in sorted(values.items()):
            family.add_metric([vendor], count)
        yield family
    faults = CounterMetricFamily("sim_faults_fired", "Fault rules fired, by vendor and effect kind",
                                 labels=["vendor", "kind"])
    for fault_labels, count in sorted(tally.faults.items()):
        faults.add_metric(list(fault_labels), count)
    yield faults


class Metrics:
    """The tally of one app and its Prometheus exposition."""

    def __init__(self, tally: Tally, gauges: Gauges):
        self.tally = tally
        self.gauges = gauges
        self._registry: Any = None

    def exposition(self) -> bytes:
        """The Prometheus text format (version 0.0.4) of everything counted so far."""
        from prometheus_client import CollectorRegistry, generate_latest

        if self._registry is None:
            tally, gauges = self.tally, self.gauges

            class Collector:
                def collect(self) -> Iterator[Any]:
                    return _families(tally, gauges)

            self._registry = CollectorRegistry(auto_describe=False)
            self._registry.register(Collector())
        return bytes(generate_latest(self._registry))
