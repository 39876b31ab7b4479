"""Token buckets on a controlled clock: exact headers, tenants apart or together, refills only as the clock moves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from simulator.core import ratelimit
from simulator.core.clock import Clock
from simulator.core.errors import BadRequest, TooManyRequests
from simulator.core.ratelimit import Limit, RateLimits, RateProfile, jwt_claim, parse_limit, query_value, tenant_key

START = 1_737_385_200.0  # 2025-01-20T15:00:00Z


def _by_header(headers: Mapping[str, str], _query: str) -> str | None:
    return headers.get("x-key")


PROFILE = RateProfile(_by_header)


def _limits(capacity: int, refill: float, per: str = "tenant") -> RateLimits:
    limits = RateLimits()
    limits.set("acme", Limit(capacity, refill, per), PROFILE)
    return limits


def _take(limits: RateLimits, clock: Clock, key: str | None = "a") -> dict[str, str]:
    headers = {"x-key": key} if key else {}
    try:
        found = limits.take("acme", headers, b"", clock)
    except TooManyRequests as refused:
        return {"status": "429", **refused.headers}
    assert found is not None
    return {"status": "200", **found}


def _row(status: int, remaining: int, reset: int, retry_after: int | None = None, limit: int = 2) -> dict[str, str]:
    row = {"status": str(status), "RateLimit-Limit": str(limit), "RateLimit-Remaining": str(remaining),
           "RateLimit-Reset": str(reset)}
    if retry_after is not None:
        row["Retry-After"] = str(retry_after)
    return row


def test_headers_are_exact_under_the_clock() -> None:
    clock = Clock(START, frozen=True)
    limits = _limits(capacity=2, refill=0.5)  # a token every 2 s
    assert _take(limits, clock) == _row(200, remaining=1, reset=2)
    assert _take(limits, clock) == _row(200, remaining=0, reset=4)
    assert _take(limits, clock) == _row(429, remaining=0, reset=4, retry_after=2)
    clock.advance(1)  # half a token: still refused, one second to go
    assert _take(limits, clock) == _row(429, remaining=0, reset=3, retry_after=1)
    clock.advance(1)
    assert _take(limits, clock) == _row(200, remaining=0, reset=4)
    clock.advance(3600)  # refills up to capacity, never beyond
    assert _take(limits, clock) == _row(200, remaining=1, reset=2)


@pytest.mark.parametrize(("step", "steps"), [(0.1, 10), (0.01, 100), (0.25, 4)])
def test_many_small_advances_refill_exactly(step: float, steps: int) -> None:
    clock = Clock(START, frozen=True)
    limits = _limits(capacity=1, refill=1)
    assert _take(limits, clock)["status"] == "200"
    assert _take(limits, clock) == _row(429, remaining=0, reset=1, retry_after=1, limit=1)
    for _ in range(steps):  # the clock reads 0.999999 s later: still exactly one token, not 0.999999 of one
        clock.advance(step)
    assert _take(limits, clock) == _row(200, remaining=0, reset=1, limit=1)


def test_a_frozen_clock_never_refills() -> None:
    clock = Clock(START, frozen=True)
    limits = _limits(capacity=1, refill=1000)
    _take(limits, clock)
    assert all(_take(limits, clock)["status"] == "429" for _ in range(50))


def test_a_running_clock_refills() -> None:
    ticks = iter([100.0, 100.0, 100.5, 101.0])
    clock = Clock(START, wall=lambda: next(ticks))  # created at 100 (start), then read at each take
    limits = _limits(capacity=1, refill=1)
    assert _take(limits, clock)["status"] == "200"  # at 100.0
    assert _take(limits, clock)["status"] == "429"  # at 100.5: half a token
    assert _take(limits, clock)["status"] == "200"  # at 101.0


def test_setting_the_clock_back_neither_refills_nor_drains() -> None:
    clock = Clock(START, frozen=True)
    limits = _limits(capacity=2, refill=1)
    _take(limits, clock)
    _take(limits, clock)
    clock.set(START - 3600)
    assert _take(limits, clock)["Retry-After"] == "1"
    clock.advance(1)  # refills from where the clock now is
    assert _take(limits, clock)["status"] == "200"


def test_tenants_have_their_own_buckets_and_anonymous_callers_share_one() -> None:
    clock = Clock(START, frozen=True)
    limits = _limits(capacity=1, refill=1)
    assert _take(limits, clock, "a")["status"] == "200"
    assert _take(limits, clock, "a")["status"] == "429"
    assert _take(limits, clock, "b")["status"] == "200"
    assert _take(limits, clock, None)["status"] == "200"
    assert _take(limits, clock, None)["status"] == "429"
    assert limits.views()[0]["buckets"] == 3


def test_per_namespace_is_one_bucket_for_every_tenant() -> None:
    clock = Clock(START, frozen=True)
    limits = _limits(capacity=2, refill=1, per="namespace")
    assert _take(limits, clock, "a")["status"] == "200"
    assert _take(limits, clock, "b")["status"] == "200"
    assert _take(limits, clock, None)["status"] == "429"
    assert limits.views()[0]["buckets"] == 1


def test_no_limit_answers_nothing_and_clearing_turns_it_off() -> None:
    clock = Clock(START, frozen=True)
    limits = _limits(capacity=1, refill=1)
    assert limits.take("other", {}, b"", clock) is None
    _take(limits, clock)
    limits.clear("acme")
    assert limits.take("acme", {"x-key": "a"}, b"", clock) is None
    assert limits.views() == []


def test_endless_credentials_keep_a_bounded_number_of_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "MAX_BUCKETS", 3)
    clock = Clock(START, frozen=True)
    limits = _limits(capacity=1, refill=1)
    _take(limits, clock, "first")
    for key in ("k1", "k2", "k3", "k4"):
        _take(limits, clock, key)
    assert limits.views()[0]["buckets"] == 3
    assert _take(limits, clock, "first")["status"] == "200"  # the least recently used was forgotten: full again
    assert _take(limits, clock, "k4")["status"] == "429"  # a recent one was kept


def test_tenant_keys_are_stable_and_never_the_credential() -> None:
    assert tenant_key("key:secret") == tenant_key("key:secret") != tenant_key("key:other")
    assert "secret" not in tenant_key("key:secret")
    assert tenant_key(None) == "anonymous"


def test_credentials_are_read_unverified_and_junk_is_no_claim() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzbHVnIjoiYWNtZSJ9.sig"  # {"alg":"HS256"}.{"slug":"acme"}
    assert jwt_claim(token, "slug") == "acme"
    assert jwt_claim(token, "appId") is None
    assert jwt_claim("not-a-jwt", "slug") is None
    assert jwt_claim("a.%%%.c", "slug") is None
    assert query_value("a=1&jwt_payload=xyz&b=2", "jwt_payload") == "xyz"
    assert query_value("x_jwt_payload=1", "jwt_payload") is None


PROFILES = {"acme": RateProfile(_by_header), "published": RateProfile(preset=Limit(10, 2.0, "tenant", "vendor"))}


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"vendor": "nobody", "capacity": 1, "refill_per_second": 1}, "body.vendor", "acme, published"),
    ({"vendor": "acme", "refill_per_second": 1}, "body.capacity", "integer"),
    ({"vendor": "acme", "capacity": 1.5, "refill_per_second": 1}, "body.capacity", "integer"),
    ({"vendor": "acme", "capacity": 0, "refill_per_second": 1}, "body.capacity", "outside 1 .. 1e+06"),
    ({"vendor": "acme", "capacity": True, "refill_per_second": 1}, "body.capacity", "integer"),
    ({"vendor": "acme", "capacity": 1, "refill_per_second": 0}, "body.refill_per_second", "outside"),
    ({"vendor": "acme", "capacity": 1, "refill_per_second": float("nan")}, "body.refill_per_second", "outside"),
    ({"vendor": "acme", "capacity": 1, "refill_per_second": 1, "per": "org"}, "body.per", "tenant, namespace"),
    ({"vendor": "acme", "preset": "vendor"}, "body.preset", "vendors with a preset: published"),
    ({"vendor": "published", "preset": "cheap"}, "body.preset", "vendor"),
    ({"vendor": "published", "preset": "vendor", "capacity": 3}, "body.capacity", "not both"),
])
def test_bad_limits_are_refused_naming_the_field(body: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(BadRequest) as refused:
        parse_limit(body, PROFILES)
    assert refused.value.violations[0].field == field
    assert words in refused.value.message and refused.value.message.startswith(field)


def test_limits_and_presets_parse() -> None:
    assert parse_limit({"vendor": "acme", "capacity": 5, "refill_per_second": 0.5}, PROFILES) == (
        "acme", Limit(5, 0.5, "tenant"))
    assert parse_limit({"vendor": "acme", "capacity": 5, "refill_per_second": 2, "per": "namespace"}, PROFILES) == (
        "acme", Limit(5, 2.0, "namespace"))
    assert parse_limit({"vendor": "published", "preset": "vendor"}, PROFILES) == (
        "published", Limit(10, 2.0, "tenant", "vendor"))
