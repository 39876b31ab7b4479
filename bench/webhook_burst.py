"""A burst of webhook deliveries that come due at once: delivered count, time, and /_sim/health meanwhile.

    python bench/webhook_burst.py [--count 2000] [--rounds 1]

Starts `python3 -m simulator serve` (frozen clock, loopback webhooks, default webhook settings) and a
threaded HTTP receiver on loopback in this process. Two bursts per round, each in its own namespace:

- first attempts: COUNT Prevail session requests of a non-self-service organisation, then one
  clock advance of an hour schedules them all, and all their webhooks come due together;
- retries: COUNT requests of a self-service organisation (each webhook is sent as it is created) to
  a receiver that answers the first COUNT deliveries 500; once every retry waits, one advance of
  1.25 s (the longest jittered first delay) makes them all due together.

From just before the advance until the receiver has COUNT deliveries, another thread asks
`/_sim/health` every 10 ms. Reported: delivered count, time from the advance to the last delivery,
how long the advance request itself took, and the health latencies (p50 / p99 / worst).
"""

from __future__ import annotations

import argparse
import http.server
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.testing.server import free_port  # noqa: E402

BODY = {"session_request": {
    "invite_emails": ["john@smith.com"],
    "deponent": {"name": "John Smith", "email": "john@smith.com", "role": "deponent"},
    "remote_session": {"title": "burst", "case": "567-case-id-name", "start_date": "2025-01-28",
                       "start_time": "01:30 AM", "time_zone": "Pacific Time (US & Canada)"},
    "session_details": {"additional_details": "", "preferred_manager": "Ash Smith", "video_provider": "chime",
                        "session_type": "remote_deposition"},
}}


class Receiver:
    """Counts POSTs; answers the first ``failures`` with 500, the rest with 204."""

    def __init__(self, failures: int):
        self.failures, self.failed, self.delivered = failures, 0, 0
        lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    fail = outer.failed < outer.failures
                    if fail:
                        outer.failed += 1
                    else:
                        outer.delivered += 1
                self.send_response(500 if fail else 204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 256
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class HealthProbe:
    def __init__(self, url: str):
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url,), daemon=True)
        self._thread.start()

    def _run(self, url: str) -> None:
        with httpx.Client(timeout=60) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                client.get(f"{url}/_sim/health").raise_for_status()
                self.latencies.append(time.perf_counter() - started)
                time.sleep(0.01)

    def stop(self) -> list[float]:
        self._stop.set()
        self._thread.join()
        return sorted(self.latencies)


def _token(slug: str) -> str:
    out = subprocess.run([sys.executable, "-m", "simulator", "token", "prevail", "--tenant", slug, "--ttl", "86400"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _create(base: str, slug: str, postback: str, count: int) -> None:
    body = {"session_request": {**BODY["session_request"], "postback_url": postback}}
    with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {_token(slug)}"}) as client:
        for _ in range(count):
            client.post("/api/v1/session_requests", json=body).raise_for_status()


def _burst(server: str, namespace: str, receiver: Receiver, count: int, advance: float) -> dict[str, Any]:
    base = f"{server}/_ns/{namespace}"
    probe = HealthProbe(server)
    started = time.perf_counter()
    answer = httpx.post(f"{base}/_sim/clock/advance", json={"seconds": advance}, timeout=120)
    advanced = time.perf_counter() - started
    while receiver.delivered < count and time.perf_counter() - started < 300:
        time.sleep(0.005)
    elapsed = time.perf_counter() - started
    latencies = probe.stop()
    return {"delivered": receiver.delivered, "fired": answer.json()["fired"], "elapsed_s": elapsed,
            "advance_s": advanced, "health_samples": len(latencies),
            "health_p50_ms": statistics.median(latencies) * 1000,
            "health_p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000, "health_worst_ms": latencies[-1] * 1000}


def _wait_pending(server: str, namespace: str, count: int) -> None:
    deadline = time.perf_counter() + 300
    while time.perf_counter() < deadline:
        pending = httpx.get(f"{server}/_sim/namespaces/{namespace}", timeout=60).json()["pending"]
        if sum("(attempt 2)" in item["what"] for item in pending) == count:
            return
        time.sleep(0.1)
    raise SystemExit(f"the {count} retries never all waited")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=1)
    options = parser.parse_args()
    port = free_port()
    server = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
    process = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--port", str(port),
                                "--clock-start", "2025-01-20T15:00:00Z", "--freeze-clock",
                                "--webhook-policy", "loopback"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.perf_counter() + 30
        while True:
            try:
                httpx.get(f"{server}/_sim/health", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                if time.perf_counter() > deadline:
                    raise SystemExit("the simulator did not start") from None
                time.sleep(0.05)
        for round_number in range(1, options.rounds + 1):
            first = Receiver(failures=0)
            _create(f"{server}/_ns/first{round_number}", "acme-legal", first.url, options.count)
            report("first attempts", _burst(server, f"first{round_number}", first, options.count, 3600))
            first.close()
            retries = Receiver(failures=options.count)
            _create(f"{server}/_ns/retry{round_number}", "brightline-reporting", retries.url, options.count)
            _wait_pending(server, f"retry{round_number}", options.count)
            report("retries", _burst(server, f"retry{round_number}", retries, options.count, 1.25))
            retries.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def report(what: str, figures: dict[str, Any]) -> None:
    print(f"{what:>15}: delivered {figures['delivered']} (fired {figures['fired']}) in {figures['elapsed_s']:.2f} s; "
          f"the advance answered in {figures['advance_s'] * 1000:.0f} ms; /_sim/health over "
          f"{figures['health_samples']} samples p50 {figures['health_p50_ms']:.1f} ms, "
          f"p99 {figures['health_p99_ms']:.1f} ms, worst {figures['health_worst_ms']:.1f} ms", flush=True)


if __name__ == "__main__":
    main()
