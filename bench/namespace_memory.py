"""Memory of idle Vonage namespaces before and after eviction, and how the server answers meanwhile.

Starts ``python -m simulator serve --namespace-ttl TTL`` on a free port, seeds N namespaces with one
Vonage search each, reads the server's RSS, waits until eviction has dropped them, and reads it again.
While the namespaces are seeded one after another, another thread times ``GET /_sim/health``.

    python3 bench/namespace_memory.py --namespaces 100 --ttl 90 --rounds 2
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.cli import all_credentials
from simulator.settings import Settings
from simulator.testing.server import free_port


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument("--ttl", type=float, default=90.0, help="longer than seeding them all takes")
    parser.add_argument("--rounds", type=int, default=2, help="fill and evict this many times")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
    server = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--port", str(port),
                               "--namespace-ttl", str(args.ttl)], env=env, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    server.stdout.readline()
    key = all_credentials(Settings())["vonage"][0]["api_key"]
    try:
        httpx.get(f"{url}/_sim/health").raise_for_status()
        print(f"server RSS at start: {rss_mib(server.pid):.1f} MiB")
        for round_number in range(1, args.rounds + 1):
            fill_and_evict(url, server.pid, key, args.namespaces, args.ttl, round_number)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)


def fill_and_evict(url: str, pid: int, key: str, count: int, ttl: float, round_number: int) -> None:
    query = {"from_date": "2025-01-01", "to_date": "2025-01-20"}
    latencies: list[float] = []
    done = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=url) as client:
            while not done.is_set():
                started = time.perf_counter()
                client.get("/_sim/health").raise_for_status()
                latencies.append(time.perf_counter() - started)
                time.sleep(0.01)

    prober = threading.Thread(target=probe)
    prober.start()
    started = time.perf_counter()
    with httpx.Client(base_url=url, headers={"X-Vgai-Key": key}, timeout=120) as client:
        for index in range(count):
            client.get(f"/_ns/mem-{index}/insights/sessions", params=query).raise_for_status()
    seeded = time.perf_counter() - started
    done.set()
    prober.join()
    before = rss_mib(pid)
    latencies.sort()
    print(f"round {round_number}: {count} Vonage namespaces seeded in {seeded:.1f} s "
          f"({seeded / count * 1000:.0f} ms each); RSS {before:.1f} MiB")
    print(f"health meanwhile: {len(latencies)} probes, p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms, worst {latencies[-1] * 1000:.1f} ms")
    deadline = time.perf_counter() + ttl + 30
    while time.perf_counter() < deadline:
        names = httpx.get(f"{url}/_sim/namespaces").json()["namespaces"]
        if not any(name.startswith("mem-") for name in names):
            break
        time.sleep(0.5)
    time.sleep(1)
    after = rss_mib(pid)
    print(f"after eviction (ttl {ttl:g} s): namespaces {names}, RSS {after:.1f} MiB "
          f"({before - after:.1f} MiB given back)")


if __name__ == "__main__":
    main()
