"""Credentials, accounts, Cloudflare's error envelope, and what real clients send (extra headers, date
and number spellings)."""

from __future__ import annotations

import httpx
import pytest
from cloudflare import AuthenticationError, Cloudflare, PermissionDeniedError, RateLimitError, UnprocessableEntityError

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import Sim, make_settings
from tests.vendors.realtimekit.helpers import (
    HARBOR,
    HARBOR_TOKEN,
    KEY,
    NORTHWIND,
    NORTHWIND_TOKEN,
    TELEHEALTH,
    WEBINARS,
    client,
    sessions_path,
)


def _count(cf: Cloudflare, app_id: str, account_id: str) -> int:
    listing = cf.realtime_kit.sessions.get_sessions(app_id, account_id=account_id)
    assert listing.paging is not None and listing.paging.total_count is not None
    return int(listing.paging.total_count)


def test_a_token_sees_only_its_accounts(server: ThreadedServer, sim: Sim) -> None:
    with client(server, sim.namespace, token=HARBOR_TOKEN) as harbor:
        assert _count(harbor, TELEHEALTH, HARBOR) > 0
        with pytest.raises(PermissionDeniedError) as denied:
            harbor.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND)
    assert denied.value.status_code == 403
    body = denied.value.body
    assert isinstance(body, dict) and body["success"] is False and body["errors"][0]["code"] == 10000
    assert NORTHWIND in body["errors"][0]["message"]


def test_email_and_global_key_see_every_account_of_the_user(server: ThreadedServer, sim: Sim) -> None:
    base_url = f"{server.url}/_ns/{sim.namespace}/client/v4"
    with Cloudflare(api_email=KEY["email"], api_key=KEY["api_key"], base_url=base_url,
                    _strict_response_validation=True, max_retries=0) as by_key:
        assert _count(by_key, WEBINARS, NORTHWIND) > 0 and _count(by_key, TELEHEALTH, HARBOR) > 0
    with Cloudflare(api_email=KEY["email"], api_key="wrong", base_url=base_url, max_retries=0) as wrong, \
            pytest.raises(AuthenticationError):
        wrong.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND)


def test_missing_unknown_or_half_credentials_are_401(sim: Sim) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic Zm9vOmJhcg=="},
                    {"X-Auth-Email": KEY["email"]}):
        response = sim.http.get(sessions_path(), headers=headers)
        assert response.status_code == 401, headers
        body = response.json()
        assert body["success"] is False and body["messages"] == [] and body["result"] is None
        assert body["errors"][0]["code"] == 10000 and body["errors"][0]["message"].startswith("Authentication error")


def test_unknown_token_through_the_sdk(server: ThreadedServer, sim: Sim) -> None:
    with client(server, sim.namespace, token="nope") as stranger, pytest.raises(AuthenticationError):
        stranger.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND)


def test_invalid_values_are_422_naming_the_field_and_rule(cf: Cloudflare, sim: Sim) -> None:
    with pytest.raises(UnprocessableEntityError) as invalid:
        cf.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND, status="PAUSED")  # type: ignore[arg-type]
    [error] = invalid.value.body["errors"]  # type: ignore[index]
    assert error["code"] == 422 and error["message"].startswith("query.status:")
    assert error["source"]["pointer"].endswith("/enum")
    headers = {"Authorization": f"Bearer {cf.api_token}"}
    bad = sim.http.get(sessions_path(), headers=headers,
                       params={"per_page": "ten", "start_time": "yesterday", "sort_order": "up"})
    assert bad.status_code == 422
    fields = sorted({e["message"].split(":")[0] for e in bad.json()["errors"]})
    assert fields == ["query.per_page", "query.sort_order", "query.start_time"]
    rooms = sim.http.get(f"{sessions_path()}/00000000-0000-4000-8000-000000000000", headers=headers,
                         params={"include_breakout_rooms": "yes"})
    assert rooms.status_code == 422
    unrouted = sim.http.get("/client/v4/accounts/x/realtime/kit/y/nothing", headers=headers)
    assert unrouted.status_code == 404 and unrouted.json()["errors"][0]["code"] == 7003


def test_what_real_clients_send_is_accepted(cf: Cloudflare, sim: Sim) -> None:
    headers = {"Authorization": f"Bearer {cf.api_token}", "api-version": "2024-01-01",
               "X-Stainless-Lang": "python", "X-Stainless-Retry-Count": "0", "X-Unknown": "1"}
    params = {"per_page": "3.0", "page_no": "1.0", "start_time": "2024-12-01T00:00:00+00:00",
              "end_time": "2025-01-20T15:00:00Z", "unknown_parameter": "ignored"}
    listing = sim.http.get(sessions_path(), headers=headers, params=params)
    assert listing.status_code == 200, listing.text
    body = listing.json()
    assert body["success"] is True and len(body["data"]["sessions"]) == 3
    session_id = body["data"]["sessions"][0]["id"]
    details = sim.http.get(f"{sessions_path()}/{session_id}", headers=headers,
                           params={"include_breakout_rooms": "false"})
    assert details.status_code == 200 and "breakout_rooms" not in details.json()["data"]
    with_rooms = sim.http.get(f"{sessions_path()}/{session_id}", headers=headers,
                              params={"include_breakout_rooms": "true"})
    assert isinstance(with_rooms.json()["data"]["breakout_rooms"], list)


def test_downloads_need_no_credentials_but_a_signature(sim: Sim) -> None:
    unsigned = httpx.get(f"{sim.base}/_sim/files/realtimekit/00000000-0000-4000-8000-000000000000/chat.csv")
    assert unsigned.status_code == 403 and "<Code>AccessDenied</Code>" in unsigned.text


def test_bad_namespace_is_400_and_the_namespace_limit_429_in_cloudflare_shape(server: ThreadedServer) -> None:
    headers = {"Authorization": f"Bearer {NORTHWIND_TOKEN}"}
    bad = httpx.get(f"{server.url}/_ns/-bad-/{sessions_path().lstrip('/')}", headers=headers)
    assert bad.status_code == 400
    assert bad.json()["success"] is False and bad.json()["errors"][0]["code"] == 400
    with ThreadedServer(create_app(make_settings(max_namespaces=1))) as small:
        assert httpx.get(f"{small.url}/_ns/first{sessions_path()}", headers=headers).status_code == 200
        with client(small, "second") as sdk, pytest.raises(RateLimitError) as limited:
            sdk.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND)
    assert limited.value.status_code == 429 and limited.value.response.headers["retry-after"] == "1"
    assert limited.value.body["errors"][0]["code"] == 971  # type: ignore[index]
