"""What a vendor package hands to the app: its spec, handlers, verifiers, error shape and backend."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.core.dispatch import ErrorShape, Handler, Verifier
from simulator.core.effects import EffectHandler
from simulator.core.fixturerules import Record
from simulator.core.ratelimit import RateProfile
from simulator.core.records import RecordCodec
from simulator.core.store import BackendFactory
from simulator.core.webhook_faults import Builder


@dataclass(frozen=True)
class VendorPlugin:
    name: str
    spec_file: str  # in specs/
    prefixes: tuple[str, ...]  # path prefixes whose unknown routes get this vendor's 404 shape
    handlers: Mapping[str, Handler]
    verifiers: Mapping[str, Verifier]
    errors: ErrorShape
    backend: BackendFactory
    admin_handlers: Mapping[str, Handler] = field(default_factory=dict)  # operations of specs/admin.yaml
    client_base: str = ""  # what a client's base URL ends with: "/api/v1" (Prevail), "/client/v4" (Cloudflare)
    seed_path: str | None = None  # admin operation that stores hand-made records, if the vendor has one
    seed_takes_list: bool = True  # False: the seed operation stores one record per request (a list is sent one by one)
    # fixtures section -> development credentials, as `simulator credentials` prints them
    credentials: Callable[[Mapping[str, Any]], list[dict[str, Any]]] = lambda _fixtures: []
    # (fixtures section, tenant id or None, ttl seconds, now) -> signed token
    token: Callable[[Mapping[str, Any], str | None, int | None, float], str] | None = None
    # the keys this vendor's fixtures section may hold, checked when the fixtures load
    fixture_schema: Record = field(default_factory=lambda: Record({}))
    # how rate limits tell this vendor's tenants apart, and its published limit (PUT /_sim/rate-limits)
    rate_limits: RateProfile = field(default_factory=RateProfile)
    # the webhooks this vendor sends (names fault rules match), each with what builds its signed body at send time
    webhooks: Mapping[str, Builder] = field(default_factory=dict)
    # the timed effects this vendor queues (VendorContext.later), by name: handler(its backend, the effect's args)
    effects: Mapping[str, EffectHandler] = field(default_factory=dict)
    # how this vendor's records become one JSON document and back (GET/PUT /_sim/state, --state-dir)
    records: RecordCodec | None = None
