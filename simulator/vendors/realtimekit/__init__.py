"""Cloudflare RealtimeKit sessions: analytics, participants, peer reports, chat, transcripts, summaries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core.auth import bearer_token
from simulator.core.plugin import VendorPlugin
from simulator.core.ratelimit import Limit, RateProfile
from simulator.vendors.realtimekit.errors import RealtimeKitErrors
from simulator.vendors.realtimekit.fixture_schema import SCHEMA
from simulator.vendors.realtimekit.handlers import ADMIN_HANDLERS, HANDLERS, authenticate
from simulator.vendors.realtimekit.handmade import store_sessions
from simulator.vendors.realtimekit.records import RECORDS
from simulator.vendors.realtimekit.seed import seeded


def credentials(fixtures: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per API token and account it sees, then one per global API key (sent as
    ``X-Auth-Email`` + ``X-Auth-Key``; ``api_email`` / ``api_key`` as the SDK names them) and account,
    each with that account's app ids."""
    apps: dict[str, list[str]] = {
        account["account_id"]: [app["app_id"] for app in account.get("apps", [])]
        for account in fixtures.get("accounts", [])
    }
    tokens = [
        {"api_token": token["api_token"], "account_id": account_id, "app_ids": apps.get(account_id, [])}
        for token in fixtures.get("api_tokens", [])
        for account_id in token.get("account_ids", [])
    ]
    keys = [
        {"api_email": key["email"], "api_key": key["api_key"], "account_id": account_id,
         "app_ids": apps.get(account_id, [])}
        for key in fixtures.get("api_keys", [])
        for account_id in key.get("account_ids", [])
    ]
    return tokens + keys


def rate_limit_tenant(headers: Mapping[str, str], _query: str) -> str | None:
    """The user: an API token (``Authorization: Bearer``), or the ``X-Auth-Email`` of a global API key."""
    token = bearer_token(headers.get("authorization"))
    if token:
        return f"token:{token}"
    email = headers.get("x-auth-email")
    return f"email:{email.strip().lower()}" if email else None


# Cloudflare's API allows 1,200 requests per five minutes per user: a full bucket of 1,200 refilling 4 per second.
CLOUDFLARE_LIMIT = Limit(capacity=1200, refill_per_second=4.0, per="tenant", preset="vendor")
CLOUDFLARE_LIMIT_SOURCE = "Cloudflare API: 1,200 requests per 5 minutes per user"

PLUGIN = VendorPlugin(
    name="realtimekit",
    client_base="/client/v4",
    spec_file="realtimekit.yaml",
    prefixes=("/client/v4/",),
    handlers=HANDLERS,
    admin_handlers={**ADMIN_HANDLERS, "storeRealtimeKitSessions": store_sessions},
    seed_path="/_sim/realtimekit/sessions",
    verifiers={"apiToken": authenticate, "apiEmail": authenticate, "apiKey": authenticate},
    errors=RealtimeKitErrors(),
    backend=seeded,
    records=RECORDS,
    credentials=credentials,
    fixture_schema=SCHEMA,
    rate_limits=RateProfile(rate_limit_tenant, CLOUDFLARE_LIMIT, CLOUDFLARE_LIMIT_SOURCE),
)
