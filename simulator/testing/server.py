"""A real uvicorn server (with the request limits of ``simulator serve``) on a free loopback port, in a
background thread, stopped on demand."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from simulator.core.clock import monotonic
from simulator.serving import uvicorn_config
from simulator.settings import Settings


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThreadedServer:
    def __init__(self, app: Any, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = getattr(getattr(app, "state", None), "settings", None) or Settings()
        self._server = uvicorn.Server(uvicorn_config(app, settings.with_(access_log=False), "127.0.0.1", self.port))
        self._thread = threading.Thread(target=self._server.run, name=f"simulator:{self.port}", daemon=True)

    def start(self, timeout: float = 10.0) -> ThreadedServer:
        self._thread.start()
        deadline = monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the simulator server thread exited during start-up")
            if monotonic() > deadline:
                raise TimeoutError(f"the simulator did not start within {timeout} s")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
