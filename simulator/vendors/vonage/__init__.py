"""Vonage AI Studio Insights: conversation search with Elasticsearch semantics, sessions, recordings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core.plugin import VendorPlugin
from simulator.core.ratelimit import RateProfile
from simulator.vendors.vonage.errors import VonageErrors
from simulator.vendors.vonage.fixture_schema import SCHEMA
from simulator.vendors.vonage.handlers import ADMIN_HANDLERS, EFFECTS, HANDLERS, authenticate
from simulator.vendors.vonage.population import seeded
from simulator.vendors.vonage.records import RECORDS


def credentials(fixtures: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"api_key": entry["api_key"], "account_id": entry["account_id"],
             "region": str(entry.get("region", "us")).lower()}
            for entry in fixtures.get("accounts", [])]


def rate_limit_tenant(headers: Mapping[str, str], _query: str) -> str | None:
    """The API key of ``X-Vgai-Key``: one key is one account."""
    key = headers.get("x-vgai-key")
    return f"key:{key}" if key else None


PLUGIN = VendorPlugin(
    name="vonage",
    spec_file="vonage-insights.yaml",
    prefixes=("/insights/",),
    handlers=HANDLERS,
    admin_handlers=ADMIN_HANDLERS,
    effects=EFFECTS,
    verifiers={"vgaiKey": authenticate},
    errors=VonageErrors(),
    backend=seeded,
    records=RECORDS,
    seed_path="/_sim/vonage/sessions",
    credentials=credentials,
    fixture_schema=SCHEMA,
    rate_limits=RateProfile(rate_limit_tenant),  # the Insights page publishes no limit
)
