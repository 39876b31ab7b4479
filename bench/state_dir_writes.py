"""What ``--state-dir`` costs per write in a big namespace: 2,000 Prevail session requests.

    python bench/state_dir_writes.py [--requests 2000]

Posts ``--requests`` session requests into one namespace of an in-process server, once without and
once with a state directory, and reports the mean and p99 latency per POST (client side, loopback),
then times a save of the full namespace when one record changed (the per-write diff: every record
dumped and hashed, one row written) and when nothing did.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.app import create_app  # noqa: E402
from simulator.core.clock import parse_instant  # noqa: E402
from simulator.settings import Settings  # noqa: E402
from simulator.testing.server import ThreadedServer  # noqa: E402
from tests.support import prevail_token  # noqa: E402
from tests.vendors.prevail.helpers import new_request  # noqa: E402


def _post_all(state_dir: Path | None, count: int) -> tuple[list[float], Any]:
    settings = Settings(seed=7, clock_start=parse_instant("2025-01-20T15:00:00Z").timestamp(), clock_frozen=True,
                        webhook_policy="loopback", state_dir=state_dir)
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {prevail_token()}"}
    latencies = []
    with ThreadedServer(app) as running, httpx.Client(base_url=running.url, headers=headers, timeout=30) as http:
        body = new_request()
        for _ in range(count):
            started = time.perf_counter()
            assert http.post("/api/v1/session_requests", json=body).status_code == 201
            latencies.append((time.perf_counter() - started) * 1000)
        namespace = app.state.registry.get("default")
        store = app.state.pipeline.store
        if store is None:
            return latencies, None
        other = _other_namespace_latency(running.url, http, body)
        backend = namespace.state("prevail")
        timings = {}
        for label, change in (("one record changed", True), ("nothing changed", False)):
            runs: list[float] = []
            for _ in range(20):
                if change:  # as the models change a record: a changed copy replaces it
                    first = next(iter(backend.requests.values()))
                    backend.requests[first.id] = replace(first, postback_url=f"http://127.0.0.1:9/hook{len(runs)}")
                started = time.perf_counter()
                store.save(namespace, ["prevail"])
                runs.append((time.perf_counter() - started) * 1000)
            timings[label] = statistics.median(runs)
        return latencies, (timings, len(backend.requests) + len(backend.sessions), other)


def _other_namespace_latency(url: str, http: httpx.Client, body: dict[str, Any]) -> dict[str, float]:
    """Max latency of GET /_sim/clock in another namespace while 50 POSTs are saved here, with the
    records dumped on the worker thread and (as it was first built) on the event loop."""
    from simulator.core.persist import StateStore

    found = {}
    threaded = StateStore.save_soon
    for label in ("dump on a worker thread", "dump on the event loop"):
        if label == "dump on the event loop":
            async def inline(self: StateStore, namespace: Any, vendors: Any = None) -> int:
                return self.save(namespace, vendors)
            StateStore.save_soon = inline  # type: ignore[method-assign]
        done = threading.Event()
        worst: list[float] = []

        def probe(done: threading.Event = done, worst: list[float] = worst) -> None:
            with httpx.Client(base_url=url, timeout=30) as other:
                while not done.is_set():
                    started = time.perf_counter()
                    other.get("/_ns/other/_sim/clock")
                    worst.append((time.perf_counter() - started) * 1000)
                    time.sleep(0.002)

        prober = threading.Thread(target=probe)
        prober.start()
        for _ in range(50):
            http.post("/api/v1/session_requests", json=body)
        done.set()
        prober.join()
        found[label] = max(worst)
    StateStore.save_soon = threaded  # type: ignore[method-assign]
    return found


def _summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    return f"mean {statistics.fmean(ordered):.2f} ms, p99 {ordered[int(len(ordered) * 0.99) - 1]:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    plain, _ = _post_all(None, args.requests)
    with tempfile.TemporaryDirectory() as folder:
        kept, measured = _post_all(Path(folder), args.requests)
        size = sum(path.stat().st_size for path in Path(folder).iterdir()) / 2**20
    timings, records, other = measured
    print(f"{args.requests} POST /api/v1/session_requests into one namespace")
    print(f"  without --state-dir: {_summary(plain)}")
    print(f"  with --state-dir:    {_summary(kept)}")
    print(f"  last 100 POSTs: {statistics.fmean(plain[-100:]):.2f} ms without, "
          f"{statistics.fmean(kept[-100:]):.2f} ms with")
    for label, value in timings.items():
        print(f"  save of the namespace ({records} Prevail records), {label}: {value:.2f} ms")
    for label, value in other.items():
        print(f"  slowest GET in another namespace during 50 of those POSTs, {label}: {value:.1f} ms")
    print(f"  state directory: {size:.1f} MiB")


if __name__ == "__main__":
    main()
