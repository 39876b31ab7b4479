"""Kore.ai SmartAssist: voice call recordings (Fetch Call Recording v2) behind signed media URLs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core.auth import sign_hs256
from simulator.core.errors import NotFound
from simulator.core.plugin import VendorPlugin
from simulator.core.ratelimit import RateProfile, jwt_claim
from simulator.vendors.koreai.errors import KoreaiErrors
from simulator.vendors.koreai.fixture_schema import SCHEMA
from simulator.vendors.koreai.handlers import ADMIN_HANDLERS, HANDLERS, authenticate
from simulator.vendors.koreai.records import RECORDS
from simulator.vendors.koreai.seed import seeded

# Development tokens from `simulator credentials` expire on 2100-01-01, on any clock a test will set.
LONG_LIVED_EXP = 4102444800
# Kore.ai only asks that `sub` identify the caller; the development tokens name the integration.
TOKEN_SUBJECT = "simulator-dev"


def token(fixtures: Mapping[str, Any], tenant: str | None, ttl: int | None, now: float) -> str:
    apps = fixtures.get("apps", [])
    app = next((a for a in apps if tenant in (None, a["client_id"])), None)
    if app is None:
        raise NotFound(f"No Kore.ai app with client id {tenant!r} in the fixtures")
    exp = LONG_LIVED_EXP if ttl is None else int(now) + ttl
    return sign_hs256({"sub": TOKEN_SUBJECT, "appId": app["client_id"], "exp": exp}, app["client_secret"])


def credentials(fixtures: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"client_id": app["client_id"], "client_secret": app["client_secret"], "name": app.get("name"),
         "bot_ids": list(app.get("bot_ids", [])), "token": token(fixtures, app["client_id"], None, 0)}
        for app in fixtures.get("apps", [])
    ]


def rate_limit_tenant(headers: Mapping[str, str], _query: str) -> str | None:
    """The app (the JWT's ``appId``) of the ``auth`` header; signed media URLs carry no credential."""
    token = (headers.get("auth") or "").strip()
    if not token:
        return None
    app_id = jwt_claim(token, "appId")
    return f"app:{app_id}" if app_id is not None else f"token:{token}"


PLUGIN = VendorPlugin(
    name="koreai",
    seed_path="/_sim/koreai/calls",
    seed_takes_list=False,  # the admin operation starts one call per request
    spec_file="koreai.yaml",
    prefixes=("/api/public/bot/", "/api/getMediaStream/"),
    handlers=HANDLERS,
    admin_handlers=ADMIN_HANDLERS,
    verifiers={"koreaiJwt": authenticate},
    errors=KoreaiErrors(),
    backend=seeded,
    records=RECORDS,
    credentials=credentials,
    fixture_schema=SCHEMA,
    token=token,
    rate_limits=RateProfile(rate_limit_tenant),  # the Fetch Call Recording page publishes no limit
)
