"""Start-up time: from process start to the first answer of `/_sim/health` and of each vendor.

    python3 bench/startup.py [--runs 7] [--checkout DIR ...] [--targets health prevail ...]

Every measurement spawns its own `python3 -m simulator serve --port P` and polls one URL (1 ms
apart) until its first 200: the time from the spawn to that answer is what a client that starts the
server and calls one vendor waits. Each vendor's figure therefore includes its own first touch
(seeding the default namespace), and nothing of the other vendors'. Runs report the median and the
worst. With several ``--checkout`` directories (say, a worktree of the previous commit and this one)
the runs alternate between them, so a busy machine slows both alike. Beside the wall time, each
figure has the CPU time the server had used by then (all its threads, from ``/proc``): on a busy
machine the wall time mostly measures the other work, the CPU time much less so.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.testing.server import free_port  # noqa: E402

Target = tuple[str, dict[str, str], dict[str, str]]  # path, query, headers


def targets(checkout: Path) -> dict[str, Target]:
    """label -> one cheap, always-200 read: health, then one per vendor with the development credentials."""
    printed = subprocess.run([sys.executable, "-m", "simulator", "credentials", "--json"], cwd=checkout,
                             env=_env(checkout), capture_output=True, text=True, check=True).stdout
    creds = json.loads(printed)
    prevail, kore, vonage, rtk = creds["prevail"][0], creds["koreai"][0], creds["vonage"][0], creds["realtimekit"][0]
    today = datetime.now(UTC).date()
    window = {"from_date": str(today - timedelta(days=30)), "to_date": str(today), "page_size": "1"}
    return {
        "health": ("/_sim/health", {}, {}),
        "prevail": ("/api/v1/session_requests", {}, {"Authorization": f"Bearer {prevail['token']}"}),
        "koreai": (f"/api/public/bot/{kore['bot_ids'][0]}/v2/recordings", {"sessionId": "65a1f0c2e4b0a1b2c3d4e5f6"},
                   {"auth": kore["token"]}),
        "vonage": ("/insights/sessions", window, {"X-Vgai-Key": vonage["api_key"]}),
        "realtimekit": (f"/client/v4/accounts/{rtk['account_id']}/realtime/kit/{rtk['app_ids'][0]}/sessions", {},
                        {"Authorization": f"Bearer {rtk['api_token']}"}),
    }


def _env(checkout: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(checkout)}


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by every thread of process ``pid`` (Linux ``schedstat``: nanoseconds on a CPU)."""
    return sum(int((task / "schedstat").read_text().split()[0]) for task in Path(f"/proc/{pid}/task").iterdir()) / 1e9


def first_answer(checkout: Path, target: Target, timeout: float = 30) -> tuple[float, float]:
    """(wall, CPU) seconds from spawning a server in ``checkout`` to its first 200 on ``target``."""
    path, query, headers = target
    port = free_port()
    url = f"http://127.0.0.1:{port}{path}"
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--port", str(port)], cwd=checkout,
                               env=_env(checkout), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(timeout=10) as client:
            while True:
                try:
                    response = client.get(url, params=query, headers=headers)
                    if response.status_code == 200:
                        return time.perf_counter() - started, cpu_seconds(process.pid)
                    raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
                except httpx.TransportError:
                    pass
                if time.perf_counter() - started > timeout:
                    raise SystemExit(f"no 200 from {path} within {timeout} s")
                time.sleep(0.001)
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--checkout", type=Path, action="append", help="source tree to start (default: this one)")
    parser.add_argument("--targets", nargs="*", help="labels to measure (default: health and every vendor)")
    args = parser.parse_args()
    checkouts = [path.resolve() for path in args.checkout or [ROOT]]
    reads = targets(checkouts[0])
    labels = args.targets or list(reads)
    runs: dict[Path, dict[str, list[tuple[float, float]]]] = {checkout: {label: [] for label in labels}
                                                               for checkout in checkouts}
    for _ in range(args.runs):
        for label in labels:
            for checkout in checkouts:
                runs[checkout][label].append(first_answer(checkout, reads[label]))
    for checkout, figures in runs.items():
        print(f"{checkout}: {args.runs} runs, ms from spawn to the first 200: wall median / worst, CPU median / worst")
        for label, values in figures.items():
            walls, cpus = [wall * 1000 for wall, _ in values], [cpu * 1000 for _, cpu in values]
            print(f"  {label:<12} {statistics.median(walls):6.0f} {max(walls):6.0f}"
                  f"   {statistics.median(cpus):6.0f} {max(cpus):6.0f}")


if __name__ == "__main__":
    main()
