"""The JSON Schema of a namespace document (``GET /_sim/state/schema``): the core part, and each vendor's
tables as its record codec describes them.

Every array and string is bounded and no pattern is used, so checking a document takes time linear in
its size. What the schema cannot say (a rule that names an unknown operation, a record of an unknown
tenant) is refused by :func:`simulator.core.statedoc.load` as a :class:`StateError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from simulator.core.faults import MAX_RULES
from simulator.core.mutation import KINDS
from simulator.core.ratelimit import MAX_BUCKETS, MAX_CAPACITY, MAX_REFILL, PER
from simulator.core.records import RecordCodec
from simulator.core.statedoc import FORMAT
from simulator.core.webhooks import MAX_PENDING, RETRY_DELAYS

EARLIEST = datetime(1969, 12, 31, tzinfo=UTC).timestamp()
LATEST = datetime(9000, 1, 2, tzinfo=UTC).timestamp()
MAX_EFFECTS = 1_000_000  # pending timed effects in one document
TEXT = 4096  # characters of a name, label or key
URL_CHARS = 8192

_INT64 = 2**63 - 1
_SEED = {"type": "integer", "minimum": 0, "maximum": _INT64}
_INSTANT = {"type": "number", "minimum": EARLIEST, "maximum": LATEST}
_TEXT = {"type": "string", "maxLength": TEXT}
_NAME = {"type": "string", "minLength": 1, "maxLength": 64}
_COUNT = {"type": "integer", "minimum": 0, "maximum": 10**12}
_NAMES = {"type": ["array", "null"], "maxItems": 1000, "items": _TEXT}


def _object(properties: Mapping[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": dict(properties),
            "required": [name for name in properties if name not in optional]}


_RANDOM = _object({
    "version": {"type": "integer", "minimum": 3, "maximum": 3},
    "internal": {"type": "array", "minItems": 625, "maxItems": 625,
                 "items": {"type": "integer", "minimum": 0, "maximum": 2**32 - 1}},
    "gauss": {"type": ["number", "null"]},
})

_FAULTS = {**_object({
    "seed": _SEED,
    "next_id": {"type": "integer", "minimum": 1, "maximum": 10**12},
    "rules": {"type": "array", "maxItems": MAX_RULES, "items": _object({
        "id": _NAME, "rule": {"type": "object"}, "matched": _COUNT, "fired": _COUNT,
        "chance": _RANDOM, "delays": _RANDOM,
    }, optional=("chance", "delays"))},
}), "type": ["object", "null"]}

_RATE_LIMITS = {"type": "array", "maxItems": 100, "items": _object({
    "vendor": _NAME,
    "capacity": {"type": "integer", "minimum": 1, "maximum": MAX_CAPACITY},
    "refill_per_second": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_REFILL},
    "per": {"enum": list(PER)},
    "preset": {"type": ["string", "null"], "maxLength": 64},
    "buckets": {"type": "array", "maxItems": MAX_BUCKETS, "items": _object({
        "tenant": _TEXT, "tokens": {"type": "number", "minimum": 0, "maximum": MAX_CAPACITY}, "at": _INSTANT})},
})}

_FUZZ = {**_object({
    "seed": _SEED,
    "rate": {"type": "number", "minimum": 0, "maximum": 1},
    "mutations": {"type": "array", "maxItems": len(KINDS), "uniqueItems": True, "items": {"enum": list(KINDS)}},
    "vendors": _NAMES, "operations": _NAMES,
    "replay": {"type": ["string", "null"], "maxLength": TEXT},
    "mutated": _COUNT,
}), "type": ["object", "null"]}

_DELIVERY = {**_object({
    "id": {"type": "integer", "minimum": 1, "maximum": _INT64},
    "url": {"type": "string", "maxLength": URL_CHARS},
    "vendor": _NAME, "event": _TEXT,
    "attempt": {"type": "integer", "minimum": 1, "maximum": len(RETRY_DELAYS) + 1},
    "due": _INSTANT,
    "copy": {"type": "integer", "minimum": 0, "maximum": 100},
    "payload": {}, "signed": _object({"claims": {"type": "object"}, "key": _TEXT}),
    "fault": _object({"rule": _NAME, "effect": {"type": "object"}}),
}, optional=("payload", "signed", "fault")), "oneOf": [{"required": ["payload"]}, {"required": ["signed"]}]}

_HELD = {**_DELIVERY, "properties": {**_DELIVERY["properties"], "until": _INSTANT,
                                     "after": {"type": ["integer", "null"], "minimum": 1,
                                               "maximum": _INT64}},
         "required": [*_DELIVERY["required"], "until", "after"]}

_WEBHOOKS = _object({
    "next_id": {"type": "integer", "minimum": 1, "maximum": _INT64},
    "deliveries": {"type": "array", "maxItems": MAX_PENDING, "items": _DELIVERY},
    "held": {"type": "array", "maxItems": MAX_PENDING, "items": _HELD},
}, optional=("held",))

_EFFECT = _object({"vendor": _NAME, "name": _NAME, "args": {"type": "object"}, "due": _INSTANT, "label": _TEXT})


def document_schema(codecs: Mapping[str, RecordCodec]) -> dict[str, Any]:
    """The schema of a namespace document for a server with these vendors' codecs."""
    vendors = {vendor: dict(codec.schema) for vendor, codec in sorted(codecs.items())}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Namespace state document",
        **_object({
            "format": {"type": "integer", "minimum": FORMAT, "maximum": FORMAT},
            "seed": _SEED,
            "empty": {"type": "boolean"},
            "clock": _object({"start": _INSTANT, "now": _INSTANT, "frozen": {"type": "boolean"},
                              "token_clock": {"enum": ["wall", "namespace"]}}),
            "vendors": {"type": "object", "additionalProperties": False, "properties": vendors},
            "effects": {"type": "array", "maxItems": MAX_EFFECTS, "items": _EFFECT},
            "faults": _FAULTS,
            "rate_limits": _RATE_LIMITS,
            "fuzz": _FUZZ,
            "webhooks": _WEBHOOKS,
        }, optional=("faults", "rate_limits", "fuzz", "webhooks")),
    }


@dataclass(frozen=True)
class Problem:
    path: tuple[str, ...]  # where in the document: keys and indexes
    rule: str  # JSON pointer into the schema
    message: str

    @property
    def pointer(self) -> str:
        """JSON pointer into the document."""
        return "".join(f"/{escape(part)}" for part in self.path)


class DocumentSchema:
    """The schema of one server's documents, its validator compiled on first use."""

    def __init__(self, codecs: Mapping[str, RecordCodec]):
        self.document = document_schema(codecs)

    @cached_property
    def _validator(self) -> Any:
        import jsonschema_rs

        return jsonschema_rs.validator_for(self.document)

    def problem(self, document: Any) -> Problem | None:
        """The first way ``document`` breaks the schema, or None."""
        for error in self._validator.iter_errors(document):
            path = [str(part) for part in error.instance_path]
            kind = type(error.kind).__name__
            if kind == "Required":  # a missing property is named itself, not its parent
                path.append(str(error.kind.property))
            elif kind == "AdditionalProperties" and error.kind.unexpected:  # and so is one too many
                path.append(str(error.kind.unexpected[0]))
            rule = "#" + "".join(f"/{escape(part)}" for part in error.schema_path)
            return Problem(tuple(path), rule, str(error.message))
        return None


def escape(part: Any) -> str:
    """One JSON pointer token."""
    return str(part).replace("~", "~0").replace("/", "~1")


def spec_component(codecs: Mapping[str, RecordCodec]) -> dict[str, Any]:
    """:func:`document_schema` as the admin spec's ``StateDocument`` component (no nested ``$schema``).

    The app puts it into the admin spec it serves, so requests and answers are checked against the
    vendors it was built with; ``specs/admin.yaml`` holds it for the shipped vendors (a test keeps the
    two equal).
    """
    return {"description": COMPONENT_DESCRIPTION, **_without_dialect(document_schema(codecs))}


COMPONENT_DESCRIPTION = "A namespace as one document: what `GET /_sim/state/schema` publishes."


def _without_dialect(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _without_dialect(item) for key, item in value.items() if key != "$schema"}
    if isinstance(value, list):
        return [_without_dialect(item) for item in value]
    return value
