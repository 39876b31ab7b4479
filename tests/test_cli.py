from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from simulator.app import create_app
from simulator.cli import main
from simulator.core.clock import wall_time
from simulator.testing.server import ThreadedServer, free_port
from tests.support import make_settings


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


def _one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("simulator: "), err
    return err


@pytest.fixture(scope="module")
def running() -> Iterator[ThreadedServer]:
    with ThreadedServer(create_app(make_settings())) as server:
        httpx.get(f"{server.url}/_sim/clock", headers={"X-Sim-Namespace": "known-one"}, timeout=10)
        yield server


def test_report_on_an_unknown_namespace_creates_nothing(running: ThreadedServer,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    before = httpx.get(f"{running.url}/_sim/namespaces", timeout=10).json()["namespaces"]
    assert main(["report", "--url", running.url, "--namespace", "typo"]) == 2
    err = _one_line(capsys.readouterr().err)
    assert "no namespace 'typo'; known: " in err and "known-one" in err
    assert httpx.get(f"{running.url}/_sim/namespaces", timeout=10).json()["namespaces"] == before
    assert main(["report", "--url", running.url, "--namespace", "known-one", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["namespace"] == "known-one"


def test_report_sends_the_admin_token(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with ThreadedServer(create_app(make_settings(admin_token="cli-admin-token"))) as guarded:
        monkeypatch.delenv("SIM_ADMIN_TOKEN", raising=False)
        assert main(["report", "--url", guarded.url]) == 2
        assert "401" in _one_line(capsys.readouterr().err)
        assert main(["report", "--url", guarded.url, "--admin-token", "cli-admin-token"]) == 0
        monkeypatch.setenv("SIM_ADMIN_TOKEN", "cli-admin-token")
        assert main(["report", "--url", guarded.url]) == 0


def test_report_to_an_unwritable_file_is_one_line(running: ThreadedServer, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--url", running.url, "--output", str(tmp_path / "no" / "such" / "dir.xml")]) == 2
    assert "cannot write" in _one_line(capsys.readouterr().err)


@pytest.mark.parametrize(("args", "expected"), [
    (["serve", "--port", "70000"], "port must be from 0 to 65535"),
    (["credentials", "--fixtures", "/no/such/fixtures.yaml"], "cannot read the fixtures file"),
    (["token", "prevail", "--fixtures", "/no/such/fixtures.yaml"], "cannot read the fixtures file"),
])
def test_cli_errors_are_one_line_and_exit_2(args: list[str], expected: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert expected in _one_line(capsys.readouterr().err)


def test_verify_without_a_working_schemathesis_says_to_install_the_test_extras(tmp_path: Path) -> None:
    broken = tmp_path / "schemathesis"
    broken.mkdir()
    (broken / "__init__.py").write_text("raise ImportError(\"No module named 'hypothesis'\")\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-m", "simulator", "verify", "prevail", "--base-url",
                             "http://127.0.0.1:9"], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2
    err = _one_line(result.stderr)
    assert "pip install -e '.[test]'" in err and "hypothesis" in err


def test_webhook_flags_reach_every_namespace_sender() -> None:
    from simulator.app import build_pipeline
    from simulator.cli import _parser, _settings

    args = _parser().parse_args(["serve", "--webhook-allow", "Metadata.Google.Internal, hooks.test:8080",
                                 "--webhook-concurrency", "4", "--webhook-timeout", "2.5"])
    sender = build_pipeline(_settings(args)).registry.get("flags").webhooks
    assert sender.rules.allow == {"metadata.google.internal", "hooks.test"}
    assert (sender.concurrency, sender.timeout, sender.rules.policy) == (4, 2.5, "any")
