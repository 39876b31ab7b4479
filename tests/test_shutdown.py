"""SIGTERM (or Ctrl-C): requests in flight are answered and due webhooks sent, within --shutdown-timeout."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx

from simulator.testing.server import free_port
from tests.support import WebhookReceiver, prevail_token
from tests.vendors.prevail.helpers import new_request

SLOW = {"match": {"vendor": "prevail", "operation": "listSessionRequests"}, "effect": {"latency": 1500}}


def _serve(*flags: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
    env["SIM_TICK_SECONDS"] = "3600"  # only the shutdown sends what is due, not the background tick
    process = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--port", str(port), *flags], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    banner = process.stdout.readline()
    assert banner.startswith("simulator listening on"), banner
    return process, f"http://127.0.0.1:{port}"


def test_sigterm_finishes_the_request_in_flight_and_sends_due_webhooks_then_exits_0() -> None:
    process, url = _serve()
    try:
        with WebhookReceiver() as receiver:
            token = {"Authorization": f"Bearer {prevail_token('brightline-reporting')}"}
            # self-service: the request's webhook is posted at once, due now, and waits for the next drain
            # of its namespace, which no other request of this test touches
            created = httpx.post(f"{url}/_ns/hooks/api/v1/session_requests", json=new_request(receiver.url),
                                 headers=token, timeout=10)
            assert created.status_code == 201
            assert httpx.post(f"{url}/_sim/faults", json=SLOW, timeout=10).status_code == 201
            answers: list[httpx.Response] = []
            slow = threading.Thread(target=lambda: answers.append(
                httpx.get(f"{url}/api/v1/session_requests", headers=token, timeout=30)))
            slow.start()
            time.sleep(0.5)  # the slow request is in flight
            assert receiver.received == []
            process.send_signal(signal.SIGTERM)
            slow.join(timeout=30)
            assert process.wait(timeout=30) == 0
            assert len(answers) == 1 and answers[0].status_code == 200
            assert len(receiver.received) == 1  # the due delivery went out before the exit
            port = int(url.rsplit(":", 1)[1])
            try:  # a raw socket: what matters is that nothing listens any more
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
            except ConnectionRefusedError:
                pass
            else:
                raise AssertionError("the server still accepts connections after SIGTERM")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.stderr is not None
    assert "Traceback" not in process.stderr.read()


def test_a_request_longer_than_the_shutdown_timeout_is_cut_and_the_server_still_exits_0() -> None:
    process, url = _serve("--shutdown-timeout", "0.5")
    try:
        token = {"Authorization": f"Bearer {prevail_token('brightline-reporting')}"}
        assert httpx.post(f"{url}/_sim/faults", json={**SLOW, "effect": {"latency": 20000}}, timeout=10
                          ).status_code == 201
        failures: list[httpx.Response | httpx.TransportError] = []

        def ask() -> None:
            try:
                failures.append(httpx.get(f"{url}/api/v1/session_requests", headers=token, timeout=30))
            except httpx.TransportError as error:
                failures.append(error)

        slow = threading.Thread(target=ask)
        slow.start()
        time.sleep(0.5)
        started = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        assert time.perf_counter() - started < 10  # generous: the 20 s request was not waited for
        slow.join(timeout=30)
        assert len(failures) == 1
        assert process.stderr is not None
        err = process.stderr.read()
        # uvicorn cancels it at the deadline and answers 500 (or the connection drops): never a hang
        cut = failures[0]
        assert isinstance(cut, httpx.TransportError) or (isinstance(cut, httpx.Response) and cut.status_code == 500)
        assert "timeout graceful shutdown exceeded" in err
        assert "webhook deliveries not sent" not in err  # none was waiting
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_shutdown_timeout_must_be_positive() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
    bad = subprocess.run([sys.executable, "-m", "simulator", "serve", "--shutdown-timeout", "0"], env=env,
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "shutdown_timeout must be a positive number of seconds" in bad.stderr
