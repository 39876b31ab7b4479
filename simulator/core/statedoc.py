"""A namespace as one JSON document: format version, seed, clock, each vendor's records, pending effects,
the fault plan, rate limits, the fuzz plan and the webhook deliveries waiting to be sent.

``dump`` reads a namespace into a document; ``load`` builds everything a document describes first and
only then swaps it in, so a document that fails leaves the namespace as it was. Vendors the namespace
never touched are not in the document: the loading namespace seeds them on first touch from the
document's seed and clock start, which gives the same records. The journal is not part of it.

The document's shape is published as a JSON Schema (:mod:`simulator.core.stateschema`); ``load``
expects a document that passed it and raises :class:`StateError` for what the schema cannot say.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from simulator.core import planstate
from simulator.core.clock import Clock
from simulator.core.effects import Effect, EffectError
from simulator.core.faultrules import parse_rule
from simulator.core.planstate import Catalog
from simulator.core.rand import SeededSource
from simulator.core.records import StateError, to_data
from simulator.core.store import Namespace, Registry

FORMAT = 1
__all__ = ["FORMAT", "Catalog", "catalog_of", "dump", "load", "prepare"]


def dump(namespace: Namespace, vendors: Iterable[str] | None = None) -> dict[str, Any]:
    """The namespace's document; ``vendors`` limits which vendors' records it holds (None: every seeded one)."""
    codecs = namespace.config.codecs
    return {
        "format": FORMAT,
        "seed": namespace.seed,
        "empty": namespace.empty,
        "clock": {"start": namespace.clock.start, "now": namespace.clock.timestamp(),
                  "frozen": namespace.clock.frozen, "token_clock": namespace.token_clock},
        "vendors": {vendor: codecs[vendor].dump(namespace.state(vendor))
                    for vendor in (namespace.seeded_vendors() if vendors is None else vendors)
                    if vendor in codecs and namespace.is_seeded(vendor)},
        "effects": [effect_data(effect) for effect in namespace.queue.effects()],
        "faults": planstate.dump_faults(namespace.faults),
        "rate_limits": planstate.dump_rate_limits(namespace.rate_limits),
        "fuzz": planstate.dump_fuzz(namespace.fuzz),
        "webhooks": planstate.dump_webhooks(namespace.webhooks),
    }


def effect_data(effect: Effect) -> dict[str, Any]:
    return {"vendor": effect.vendor, "name": effect.name, "args": to_data(effect.args), "due": effect.due,
            "label": effect.label}


def catalog_of(registry: Registry) -> Catalog:
    """What loading a document needs from the server: fault rules are checked against its specs."""
    return Catalog(parse_rule=lambda rule: parse_rule(rule, registry.catalog, registry.webhooks),
                   rate_profiles=registry.rate_profiles)


def load(namespace: Namespace, document: Mapping[str, Any], catalog: Catalog | None = None) -> None:
    """Replace ``namespace`` by ``document`` (already checked against the published schema).

    ``catalog`` checks fault rules and finds vendors' tenants for rate limits; without it a document
    holding either is refused. Raises :class:`StateError` naming the problem; the namespace is then untouched.
    """
    prepare(namespace, document, catalog)()


def prepare(namespace: Namespace, document: Mapping[str, Any], catalog: Catalog | None = None) -> Callable[[], None]:
    """Build everything ``document`` describes without touching ``namespace``; the function returned swaps
    it in. The building may run on another thread (a large document takes a while); the swap runs where
    the namespace is served. Raises :class:`StateError` naming the problem."""
    codecs = namespace.config.codecs
    clock_doc = document["clock"]
    clock = Clock(float(clock_doc["start"]), bool(clock_doc["frozen"]))
    clock.set(float(clock_doc["now"]))
    seed, empty = int(document["seed"]), bool(document["empty"])
    faults = planstate.load_faults(document.get("faults"), catalog)
    rate_limits = planstate.load_rate_limits(document.get("rate_limits") or [], catalog)
    fuzz = planstate.load_fuzz(document.get("fuzz"))
    webhooks = planstate.load_webhooks(document.get("webhooks") or {"next_id": 1, "deliveries": [], "held": []})
    states = {}
    for vendor, tables in document["vendors"].items():
        if vendor not in codecs:
            raise StateError(f"/vendors/{vendor}: no such vendor (or it keeps no records)")
        # the context the namespace will give this vendor once the document is in
        ctx = dataclasses.replace(namespace.context(vendor), clock=clock, source=SeededSource(seed, vendor),
                                  empty=empty)
        states[vendor] = codecs[vendor].load(ctx, tables)
    effects = tuple(Effect(item["vendor"], item["name"], item["args"], float(item["due"]), item["label"])
                    for item in document["effects"])
    for index, effect in enumerate(effects):
        try:
            namespace.config.effects.check(effect)
        except EffectError as error:
            raise StateError(f"/effects/{index}: {error}") from None

    def install() -> None:
        namespace.clock, namespace.seed, namespace.empty = clock, seed, empty
        namespace.token_clock = str(clock_doc["token_clock"])
        namespace.faults, namespace.rate_limits, namespace.fuzz = faults, rate_limits, fuzz
        namespace.install(states, effects)
        namespace.webhooks.restore(*webhooks)

    return install
