"""`simulator serve` as a user starts it: banner after the bind, a clear line for a busy port, the
admin token, and the namespace limit as a flag."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from simulator.testing.server import free_port


@contextmanager
def serving(*flags: str) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """A `python -m simulator serve` on a free port; yields (process, url, the banner lines)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
    process = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--port", str(port), *flags], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # blocks until the banner: printed once the port accepts
        assert first.startswith("simulator listening on"), (first, process.stderr.read() if process.stderr else "")
        banner = [first]
        if "--admin-token" in flags:
            banner.append(process.stdout.readline())
        yield process, f"http://127.0.0.1:{port}", banner
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def test_the_banner_comes_once_the_port_answers() -> None:
    with serving() as (_process, url, _banner):
        assert httpx.get(f"{url}/_sim/health", timeout=5).status_code == 200  # no retry needed after the banner


def test_a_port_in_use_is_one_clear_line_and_exit_2() -> None:
    with serving() as (_process, url, _banner):
        port = url.rsplit(":", 1)[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
        second = subprocess.run([sys.executable, "-m", "simulator", "serve", "--port", port], env=env,
                                capture_output=True, text=True, timeout=30)
    assert second.returncode == 2
    assert second.stdout == ""
    assert second.stderr.strip().splitlines() == [
        f"simulator: cannot listen on 127.0.0.1:{port}: the port is already in use"]


def test_a_generated_admin_token_is_printed_and_required() -> None:
    with serving("--admin-token", "generate") as (_process, url, banner):
        token = banner[1].rsplit(" ", 1)[1].strip()
        assert len(token) >= 24
        assert httpx.get(f"{url}/_sim/health", timeout=5).status_code == 200  # health checks stay open
        refused = httpx.get(f"{url}/_sim/journal", timeout=5)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "admin_token_required"
        assert httpx.get(f"{url}/_sim/journal", headers={"X-Sim-Admin-Token": token}, timeout=5).status_code == 200


def test_max_namespaces_is_a_flag() -> None:
    with serving("--max-namespaces", "2") as (_process, url, _banner):
        for name in ("one", "two"):
            assert httpx.get(f"{url}/_ns/{name}/_sim/clock", timeout=5).status_code == 200
        third = httpx.get(f"{url}/_ns/three/_sim/clock", timeout=5)
        assert third.status_code == 429
        assert "Namespace limit reached (2)" in third.json()["error"]["message"]


def test_ctrl_c_stops_the_server_quietly_with_exit_0() -> None:
    with serving() as (process, url, _banner):
        assert httpx.get(f"{url}/_sim/health", timeout=5).status_code == 200
    assert process.returncode == 0
    assert process.stderr is not None
    assert "Traceback" not in process.stderr.read()
