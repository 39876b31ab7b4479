"""The parts of a namespace document that belong to no vendor: fault plan, rate limits, fuzz plan, webhooks.

Each part is dumped as JSON data and built back into a fresh object, never into the namespace's
own: :func:`simulator.core.statedoc.load` swaps everything in only once every part has been built,
so a document that fails leaves the namespace as it was. What makes a plan behave the same after a
load is kept with it: rule counters and the position of their random streams, bucket levels and the
instants they were last refilled, the number of answers a fuzz plan mutated, the next delivery id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.core.faultrules import RuleSpec
from simulator.core.faults import FaultPlan, Rule
from simulator.core.fuzz import FuzzPlan
from simulator.core.rand import SeededSource
from simulator.core.ratelimit import ActiveLimit, Bucket, Limit, RateLimits, RateProfile
from simulator.core.records import StateError, to_data
from simulator.core.webhook_faults import AppliedFault, SignedClaims
from simulator.core.webhookrules import WebhookRuleError, parse_webhook_effect
from simulator.core.webhooks import Delivery, WebhookSender

RuleParser = Callable[[Any], RuleSpec]  # a rule document -> the checked rule (raises ValueError naming the field)


@dataclass(frozen=True)
class Catalog:
    """What rebuilding plans needs from the server: how to check a rule, how vendors name their tenants."""

    parse_rule: RuleParser
    rate_profiles: Mapping[str, RateProfile]


# --- fault plan -----------------------------------------------------------------------------------

_STREAMS = {"chance": "chance", "delays": "delay"}  # document key -> the stream FaultPlan.add derives


def _stream(seed: int, rule_id: str, key: str) -> SeededSource:
    return SeededSource(seed, f"faults:{rule_id}").child(_STREAMS[key])


def _random_state(source: SeededSource, fresh: SeededSource) -> dict[str, Any] | None:
    """The stream's position, or None while it is where a fresh one starts (nothing drawn yet)."""
    state = source.random.getstate()
    if state == fresh.random.getstate():
        return None
    version, internal, gauss = state
    return {"version": version, "internal": list(internal), "gauss": gauss}


def dump_faults(plan: FaultPlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    rules = []
    for rule in plan.rules:
        shown: dict[str, Any] = {"id": rule.id, "rule": rule.spec.document, "matched": rule.matched,
                                 "fired": rule.fired}
        for name, source in (("chance", rule.chance), ("delays", rule.delays)):
            state = _random_state(source, _stream(plan.seed, rule.id, name))
            if state is not None:
                shown[name] = state
        rules.append(shown)
    return {"seed": plan.seed, "next_id": plan.next_id, "rules": rules}


def _restored(source: SeededSource, state: Mapping[str, Any] | None, where: str) -> SeededSource:
    if state is not None:
        try:
            source.random.setstate((state["version"], tuple(state["internal"]), state["gauss"]))
        except (TypeError, ValueError) as error:
            raise StateError(f"{where}: not a random stream's state ({error})") from None
    return source


def load_faults(data: Mapping[str, Any] | None, catalog: Catalog | None) -> FaultPlan | None:
    if data is None:
        return None
    seed = int(data["seed"])
    plan = FaultPlan(seed)
    rules = []
    seen: set[str] = set()
    for index, item in enumerate(data["rules"]):
        where = f"/faults/rules/{index}"
        if catalog is None:
            raise StateError(f"{where}: fault rules can only be loaded by a server that knows the vendors' specs")
        rule_id = str(item["id"])
        if rule_id in seen:
            raise StateError(f"{where}/id: rule {rule_id} appears twice")
        seen.add(rule_id)
        try:
            spec = catalog.parse_rule(item["rule"])
        except ValueError as error:
            raise StateError(f"{where}/rule: {error}") from None
        rules.append(Rule(rule_id, spec,
                          _restored(_stream(seed, rule_id, "chance"), item.get("chance"), f"{where}/chance"),
                          _restored(_stream(seed, rule_id, "delays"), item.get("delays"), f"{where}/delays"),
                          matched=int(item["matched"]), fired=int(item["fired"])))
    plan.restore(rules, int(data["next_id"]))
    return plan


# --- rate limits ----------------------------------------------------------------------------------

def dump_rate_limits(limits: RateLimits) -> list[dict[str, Any]]:
    return [{"vendor": vendor, "capacity": active.limit.capacity,
             "refill_per_second": active.limit.refill_per_second, "per": active.limit.per,
             "preset": active.limit.preset,
             # least recently used first, as the buckets are kept
             "buckets": [{"tenant": key, "tokens": bucket.tokens, "at": bucket.at}
                         for key, bucket in active.buckets.items()]}
            for vendor, active in sorted(limits.active.items())]


def load_rate_limits(data: list[Mapping[str, Any]], catalog: Catalog | None) -> RateLimits:
    limits = RateLimits()
    for index, item in enumerate(data):
        vendor = item["vendor"]
        profile = catalog.rate_profiles.get(vendor) if catalog is not None else None
        if profile is None:
            raise StateError(f"/rate_limits/{index}/vendor: no vendor {vendor!r} here")
        limit = Limit(int(item["capacity"]), float(item["refill_per_second"]), item["per"], item["preset"])
        active = ActiveLimit(limit, profile.tenant_of)
        for kept in item["buckets"]:
            bucket = Bucket(limit.capacity, float(kept["at"]))
            bucket.tokens = float(kept["tokens"])
            active.buckets[kept["tenant"]] = bucket
        limits.active[vendor] = active
    return limits


# --- fuzz plan ------------------------------------------------------------------------------------

def dump_fuzz(plan: FuzzPlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {"seed": plan.seed, "rate": plan.rate, "mutations": sorted(plan.kinds),
            "vendors": list(plan.vendors) if plan.vendors is not None else None,
            "operations": list(plan.operations) if plan.operations is not None else None,
            "replay": plan.replay, "mutated": plan.mutated}


def load_fuzz(data: Mapping[str, Any] | None) -> FuzzPlan | None:
    if data is None:
        return None
    vendors, operations = data["vendors"], data["operations"]
    return FuzzPlan(seed=int(data["seed"]), rate=float(data["rate"]), kinds=frozenset(data["mutations"]),
                    vendors=tuple(vendors) if vendors is not None else None,
                    operations=tuple(operations) if operations is not None else None,
                    replay=data["replay"], mutated=int(data["mutated"]))


# --- webhook deliveries ---------------------------------------------------------------------------

def dump_webhooks(sender: WebhookSender) -> dict[str, Any]:
    next_id, waiting, held = sender.deliveries()
    return {"next_id": next_id, "deliveries": [_delivery_data(delivery) for delivery in waiting],
            # held back by a reorder rule: out after delivery `after` is sent (None: the next one), or at `until`
            "held": [{**_delivery_data(delivery), "until": until, "after": after} for until, after, delivery in held]}


def _delivery_data(delivery: Delivery) -> dict[str, Any]:
    payload = delivery.payload
    shown: dict[str, Any] = {"id": delivery.id, "url": delivery.url, "vendor": delivery.vendor,
                             "event": delivery.event, "attempt": delivery.attempt, "due": delivery.due,
                             "copy": delivery.copy}
    if isinstance(payload, SignedClaims):
        shown["signed"] = {"claims": to_data(payload.claims), "key": payload.key}
    else:
        shown["payload"] = to_data(payload)
    if delivery.fault is not None:
        shown["fault"] = {"rule": delivery.fault.rule, "effect": to_data(delivery.fault.document)}
    return shown


def load_webhooks(data: Mapping[str, Any]) -> tuple[int, list[Delivery], list[tuple[float, int | None, Delivery]]]:
    deliveries = [_delivery(item, f"/webhooks/deliveries/{index}") for index, item in enumerate(data["deliveries"])]
    held = [(float(item["until"]), item["after"], _delivery(item, f"/webhooks/held/{index}"))
            for index, item in enumerate(data.get("held", []))]
    return int(data["next_id"]), deliveries, held


def _delivery(item: Mapping[str, Any], where: str) -> Delivery:
    signed = item.get("signed")
    payload = SignedClaims(signed["claims"], signed["key"]) if signed is not None else item.get("payload")
    fault = None
    if item.get("fault") is not None:
        document = item["fault"]["effect"]
        try:
            fault = AppliedFault(item["fault"]["rule"], parse_webhook_effect(document), document)
        except (WebhookRuleError, ValueError, KeyError, TypeError) as error:  # KeyError: a missing part
            raise StateError(f"{where}/fault/effect: {type(error).__name__}: {error}") from None
    return Delivery(int(item["id"]), item["url"], payload, item["vendor"], item["event"],
                    attempt=int(item["attempt"]), due=float(item["due"]), fault=fault, copy=int(item["copy"]))
