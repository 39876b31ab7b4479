from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import jwt
import pytest

from simulator.cli import main
from simulator.core.clock import wall_time
from simulator.testing.server import free_port


def test_credentials_json_lists_every_tenant_with_a_ready_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["credentials", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert {org["slug"] for org in found["prevail"]} == {"acme-legal", "brightline-reporting"}
    for org in found["prevail"]:
        assert set(org) >= {"slug", "api_key", "token"}
        claims = jwt.decode(org["token"], org["api_key"], algorithms=["HS256"])
        assert claims["slug"] == org["slug"] and claims["exp"] > wall_time() + 10 * 365 * 86400


def test_credentials_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["credentials"]) == 0
    assert "acme-legal" in capsys.readouterr().out


def test_token_prevail(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "prevail", "--tenant", "brightline-reporting", "--ttl", "60"]) == 0
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, "prevail-dev-key-brightline-8d3e6b0c5a", algorithms=["HS256"])
    assert claims["slug"] == "brightline-reporting" and 0 < claims["exp"] - wall_time() <= 61


def test_token_for_an_unknown_tenant_fails_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "prevail", "--tenant", "nobody"]) == 2
    assert "nobody" in capsys.readouterr().err


def test_bad_setting_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--journal-size", "0"]) == 2
    assert "journal_size" in capsys.readouterr().err


def test_python_dash_m_serve_starts_and_stops() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
    process = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.perf_counter() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/_sim/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.perf_counter() < deadline, "server did not come up"
                time.sleep(0.05)
        assert response.json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def test_webhook_flags_reach_every_namespace_sender() -> None:
    from simulator.app import build_dispatcher
    from simulator.cli import _parser, _settings

    args = _parser().parse_args(["serve", "--webhook-allow", "Metadata.Google.Internal, hooks.test:8080",
                                 "--webhook-concurrency", "4", "--webhook-timeout", "2.5"])
    sender = build_dispatcher(_settings(args)).registry.get("flags").webhooks
    assert sender.rules.allow == {"metadata.google.internal", "hooks.test"}
    assert (sender.concurrency, sender.timeout, sender.rules.policy) == (4, 2.5, "any")
