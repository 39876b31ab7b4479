"""Throughput, start-up and memory of the simulator against a bare Starlette floor, in one run.

    python bench/prevail_throughput.py [--seconds 10] [--connections 32] [--rounds 3] [--faults PLAN]

Needs `wrk` (Debian/Ubuntu: apt-get install wrk). Both servers run the same uvicorn, one process
each, on loopback, pinned to core 0 with wrk on core 1 (taskset); wrk alternates between them so
machine noise hits both alike. Reported:
requests/s of GET /api/v1/session_requests (the simulator with request validation, auth, state and
the journal on) and of the bare app serving the same bytes, their ratio; time from process start to
the first 200; RSS after each load round (flat RSS across rounds = the journal stays bounded).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.testing.server import free_port  # noqa: E402

PATH = "/api/v1/session_requests"


def _wait_ok(url: str, headers: dict[str, str], started: float, timeout: float = 30) -> float:
    while True:
        try:
            if httpx.get(url, headers=headers, timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"no 200 from {url} within {timeout} s")
        time.sleep(0.002)


def _rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else float("nan")


def _pin(core: int) -> list[str]:
    """Servers on core 0, wrk on core 1 (on a 2-core machine), so they do not fight for a core."""
    return ["taskset", "-c", str(core)] if shutil.which("taskset") and (os.cpu_count() or 1) >= 2 else []


def _wrk(url: str, headers: dict[str, str], seconds: int, connections: int) -> float:
    args = [*_pin(1), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--faults", type=Path, help="serve with this fault plan (e.g. bench/faults_never_match.yaml)")
    options = parser.parse_args()

    token = json.loads(subprocess.run([sys.executable, "-m", "simulator", "credentials", "--json"], cwd=ROOT,
                                      capture_output=True, text=True, check=True).stdout)["prevail"][0]["token"]
    headers = {"Authorization": f"Bearer {token}"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}

    sim_port = free_port()
    started = time.perf_counter()
    plan = ["--faults", str(options.faults.resolve())] if options.faults else []
    sim = subprocess.Popen([*_pin(0), sys.executable, "-m", "simulator", "serve", "--port", str(sim_port), *plan],
                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    sim_url = f"http://127.0.0.1:{sim_port}"
    health_s = _wait_ok(f"{sim_url}/_sim/health", {}, started)
    first_page_s = _wait_ok(sim_url + PATH, headers, started)
    body = httpx.get(sim_url + PATH, headers=headers).content
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        handle.write(body)
    bare_port = free_port()
    bare = subprocess.Popen([*_pin(0), sys.executable, str(ROOT / "bench" / "bare_app.py"), handle.name,
                             str(bare_port)])
    bare_url = f"http://127.0.0.1:{bare_port}"
    _wait_ok(bare_url + PATH, {}, time.perf_counter())
    try:
        rows = []
        for round_no in range(1, options.rounds + 1):
            bare_rps = _wrk(bare_url + PATH, {}, options.seconds, options.connections)
            sim_rps = _wrk(sim_url + PATH, headers, options.seconds, options.connections)
            rows.append((round_no, sim_rps, bare_rps, _rss_mib(sim.pid), _rss_mib(bare.pid)))
        journal = httpx.get(f"{sim_url}/_sim/journal?limit=1").json()
    finally:
        sim.terminate()
        bare.terminate()
        sim.wait()
        bare.wait()
        os.unlink(handle.name)

    print(f"body: {len(body)} bytes (20 session requests, pagy wrapper)")
    print(f"start-up: first 200 on /_sim/health after {health_s * 1000:.0f} ms; first 200 on {PATH} after "
          f"{first_page_s * 1000:.0f} ms (includes seeding the namespace)")
    print("round  simulator req/s  bare req/s  ratio  simulator RSS MiB  bare RSS MiB")
    for round_no, sim_rps, bare_rps, sim_rss, bare_rss in rows:
        print(f"{round_no:5d}  {sim_rps:15.0f}  {bare_rps:10.0f}  {sim_rps / bare_rps:5.2f}  {sim_rss:17.1f}  "
              f"{bare_rss:12.1f}")
    best = max(rows, key=lambda r: r[1] / r[2])
    mean_ratio = sum(r[1] / r[2] for r in rows) / len(rows)
    print(f"ratio mean {mean_ratio:.2f} (best {best[1] / best[2]:.2f}); journal holds "
          f"{journal['capacity']} entries at most, last seq {journal['entries'][-1]['seq']}")


if __name__ == "__main__":
    main()
