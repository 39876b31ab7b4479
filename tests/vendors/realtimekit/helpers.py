"""Credentials and clients for the RealtimeKit tests, taken from the default fixtures."""

from __future__ import annotations

from typing import Any

from cloudflare import Cloudflare

from simulator.app import load_fixtures
from simulator.settings import Settings
from simulator.testing.server import ThreadedServer


def fixtures() -> dict[str, Any]:
    return dict(load_fixtures(Settings().fixtures)["realtimekit"])


def _accounts() -> list[dict[str, Any]]:
    return list(fixtures()["accounts"])


NORTHWIND, HARBOR = (account["account_id"] for account in _accounts())
WEBINARS, SUPPORT = (app["app_id"] for app in _accounts()[0]["apps"])
TELEHEALTH = _accounts()[1]["apps"][0]["app_id"]
NORTHWIND_TOKEN, HARBOR_TOKEN = (token["api_token"] for token in fixtures()["api_tokens"])
KEY = fixtures()["api_keys"][0]


def client(server: ThreadedServer, namespace: str, token: str = NORTHWIND_TOKEN, **options: Any) -> Cloudflare:
    """The official SDK, strict, without retries, on one namespace of the running simulator."""
    return Cloudflare(api_token=token, base_url=f"{server.url}/_ns/{namespace}/client/v4",
                      _strict_response_validation=True, max_retries=0, **options)


def sessions_path(account_id: str = NORTHWIND, app_id: str = WEBINARS) -> str:
    return f"/client/v4/accounts/{account_id}/realtime/kit/{app_id}/sessions"
