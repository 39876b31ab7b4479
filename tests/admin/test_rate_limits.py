"""PUT/GET/DELETE /_sim/rate-limits over HTTP: every vendor's 429, its headers, refills on the clock, presets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import requests
import yaml
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from simulator.app import VENDORS
from simulator.core.clock import parse_instant
from simulator.core.spec import specs_dir
from simulator.testing.server import ThreadedServer
from tests.support import CLOCK_START, Sim, prevail_token
from tests.vendors.koreai.helpers import CONTOSO, koreai_token, recordings_path
from tests.vendors.realtimekit.helpers import HARBOR, HARBOR_TOKEN, NORTHWIND_TOKEN, TELEHEALTH, sessions_path

VONAGE_US, VONAGE_EU = "vgai-dev-key-us-7c41e9a2d8f0", "vgai-dev-key-eu-3b86f0c5e1a4"
RATE_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


def _prevail(sim: Sim, tenant: str = "acme-legal") -> httpx.Response:
    return sim.http.get("/api/v1/session_requests", headers={"Authorization": f"Bearer {prevail_token(tenant)}"})


def _koreai(sim: Sim, tenant: str = "") -> httpx.Response:
    token = koreai_token(CONTOSO) if tenant else koreai_token()
    return sim.http.get(recordings_path(), params={"sessionId": "65a1f0c2e4b0a1b2c3d4e5f6"}, headers={"auth": token})


def _vonage(sim: Sim, tenant: str = VONAGE_US) -> httpx.Response:
    return sim.http.get("/insights/sessions/no-such-session", headers={"X-Vgai-Key": tenant})


def _realtimekit(sim: Sim, tenant: str = NORTHWIND_TOKEN) -> httpx.Response:
    path = sessions_path() if tenant == NORTHWIND_TOKEN else sessions_path(HARBOR, TELEHEALTH)
    return sim.http.get(path, headers={"Authorization": f"Bearer {tenant}"})


Call = Callable[..., httpx.Response]
CALLS: dict[str, tuple[Call, Any]] = {  # vendor -> (a call, the credential of another tenant)
    "prevail": (_prevail, "brightline-reporting"),
    "koreai": (_koreai, "contoso"),
    "vonage": (_vonage, VONAGE_EU),
    "realtimekit": (_realtimekit, HARBOR_TOKEN),
}


def _error_message(vendor: str, body: dict[str, Any]) -> str:
    """The vendor's own error shape, or a KeyError."""
    if vendor == "prevail":
        return str(body["error"])
    if vendor == "koreai":
        assert body["errors"][0]["code"] == 429
        return str(body["errors"][0]["msg"])
    if vendor == "vonage":
        return str(body["detail"])
    assert body["success"] is False and body["result"] is None
    assert body["errors"][0]["code"] == 971  # Cloudflare's "throttled"
    return str(body["errors"][0]["message"])


def _limit(sim: Sim, **body: Any) -> httpx.Response:
    return sim.http.put("/_sim/rate-limits", json=body)


@pytest.mark.parametrize("vendor", sorted(CALLS))
def test_an_empty_bucket_answers_the_vendors_429_with_exact_headers(sim: Sim, vendor: str) -> None:
    call, _other = CALLS[vendor]
    assert _limit(sim, vendor=vendor, capacity=2, refill_per_second=0.25).status_code == 200
    first, second, refused = call(sim), call(sim), call(sim)
    assert first.status_code != 429 and second.status_code != 429
    assert [first.headers["RateLimit-Remaining"], second.headers["RateLimit-Remaining"]] == ["1", "0"]
    assert [first.headers["RateLimit-Reset"], second.headers["RateLimit-Reset"]] == ["4", "8"]
    assert refused.status_code == 429
    assert {name: refused.headers[name] for name in ("Retry-After", *RATE_HEADERS)} == {
        "Retry-After": "4", "RateLimit-Limit": "2", "RateLimit-Remaining": "0", "RateLimit-Reset": "8"}
    assert "Rate limit exceeded" in _error_message(vendor, refused.json())
    assert sim.journal(operation=sim.journal()[-1]["operation_id"])[-1]["status"] == 429


@pytest.mark.parametrize("vendor", sorted(CALLS))
def test_tenants_have_their_own_buckets_unless_per_namespace(sim: Sim, vendor: str) -> None:
    call, other = CALLS[vendor]
    _limit(sim, vendor=vendor, capacity=1, refill_per_second=1)
    assert call(sim).status_code != 429
    assert call(sim).status_code == 429
    assert call(sim, other).status_code != 429
    _limit(sim, vendor=vendor, capacity=1, refill_per_second=1, per="namespace")
    assert call(sim).status_code != 429
    assert call(sim, other).status_code == 429


def test_prevail_tokens_minted_per_call_share_their_organisations_bucket(sim: Sim) -> None:
    _limit(sim, vendor="prevail", capacity=1, refill_per_second=1)
    now = parse_instant(CLOCK_START).timestamp()
    tokens = [prevail_token("acme-legal", ttl=ttl, now=now) for ttl in (10**9, 10**9 + 1)]
    assert tokens[0] != tokens[1]
    answers = [sim.http.get("/api/v1/session_requests", headers={"Authorization": f"Bearer {t}"}) for t in tokens]
    assert [a.status_code for a in answers] == [200, 429]
    by_query = sim.http.get("/api/v1/session_requests", params={"jwt_payload": tokens[0]})
    assert by_query.status_code == 429


def test_requests_without_a_credential_share_one_bucket(sim: Sim) -> None:
    _limit(sim, vendor="vonage", capacity=1, refill_per_second=1)
    assert sim.http.get("/insights/sessions/x").status_code == 401
    assert sim.http.get("/insights/sessions/y").status_code == 429
    assert _vonage(sim).status_code == 404  # a key of its own


def test_advancing_the_clock_refills_and_a_frozen_clock_does_not(sim: Sim) -> None:
    _limit(sim, vendor="prevail", capacity=1, refill_per_second=0.5)
    assert _prevail(sim).status_code == 200
    assert _prevail(sim).headers["Retry-After"] == "2"
    assert _prevail(sim).status_code == 429  # frozen: nothing comes back
    sim.advance(1)
    assert _prevail(sim).headers["Retry-After"] == "1"
    sim.advance(1)
    assert _prevail(sim).status_code == 200


def test_limits_are_listed_replaced_and_cleared(sim: Sim) -> None:
    assert sim.http.get("/_sim/rate-limits").json()["limits"] == []
    _limit(sim, vendor="vonage", capacity=5, refill_per_second=2.5, per="namespace")
    answer = _limit(sim, vendor="prevail", capacity=3, refill_per_second=1)
    assert answer.json()["limits"] == [
        {"vendor": "prevail", "capacity": 3, "refill_per_second": 1, "per": "tenant", "buckets": 0},
        {"vendor": "vonage", "capacity": 5, "refill_per_second": 2.5, "per": "namespace", "buckets": 0},
    ]
    _prevail(sim)
    _prevail(sim, "brightline-reporting")
    assert sim.http.get("/_sim/rate-limits").json()["limits"][0]["buckets"] == 2
    _limit(sim, vendor="prevail", capacity=1, refill_per_second=1)  # replaced: buckets start full
    assert sim.http.get("/_sim/rate-limits").json()["limits"][0]["buckets"] == 0
    assert sim.http.delete("/_sim/rate-limits", params={"vendor": "prevail"}).status_code == 204
    assert [limit["vendor"] for limit in sim.http.get("/_sim/rate-limits").json()["limits"]] == ["vonage"]
    assert sim.http.delete("/_sim/rate-limits").status_code == 204
    assert sim.http.get("/_sim/rate-limits").json()["limits"] == []
    assert "RateLimit-Limit" not in _prevail(sim).headers  # off: no headers at all


def test_a_reset_clears_the_limits(sim: Sim) -> None:
    _limit(sim, vendor="prevail", capacity=1, refill_per_second=1)
    _prevail(sim)
    assert _prevail(sim).status_code == 429
    sim.http.post("/_sim/reset")
    assert sim.http.get("/_sim/rate-limits").json()["limits"] == []
    assert _prevail(sim).status_code == 200


def test_limits_belong_to_one_namespace_and_never_hold_up_the_admin_api(server: ThreadedServer, sim: Sim) -> None:
    _limit(sim, vendor="prevail", capacity=1, refill_per_second=1)
    _prevail(sim)
    assert _prevail(sim).status_code == 429
    other = Sim(f"{server.url}/_ns/{sim.namespace}-other", f"{sim.namespace}-other")
    try:
        assert _prevail(other).status_code == 200
    finally:
        other.close()
    assert all(sim.http.get("/_sim/clock").status_code == 200 for _ in range(3))


def test_the_vendor_preset_is_cloudflares_published_limit(sim: Sim) -> None:
    answer = _limit(sim, vendor="realtimekit", preset="vendor")
    assert answer.status_code == 200
    assert answer.json()["limits"] == [{"vendor": "realtimekit", "capacity": 1200, "refill_per_second": 4.0,
                                        "per": "tenant", "preset": "vendor", "buckets": 0}]
    assert [p["vendor"] for p in answer.json()["presets"]] == ["realtimekit"]
    served = _realtimekit(sim)
    assert (served.headers["RateLimit-Limit"], served.headers["RateLimit-Remaining"]) == ("1200", "1199")
    assert served.headers["RateLimit-Reset"] == "1"  # a quarter of a second to refill, in whole seconds


@pytest.mark.parametrize("vendor", ["prevail", "koreai", "vonage"])
def test_a_vendor_without_a_published_limit_has_no_preset(sim: Sim, vendor: str) -> None:
    refused = _limit(sim, vendor=vendor, preset="vendor")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["violations"][0]["field"] == "body.vendor" and "realtimekit" in error["message"]


def test_the_specs_preset_vendors_are_the_vendors_with_a_preset() -> None:
    admin = yaml.safe_load((specs_dir() / "admin.yaml").read_text(encoding="utf-8"))
    declared = admin["components"]["schemas"]["RateLimitUpdate"]["then"]["properties"]["vendor"]["enum"]
    assert declared == [plugin.name for plugin in VENDORS if plugin.rate_limits.preset is not None]


@pytest.mark.parametrize(("body", "field"), [
    ({"vendor": "zoom", "capacity": 1, "refill_per_second": 1}, "body.vendor"),
    ({"vendor": "prevail", "refill_per_second": 1}, "body.capacity"),
    ({"vendor": "prevail", "capacity": 1}, "body.refill_per_second"),
    ({"vendor": "prevail", "capacity": 0, "refill_per_second": 1}, "body.capacity"),
    ({"vendor": "prevail", "capacity": 10**12, "refill_per_second": 1}, "body.capacity"),
    ({"vendor": "prevail", "capacity": 1, "refill_per_second": 0}, "body.refill_per_second"),
    ({"vendor": "prevail", "capacity": 1, "refill_per_second": 1, "per": "user"}, "body.per"),
    ({"vendor": "realtimekit", "preset": "vendor", "capacity": 5}, "body.capacity"),
    ({"vendor": "realtimekit", "preset": "cheap"}, "body.preset"),
    ({"vendor": "prevail", "capacity": 1, "refill_per_second": 1, "burst": 2}, "'burst'"),
])
def test_bad_limits_are_400_naming_the_field(sim: Sim, body: dict[str, Any], field: str) -> None:
    refused = _limit(sim, **body)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert field in [v["field"] for v in error["violations"]] or field in error["message"]
    assert sim.http.get("/_sim/rate-limits").json()["limits"] == []  # nothing half set


def test_clearing_an_unknown_vendor_is_400_naming_it(sim: Sim) -> None:
    refused = sim.http.delete("/_sim/rate-limits", params={"vendor": "zoom"})
    assert refused.status_code == 400 and refused.json()["error"]["violations"][0]["field"] == "query.vendor"


def test_a_retrying_client_recovers_after_retry_after(sim: Sim) -> None:
    """urllib3's Retry waits out Retry-After (real seconds, as the clock runs) and the call then passes."""
    assert sim.http.put("/_sim/clock", json={"frozen": False}).status_code == 200
    _limit(sim, vendor="vonage", capacity=1, refill_per_second=1)  # Retry-After: 1
    session = requests.Session()
    retry = Retry(total=3, status_forcelist=[429], respect_retry_after_header=True, backoff_factor=0)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.headers["X-Vgai-Key"] = VONAGE_US
    url = f"{sim.base}/insights/sessions/no-such-session"
    assert session.get(url, timeout=10).status_code == 404  # the only token
    answer = session.get(url, timeout=10)
    assert answer.status_code == 404  # refused once, then served after the wait
    assert [e["status"] for e in sim.journal(operation="getSession")] == [404, 429, 404]
    session.close()
