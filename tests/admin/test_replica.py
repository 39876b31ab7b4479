"""Server-wide admin answers name the replica that gave them (X-Sim-Replica); namespace answers do not."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from simulator.app import create_app, replica_name
from simulator.cli import _parser, _settings
from simulator.settings import Settings, from_env
from simulator.testing.server import ThreadedServer
from tests.support import ROOT, make_settings

TOKEN = "admin-secret-for-replica-tests"
HEADERLESS = {"405", "414", "431"}  # refused before the operation is known: no replica is named


@pytest.fixture(scope="module")
def replica() -> Iterator[ThreadedServer]:
    with ThreadedServer(create_app(make_settings(replica_name="r7", admin_token=TOKEN))) as running:
        yield running


def _get(server: ThreadedServer, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"X-Sim-Admin-Token": TOKEN, **kwargs.pop("headers", {})}
    return httpx.request(method, server.url + path, headers=headers, timeout=10, **kwargs)


def test_health_and_namespace_management_name_the_replica(replica: ThreadedServer) -> None:
    _get(replica, "POST", "/_ns/rep-a/_sim/reset")
    answers = [
        _get(replica, "GET", "/_sim/health"),
        _get(replica, "GET", "/_sim/namespaces"),
        _get(replica, "GET", "/_sim/namespaces/rep-a"),
        _get(replica, "POST", "/_sim/namespaces/rep-a/copy", json={"to": "rep-b"}),
        _get(replica, "DELETE", "/_sim/namespaces/rep-b"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 201, 204]
    assert [a.headers.get("x-sim-replica") for a in answers] == ["r7"] * 5


def test_errors_of_server_wide_operations_name_it_too(replica: ThreadedServer) -> None:
    missing = _get(replica, "GET", "/_sim/namespaces/no-such-namespace")
    refused = httpx.get(f"{replica.url}/_sim/namespaces", timeout=10)  # no admin token
    assert (missing.status_code, refused.status_code) == (404, 401)
    assert missing.headers["x-sim-replica"] == refused.headers["x-sim-replica"] == "r7"


def test_namespace_and_vendor_answers_do_not(replica: ThreadedServer) -> None:
    clock = _get(replica, "GET", "/_ns/rep-c/_sim/clock")
    vendor = httpx.get(f"{replica.url}/api/v1/sessions", timeout=10)
    assert clock.status_code == 200 and vendor.status_code == 401
    assert "x-sim-replica" not in clock.headers and "x-sim-replica" not in vendor.headers


def test_the_default_name_is_hostname_and_port() -> None:
    assert replica_name(Settings(port=8123)) == f"{socket.gethostname()}:8123"
    assert replica_name(Settings(port=8123, replica_name="blue")) == "blue"


def test_the_name_comes_from_the_command_line_or_the_environment() -> None:
    assert _settings(_parser().parse_args(["serve", "--replica-name", "r2"])).replica_name == "r2"
    assert from_env({"SIM_REPLICA_NAME": "pod-3"}).replica_name == "pod-3"


@pytest.mark.parametrize("bad", ["", " edge", "two\nlines", "caf\u00e9", "x" * 129])
def test_a_name_that_cannot_be_a_header_value_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="replica_name"):
        Settings(replica_name=bad)


def test_the_spec_declares_the_header_on_every_answer_that_carries_it() -> None:
    spec = yaml.safe_load((ROOT / "specs" / "admin.yaml").read_text())
    components = spec["components"]["responses"]
    wide = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()
            if isinstance(op, dict) and op.get("x-sim-server-wide")]
    assert len(wide) == 7  # health, metrics, namespaces list, one namespace, its deletion, a copy, the dashboard
    for path, method, op in wide:
        for status, response in op["responses"].items():
            if "$ref" in response:
                response = components[response["$ref"].rsplit("/", 1)[1]]
            declared = "X-Sim-Replica" in response.get("headers", {})
            assert declared == (status not in HEADERLESS), f"{method.upper()} {path} {status}"
