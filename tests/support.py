"""Shared helpers for the test suite: a client bound to one namespace, tokens, a webhook receiver."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from simulator.app import load_fixtures
from simulator.core.clock import parse_instant
from simulator.settings import Settings
from simulator.vendors import prevail

CLOCK_START = "2025-01-20T15:00:00Z"
ROOT = Path(__file__).resolve().parents[1]


def run_readme_block(block: str, server_url: str, port: int = 8000, cwd: Path = ROOT,
                     timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """A README shell block as a user runs it, against a test server instead of the one it starts."""
    script = "\n".join(line for line in block.splitlines() if "simulator serve" not in line)
    script = script.replace(f"http://127.0.0.1:{port}", server_url).replace("python3 ", f"{sys.executable} ")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)


def make_settings(**changes: Any) -> Settings:
    base = Settings(seed=7, clock_start=parse_instant(CLOCK_START).timestamp(), clock_frozen=True,
                    validate_responses=True, webhook_policy="loopback")
    return base.with_(**changes)


def prevail_fixtures() -> dict[str, Any]:
    return dict(load_fixtures(Settings().fixtures)["prevail"])


def prevail_token(slug: str = "acme-legal", ttl: int | None = None, now: float | None = None) -> str:
    at = parse_instant(CLOCK_START).timestamp() if now is None else now
    return prevail.token(prevail_fixtures(), slug, ttl, at)


@dataclass
class Sim:
    """A client of one namespace of a running simulator, with the admin calls tests need."""

    base: str  # server URL with the /_ns/NAME prefix
    namespace: str
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base, timeout=10)

    def prevail(self, slug: str = "acme-legal") -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=10,
                            headers={"Authorization": f"Bearer {prevail_token(slug)}"})

    def advance(self, seconds: float) -> dict[str, Any]:
        response = self.http.post("/_sim/clock/advance", json={"seconds": seconds})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def now(self) -> float:
        return parse_instant(self.http.get("/_sim/clock").json()["now"]).timestamp()

    def journal(self, **params: Any) -> list[dict[str, Any]]:
        response = self.http.get("/_sim/journal", params=params)
        assert response.status_code == 200, response.text
        return list(response.json()["entries"])

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            time.sleep(0.02)

    def close(self) -> None:
        self.http.close()


class _ReceiverServer(http.server.ThreadingHTTPServer):
    request_queue_size = 128  # bursts of deliveries connect at once; the default backlog of 5 drops some


class WebhookReceiver:
    """A loopback HTTP server that records POSTs; it can fail the first N with 500."""

    def __init__(self, failures: int = 0):
        self.received: list[bytes] = []
        self.failures = failures
        self.failed = 0  # answers 500 so far
        lock = threading.Lock()  # the server answers on one thread per connection
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    fail = outer.failures > 0
                    if fail:
                        outer.failures -= 1
                        outer.failed += 1
                    else:
                        outer.received.append(body)
                self.send_response(500 if fail else 204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        self._server = _ReceiverServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
