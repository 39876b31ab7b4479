"""`serve --log-format json` (or SIM_LOG_FORMAT=json): one JSON line per request on standard output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import orjson

from simulator.settings import Settings, from_env
from simulator.testing.server import free_port
from tests.support import prevail_token

FIELDS = {"time", "namespace", "vendor", "operation", "method", "path", "status", "duration_ms"}


def _serve(port: int, flags: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--port", str(port), *flags], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    banner = process.stdout.readline()
    assert banner.startswith("simulator listening on"), banner
    return process


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}


def test_json_log_has_one_line_per_request() -> None:
    port = free_port()
    process = _serve(port, ["--log-format", "json"], _clean_env())
    url = f"http://127.0.0.1:{port}"
    try:
        token = {"Authorization": f"Bearer {prevail_token()}"}
        assert httpx.get(f"{url}/_ns/logs/api/v1/session_requests", headers=token, timeout=10).status_code == 200
        assert httpx.get(f"{url}/_sim/health", timeout=10).status_code == 200
        assert httpx.get(f"{url}/no/such/path", timeout=10).status_code == 404
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    lines = [orjson.loads(line) for line in out.splitlines()]
    assert len(lines) == 3, (out, err)
    assert all(set(line) == FIELDS for line in lines)
    first, health, unknown = lines
    assert first["namespace"] == "logs" and first["vendor"] == "prevail"
    assert first["operation"] == "listSessionRequests" and first["method"] == "GET"
    assert first["path"] == "/api/v1/session_requests" and first["status"] == 200 and first["duration_ms"] > 0
    assert first["time"].endswith("Z")
    assert (health["vendor"], health["operation"], health["namespace"]) == ("admin", "getHealth", "default")
    assert (unknown["vendor"], unknown["operation"], unknown["status"]) == ("none", None, 404)


def test_log_format_comes_from_the_environment_and_is_checked() -> None:
    assert from_env({"SIM_LOG_FORMAT": "json"}).log_format == "json"
    assert Settings().log_format == "text"
    try:
        Settings(log_format="xml")
    except ValueError as error:
        assert "log_format must be one of text, json" in str(error)
    else:
        raise AssertionError("xml accepted")
    port = free_port()
    process = _serve(port, [], {**_clean_env(), "SIM_LOG_FORMAT": "json"})
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/_sim/health", timeout=10).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        out, _err = process.communicate(timeout=20)
    assert orjson.loads(out.splitlines()[0])["operation"] == "getHealth"
    bad = subprocess.run([sys.executable, "-m", "simulator", "serve", "--log-format", "xml"], env=_clean_env(),
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "invalid choice: 'xml'" in bad.stderr


def test_text_format_writes_no_request_lines() -> None:
    port = free_port()
    process = _serve(port, [], _clean_env())
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/_sim/health", timeout=10).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        out, _err = process.communicate(timeout=20)
    assert out == ""
