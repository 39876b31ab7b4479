"""A namespace as one JSON document: format version, seed, clock, each vendor's records, pending effects.

``dump`` reads a namespace into a document; ``load`` builds everything a document describes first and
only then swaps it in, so a document that fails leaves the namespace as it was. Vendors the namespace
never touched are not in the document: the loading namespace seeds them on first touch from the
document's seed and clock start, which gives the same records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from simulator.core.clock import Clock
from simulator.core.effects import Effect, EffectError
from simulator.core.records import StateError
from simulator.core.store import Namespace

FORMAT = 1


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
    }


def effect_data(effect: Effect) -> dict[str, Any]:
    return {"vendor": effect.vendor, "name": effect.name, "args": _plain(effect.args), "due": effect.due,
            "label": effect.label}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def load(namespace: Namespace, document: Mapping[str, Any]) -> None:
    """Replace ``namespace`` by ``document`` (already checked against the published schema).

    Raises :class:`StateError` naming the problem; the namespace is then untouched.
    """
    codecs = namespace.config.codecs
    clock_doc = document["clock"]
    clock = Clock(float(clock_doc["start"]), bool(clock_doc["frozen"]))
    clock.set(float(clock_doc["now"]))
    previous = (namespace.clock, namespace.seed, namespace.empty, namespace.token_clock)
    namespace.clock, namespace.seed, namespace.empty = clock, int(document["seed"]), bool(document["empty"])
    try:
        states = {}
        for vendor, tables in document["vendors"].items():
            if vendor not in codecs:
                raise StateError(f"vendors.{vendor}: no such vendor")
            states[vendor] = codecs[vendor].load(namespace.context(vendor), tables)
        effects = tuple(Effect(item["vendor"], item["name"], item["args"], float(item["due"]), item["label"])
                        for item in document["effects"])
        for index, effect in enumerate(effects):
            try:
                namespace.config.effects.check(effect)
            except EffectError as error:
                raise StateError(f"effects[{index}]: {error}") from None
    except BaseException:
        namespace.clock, namespace.seed, namespace.empty, namespace.token_clock = previous
        raise
    namespace.token_clock = str(clock_doc["token_clock"])
    namespace.install(states, effects)
