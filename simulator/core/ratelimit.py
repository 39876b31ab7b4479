"""Vendor rate limits: token buckets that refill on the namespace clock.

A limit is set per vendor in a namespace. Each tenant (or the whole namespace, with ``per:
"namespace"``) draws one token per call from its bucket; an empty bucket answers the vendor's 429.
Buckets refill from the namespace clock, never the wall clock: advancing the clock refills them and
a frozen clock never does, so every header is exact under a test's control.

The stage runs before authentication, so the tenant is read, unverified, from the credential the
request carries (each vendor says how in its :class:`RateProfile`). Requests without a credential
share one bucket. No limit set costs one dict lookup per request.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.core.auth import unverified_parts
from simulator.core.clock import Clock
from simulator.core.errors import BadRequest, SimulatorError, TooManyRequests, Unauthorized, Violation

PER = ("tenant", "namespace")
PRESETS = ("vendor",)
MAX_CAPACITY = 1_000_000
MIN_REFILL = 0.001  # tokens per second: one every ~17 minutes
MAX_REFILL = 1_000_000.0
# Tenants tracked per vendor and namespace. A client minting endless credentials must not grow memory
# without bound: past this, the least recently used bucket is forgotten (that tenant starts full again).
MAX_BUCKETS = 10_000
ANONYMOUS = "anonymous"  # the one bucket of requests that carry no credential
WHOLE_NAMESPACE = "namespace"
_SCHEMA = "#/components/schemas/RateLimitUpdate/properties"

# (lower-case request headers, raw query string) -> who is calling (unverified), or None without a credential
TenantOf = Callable[[Mapping[str, str], str], str | None]


def _nobody(_headers: Mapping[str, str], _query: str) -> str | None:
    return None


@dataclass(frozen=True)
class Limit:
    capacity: int
    refill_per_second: float
    per: str = "tenant"
    preset: str | None = None  # "vendor" when it is the vendor's published limit


@dataclass(frozen=True)
class RateProfile:
    """What a vendor declares: how to tell its tenants apart, and its published limit if it has one."""

    tenant_of: TenantOf = _nobody
    preset: Limit | None = None
    preset_source: str = ""  # where the vendor publishes it, for the docs and the GET view


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int  # RateLimit-Limit: the capacity
    remaining: int  # RateLimit-Remaining: whole tokens left after this call
    reset: int  # RateLimit-Reset: seconds until the bucket is full again
    retry_after: int  # seconds until one token is available (0 when allowed)

    def headers(self) -> dict[str, str]:
        found = {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(self.remaining),
                 "RateLimit-Reset": str(self.reset)}
        if not self.allowed:
            found["Retry-After"] = str(self.retry_after)
        return found


# Clock readings are floats near 1.7e9, in steps of ~0.24 µs, and a frozen clock advanced in many small
# steps gathers that error: elapsed time is counted in whole 10 µs steps, so ten advances of 0.025 s at
# 4 tokens/s make exactly one token, not 0.999995 of one.
TIME_STEP_DIGITS = 5


def _ceil(seconds: float) -> int:
    return max(0, math.ceil(round(seconds, TIME_STEP_DIGITS)))


class Bucket:
    """Tokens at an instant; refilled lazily, when next asked, from the time that passed since."""

    __slots__ = ("at", "tokens")

    def __init__(self, capacity: int, now: float):
        self.tokens = float(capacity)
        self.at = now

    def refill(self, limit: Limit, now: float) -> None:
        if now < self.at:  # a clock set back refills nothing and drains nothing: count on from the new now
            self.at = now
            return
        elapsed = round(now - self.at, TIME_STEP_DIGITS)
        self.tokens = min(float(limit.capacity), round(self.tokens + elapsed * limit.refill_per_second, 9))
        self.at += elapsed  # what rounding left out still counts towards the next token on a running clock

    def take(self, limit: Limit, now: float) -> Verdict:
        self.refill(limit, now)
        allowed = self.tokens >= 1
        if allowed:
            self.tokens = round(self.tokens - 1, 9)
        rate = limit.refill_per_second
        return Verdict(
            allowed=allowed, limit=limit.capacity, remaining=math.floor(self.tokens),
            reset=_ceil((limit.capacity - self.tokens) / rate),
            retry_after=0 if allowed else max(1, _ceil((1 - self.tokens) / rate)),
        )


def tenant_key(identity: str | None) -> str:
    """A short stable name for a caller; credentials themselves are never kept or shown."""
    if identity is None:
        return ANONYMOUS
    return hashlib.blake2b(identity.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()


def jwt_claim(token: str | None, claim: str) -> str | None:
    """A string claim of a JWT, read without checking the signature (authentication does that later)."""
    if not token:
        return None
    try:
        value = unverified_parts(token)[1].get(claim)
    except Unauthorized:
        return None
    return value if isinstance(value, str) else None


def query_value(query: str, name: str) -> str | None:
    """The first value of a query parameter, in one linear pass, undecoded (a tenant key needs no decoding)."""
    prefix = name + "="
    for part in query.split("&"):
        if part.startswith(prefix):
            return part[len(prefix):]
    return None


class ActiveLimit:
    __slots__ = ("buckets", "limit", "tenant_of")

    def __init__(self, limit: Limit, tenant_of: TenantOf):
        self.limit = limit
        self.tenant_of = tenant_of
        self.buckets: dict[str, Bucket] = {}

    def bucket(self, key: str, now: float) -> Bucket:
        found = self.buckets.pop(key, None)  # re-inserted below: the dict's order is least recently used first
        if found is None:
            found = Bucket(self.limit.capacity, now)
            if len(self.buckets) >= MAX_BUCKETS:
                del self.buckets[next(iter(self.buckets))]
        self.buckets[key] = found
        return found


class RateLimits:
    """The limits set in one namespace, per vendor, with their buckets."""

    def __init__(self) -> None:
        # vendor -> its limit; empty (falsy) when none is set, which is all the dispatcher looks at then
        self.active: dict[str, ActiveLimit] = {}

    def set(self, vendor: str, limit: Limit, profile: RateProfile) -> None:
        """Set (or replace) the vendor's limit; its buckets start full."""
        self.active[vendor] = ActiveLimit(limit, profile.tenant_of)

    def clear(self, vendor: str | None = None) -> None:
        if vendor is None:
            self.active.clear()
        else:
            self.active.pop(vendor, None)

    def views(self) -> list[dict[str, Any]]:
        return [{"vendor": vendor, **_limit_view(active.limit), "buckets": len(active.buckets)}
                for vendor, active in sorted(self.active.items())]

    def take(self, vendor: str | None, headers: Mapping[str, str], raw_query: bytes,
             clock: Clock) -> dict[str, str] | None:
        """One call's token: the RateLimit-* headers for its answer, None without a limit; raises 429 when empty.

        Without a limit for the vendor this is one dict lookup: the hot path pays nothing more.
        """
        active = self.active.get(vendor) if vendor is not None else None
        if active is None:
            return None
        limit = active.limit
        if limit.per == "namespace":
            key = WHOLE_NAMESPACE
        else:
            key = tenant_key(active.tenant_of(headers, raw_query.decode("latin-1")))
        now = clock.timestamp()
        verdict = active.bucket(key, now).take(limit, now)
        if not verdict.allowed:
            raise TooManyRequests(
                f"Rate limit exceeded: {limit.capacity} requests, refilled at {limit.refill_per_second:g} per second "
                f"per {limit.per}; retry in {verdict.retry_after} s",
                verdict.retry_after, verdict.headers(),
            )
        return verdict.headers()


def _limit_view(limit: Limit) -> dict[str, Any]:
    view: dict[str, Any] = {"capacity": limit.capacity, "refill_per_second": limit.refill_per_second,
                            "per": limit.per}
    if limit.preset is not None:
        view["preset"] = limit.preset
    return view


def _refuse(field: str, message: str) -> SimulatorError:
    return BadRequest(f"body.{field}: {message}", "invalid_rate_limit",
                      [Violation(f"body.{field}", f"{_SCHEMA}/{field}", message)])


def _number(body: Mapping[str, Any], field: str, low: float, high: float, integer: bool) -> float:
    value = body.get(field)
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _refuse(field, f"must be {kind} from {low:g} to {high:g}")
    if not low <= value <= high:  # NaN and infinities fail here too
        raise _refuse(field, f"{value:g} is outside {low:g} .. {high:g}")
    if integer and value != int(value):
        raise _refuse(field, f"must be {kind} from {low:g} to {high:g}")
    return value


def parse_limit(body: Any, profiles: Mapping[str, RateProfile]) -> tuple[str, Limit]:
    """(vendor, limit) from a ``PUT /_sim/rate-limits`` body; 400 naming the field that is wrong."""
    if not isinstance(body, Mapping):
        raise BadRequest("body: a JSON object is required", "invalid_rate_limit",
                         [Violation("body", "#/components/schemas/RateLimitUpdate", "not an object")])
    vendor = body.get("vendor")
    if not isinstance(vendor, str) or vendor not in profiles:
        raise _refuse("vendor", f"must be one of {', '.join(sorted(profiles))}")
    if "preset" in body:
        return vendor, _preset(body, vendor, profiles)
    capacity = int(_number(body, "capacity", 1, MAX_CAPACITY, integer=True))
    refill = float(_number(body, "refill_per_second", MIN_REFILL, MAX_REFILL, integer=False))
    per = body.get("per", "tenant")
    if per not in PER:
        raise _refuse("per", f"must be one of {', '.join(PER)}")
    return vendor, Limit(capacity, refill, per)


def _preset(body: Mapping[str, Any], vendor: str, profiles: Mapping[str, RateProfile]) -> Limit:
    if body["preset"] not in PRESETS:
        raise _refuse("preset", f"must be one of {', '.join(PRESETS)}")
    mixed = sorted(set(body) & {"capacity", "refill_per_second", "per"})
    if mixed:
        raise _refuse(mixed[0], "give either a preset or capacity, refill_per_second and per, not both")
    preset = profiles[vendor].preset
    if preset is None:
        having = sorted(name for name, profile in profiles.items() if profile.preset is not None)
        raise _refuse("preset", f"{vendor} publishes no rate limit; vendors with a preset: {', '.join(having)}")
    return preset


def preset_views(profiles: Mapping[str, RateProfile]) -> list[dict[str, Any]]:
    return [{"vendor": name, **_limit_view(profile.preset), "source": profile.preset_source}
            for name, profile in sorted(profiles.items()) if profile.preset is not None]
