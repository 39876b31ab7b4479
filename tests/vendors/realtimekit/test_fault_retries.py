"""Clients' retry logic against a fault plan: the official Cloudflare SDK, and requests with urllib3's Retry."""

from __future__ import annotations

import pytest
import requests
from cloudflare import Cloudflare, RateLimitError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from simulator.testing.server import ThreadedServer
from tests.support import Sim
from tests.vendors.realtimekit.helpers import NORTHWIND, NORTHWIND_TOKEN, WEBINARS, sessions_path

TWO_429S = {"match": {"vendor": "realtimekit", "operation": "getSessions"}, "when": {"calls": [1, 2]},
            "effect": {"status": 429, "retry_after": 1}}


def _plan(sim: Sim, *rules: dict[str, object]) -> None:
    for rule in rules:
        assert sim.http.post("/_sim/faults", json=rule).status_code == 201


def _sdk(server: ThreadedServer, sim: Sim, max_retries: int) -> Cloudflare:
    return Cloudflare(api_token=NORTHWIND_TOKEN, base_url=f"{server.url}/_ns/{sim.namespace}/client/v4",
                      _strict_response_validation=True, max_retries=max_retries)


def _get_sessions_calls(sim: Sim) -> list[int]:
    return [e["status"] for e in sim.journal(operation="getSessions")]


def test_the_sdk_with_two_retries_recovers_from_two_429s(server: ThreadedServer, sim: Sim) -> None:
    _plan(sim, TWO_429S)
    with _sdk(server, sim, max_retries=2) as sdk:
        listing = sdk.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND)
    assert listing.data is not None and listing.data.sessions
    assert _get_sessions_calls(sim) == [429, 429, 200]


def test_the_sdk_without_retries_raises_rate_limit_error(server: ThreadedServer, sim: Sim) -> None:
    _plan(sim, TWO_429S)
    with _sdk(server, sim, max_retries=0) as sdk, pytest.raises(RateLimitError) as limited:
        sdk.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND)
    assert limited.value.status_code == 429 and limited.value.response.headers["retry-after"] == "1"
    assert _get_sessions_calls(sim) == [429]


def test_a_requests_session_with_urllib3_retry_recovers(server: ThreadedServer, sim: Sim) -> None:
    _plan(sim, {**TWO_429S, "when": {"calls": [1]}},
          {"match": {"operation": "getSessions"}, "when": {"calls": [2]},
           "effect": {"status": 503, "retry_after": 1, "undeclared": True}})
    retry = Retry(total=3, status_forcelist=[429, 503], respect_retry_after_header=True)
    with requests.Session() as session:
        session.mount("http://", HTTPAdapter(max_retries=retry))
        response = session.get(f"{server.url}/_ns/{sim.namespace}{sessions_path()}", timeout=10,
                               headers={"Authorization": f"Bearer {NORTHWIND_TOKEN}"})
    assert response.status_code == 200 and response.json()["success"] is True
    assert _get_sessions_calls(sim) == [429, 503, 200]
