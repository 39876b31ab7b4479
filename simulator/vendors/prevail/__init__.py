"""Prevail remote depositions: session requests, sessions, recordings, transcripts, webhooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core.auth import bearer_token, sign_hs256
from simulator.core.errors import NotFound
from simulator.core.plugin import VendorPlugin
from simulator.core.ratelimit import RateProfile, jwt_claim, query_value
from simulator.vendors.prevail import postback
from simulator.vendors.prevail.errors import PrevailErrors
from simulator.vendors.prevail.fixture_schema import SCHEMA
from simulator.vendors.prevail.handlers import ADMIN_HANDLERS, EFFECTS, HANDLERS, authenticate
from simulator.vendors.prevail.records import RECORDS
from simulator.vendors.prevail.seed import seeded

# Development tokens from `simulator credentials` expire on 2100-01-01, on any clock a test will set.
LONG_LIVED_EXP = 4102444800


def token(fixtures: Mapping[str, Any], tenant: str | None, ttl: int | None, now: float) -> str:
    orgs = fixtures.get("organisations", [])
    org = next((o for o in orgs if tenant in (None, o["slug"])), None)
    if org is None:
        raise NotFound(f"No Prevail organisation {tenant!r} in the fixtures")
    exp = LONG_LIVED_EXP if ttl is None else int(now) + ttl
    return sign_hs256({"slug": org["slug"], "exp": exp}, org["api_key"])


def credentials(fixtures: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"slug": org["slug"], "api_key": org["api_key"], "self_service": bool(org.get("self_service", False)),
         "token": token(fixtures, org["slug"], None, 0)}
        for org in fixtures.get("organisations", [])
    ]


def rate_limit_tenant(headers: Mapping[str, str], query: str) -> str | None:
    """The organisation (the JWT's ``slug``) of a bearer or ``jwt_payload`` query token.

    Clients mint a fresh JWT per call, so the organisation, not the token, is the tenant. A token
    whose payload cannot be read is its own tenant; a token sent only in the body counts as none
    (rate limits are judged before the body is read).
    """
    token = bearer_token(headers.get("authorization")) or query_value(query, "jwt_payload")
    if not token:
        return None
    slug = jwt_claim(token, "slug")
    return f"org:{slug}" if slug is not None else f"token:{token}"


PLUGIN = VendorPlugin(
    name="prevail",
    client_base="/api/v1",
    spec_file="prevail.yaml",
    prefixes=("/api/v1/",),
    handlers=HANDLERS,
    admin_handlers=ADMIN_HANDLERS,
    effects=EFFECTS,
    seed_path="/_sim/prevail/session_requests",
    verifiers={"bearerAuth": authenticate, "jwtPayloadQuery": authenticate},
    errors=PrevailErrors(),
    backend=seeded,
    records=RECORDS,
    credentials=credentials,
    fixture_schema=SCHEMA,
    token=token,
    rate_limits=RateProfile(rate_limit_tenant),  # Prevail publishes no limit
    webhooks={postback.EVENT: postback.build},
)
