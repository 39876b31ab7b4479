"""``/_sim/rate-limits``: set, list and clear a namespace's vendor rate limits (rules in core/ratelimit.py)."""

from __future__ import annotations

from typing import Any

from simulator.core.dispatch import Call, Handler, Reply
from simulator.core.errors import BadRequest, Violation
from simulator.core.ratelimit import parse_limit, preset_views


def _view(call: Call[Any]) -> dict[str, Any]:
    return {"namespace": call.namespace.name, "limits": call.namespace.rate_limits.views(),
            "presets": preset_views(call.registry.rate_profiles)}


def set_rate_limit(call: Call[Any]) -> Reply:
    profiles = call.registry.rate_profiles
    vendor, limit = parse_limit(call.body, profiles)
    call.namespace.rate_limits.set(vendor, limit, profiles[vendor])
    return Reply(_view(call))


def list_rate_limits(call: Call[Any]) -> Reply:
    return Reply(_view(call))


def clear_rate_limits(call: Call[Any]) -> Reply:
    vendor = call.params.get("vendor")
    if vendor is not None and vendor not in call.registry.rate_profiles:  # a lenient server passes what came
        known = ", ".join(sorted(call.registry.rate_profiles))
        raise BadRequest(f"query.vendor: must be one of {known}", "invalid_rate_limit",
                         [Violation("query.vendor", "#/paths/~1_sim~1rate-limits/delete/parameters/0/schema",
                                    f"not one of {known}")])
    call.namespace.rate_limits.clear(vendor)
    return Reply(None, status=204)


HANDLERS: dict[str, Handler] = {
    "setRateLimit": set_rate_limit,
    "listRateLimits": list_rate_limits,
    "clearRateLimits": clear_rate_limits,
}
