"""Throughput of 1, 2 and 3 replicas behind nginx (deploy/nginx.conf), and of one replica without it.

    python bench/replicas.py [--seconds 8] [--connections 64] [--namespaces 60] [--rounds 2]

Needs nginx and wrk (apt-get install nginx wrk). Every replica is `python3 -m simulator serve` with
default settings; nginx runs the shipped configuration from a temporary prefix with the upstream
pointed at the replicas. wrk spreads GET /api/v1/session_requests over --namespaces namespaces
(X-Sim-Namespace, round robin), each touched once before the load so seeding is not measured.
Nothing is pinned: replicas, nginx and wrk share the machine's cores, which is the point on a small
machine. Reported: requests/s per set-up and round, and the machine's core count.
"""

from __future__ import annotations

import argparse
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

PATH = "/api/v1/session_requests?items=20"
WRK_SCRIPT = """
local n = 0
local token = "{token}"
request = function()
  n = n % {namespaces} + 1
  return wrk.format("GET", "{path}", {{["X-Sim-Namespace"] = "bench" .. n, ["Authorization"] = "Bearer " .. token}})
end
"""


def _wait_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{url} did not come up")


def _start_replicas(count: int, env: dict[str, str]) -> list[tuple[subprocess.Popen[bytes], int]]:
    started = []
    for n in range(count):
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--port", str(port),
                                    "--replica-name", f"r{n + 1}"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append((process, port))
    for _process, port in started:
        _wait_up(f"http://127.0.0.1:{port}/_sim/health")
    return started


def _start_nginx(ports: list[int], folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    servers = "".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n" for port in ports)
    conf = re.sub(r"(        server sim\d:8000[^\n]*\n)+", servers, conf)
    listen = free_port()
    temp = folder / "temp"
    temp.mkdir(parents=True)
    folder.chmod(0o755)
    temp.chmod(0o1777)
    paths = " ".join(f"{kind}_temp_path {temp}/{kind};" for kind in ("proxy", "fastcgi", "uwsgi", "scgi"))
    conf = conf.replace("listen 8000;", f"listen 127.0.0.1:{listen};")
    conf = conf.replace("http {", f"http {{\n    client_body_temp_path {temp}/body; {paths}", 1)
    (folder / "nginx.conf").write_text(conf)
    shutil.copy(ROOT / "deploy" / "sim-namespace.conf", folder)
    process = subprocess.Popen(["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e",
                                str(folder / "error.log"), "-g", f"daemon off; pid {folder}/nginx.pid;"])
    _wait_up(f"http://127.0.0.1:{listen}/_sim/health")
    return process, listen


def _touch(url: str, token: str, namespaces: int) -> None:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for n in range(1, namespaces + 1):
            answer = client.get(PATH, headers={"X-Sim-Namespace": f"bench{n}"})
            assert answer.status_code == 200, answer.text


def _wrk(url: str, script: Path, seconds: int, connections: int) -> tuple[float, int]:
    done = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
                          capture_output=True, text=True, check=True)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    return rate, int(bad.group(1)) if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--namespaces", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing (apt-get install -y {tool})")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
    env["PYTHONPATH"] = str(ROOT)
    token = subprocess.run([sys.executable, "-m", "simulator", "token", "prevail", "--ttl", "86400"], env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    print(f"{os.cpu_count()} cores; wrk -t2 -c{args.connections} -d{args.seconds}s over {args.namespaces} "
          f"namespaces, GET {PATH}")
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as work:
        script = Path(work) / "namespaces.lua"
        script.write_text(WRK_SCRIPT.format(token=token, namespaces=args.namespaces, path=PATH))
        setups = [("1 replica, direct", 1, False)] + [(f"{n} replica(s) behind nginx", n, True) for n in (1, 2, 3)]
        for round_ in range(1, args.rounds + 1):
            for label, count, balanced in setups:
                replicas = _start_replicas(count, env)
                balancer = None
                try:
                    url = f"http://127.0.0.1:{replicas[0][1]}"
                    if balanced:
                        balancer, listen = _start_nginx([port for _p, port in replicas],
                                                        Path(work) / f"nginx-{round_}-{label[0]}-{count}")
                        url = f"http://127.0.0.1:{listen}"
                    _touch(url, token, args.namespaces)
                    rate, bad = _wrk(url, script, args.seconds, args.connections)
                finally:
                    for process in [p for p, _port in replicas] + ([balancer] if balancer else []):
                        process.terminate()
                        process.wait(timeout=15)
                results.setdefault(label, []).append(rate)
                print(f"round {round_}: {label:28s} {rate:9.0f} req/s" + (f"  ({bad} non-2xx)" if bad else ""),
                      flush=True)
    print("\n| set-up | " + " | ".join(f"round {n}" for n in range(1, args.rounds + 1)) + " | mean |")
    print("| --- |" + " --- |" * (args.rounds + 1))
    for label, rates in results.items():
        cells = " | ".join(f"{rate:,.0f}".replace(",", " ") for rate in [*rates, sum(rates) / len(rates)])
        print(f"| {label} | {cells} |")


if __name__ == "__main__":
    main()
