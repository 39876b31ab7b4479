"""Adversarial answers that stay inside the spec: the real body, transformed within its response schema.

Every place of a body (a property, an array item, the root) may get one mutation, chosen among the
kinds its schema proves valid there:

- ``drop_optional``: a property the schema does not require is left out;
- ``set_null``: a nullable value becomes ``null``;
- ``empty_array`` / ``grow_array``: an array is emptied (when ``minItems`` allows) or grown to its
  ``maxItems`` (at most :data:`MAX_GROWN`; without one, :data:`GROW_BY` more) by repeating its items
  (never where ``uniqueItems`` is asked);
- ``reorder_array``: the items are shuffled, unless the array is marked ``x-sim-ordered: true`` or the
  operation sorts on request (it has a ``sort``/``order`` query parameter): there the order is a promise;
- ``min_length`` / ``max_length``: a string at its ``minLength`` / ``maxLength`` (:data:`LONG_STRING`
  without one, never over :data:`MAX_STRING`) in non-ASCII and right-to-left text; only strings with no
  ``format``, ``pattern``, ``enum`` or ``const``, and never references (``id``, ``*_id``, ``*Id``, URLs,
  tokens): a client must still be able to follow them to the stored state;
- ``min_number`` / ``max_number``: a number at its ``minimum`` / ``maximum``;
- ``rotate_enum``: the next value of the enum;
- ``extra_property``: a property the schema does not name, where ``additionalProperties`` allows any.

Schemas are followed through local ``$ref`` and ``allOf`` of object schemas; ``oneOf``/``anyOf`` only in
the nullable form (a schema or ``null``). Anything else is left as it is: what cannot be proved valid
is not touched (a property may still be dropped if its parent does not require it).

Consistency. Choices never depend on call order. An object with an identity (``id``, ``uuid``,
``session_id`` or ``sessionId``) starts a scope; every choice below it is drawn from
``(seed, identity, path inside the entity)``, and above any entity from ``(seed, operationId, path)``.
So one entity gets the same mutations wherever it appears (a list and its own GET) as long as both
answers give it the same schema, and the same seed, answer and settings always give the same result.

Safety. :func:`mutate_valid` checks the mutated body against the schema; mutations near a violation are
withdrawn and the body rebuilt, and if it still breaks the rules the real body is returned untouched.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.core.rand import SeededSource

KINDS = ("drop_optional", "set_null", "empty_array", "grow_array", "reorder_array", "min_length", "max_length",
         "min_number", "max_number", "rotate_enum", "extra_property")
IDENTITY_KEYS = ("id", "uuid", "session_id", "sessionId")
GROW_BY = 3
MAX_GROWN = 100
GROWTH_BUDGET = 1000  # items added to one answer at most: nested arrays must not multiply without bound
LONG_STRING = 256
MAX_STRING = 4096
EXTRA_KEY = "sim_extra"
EXTRA_VALUE = "a property the spec does not name"
MAX_ROUNDS = 2
# Latin with diacritics, CJK, Hebrew and Arabic (right to left, with a right-to-left mark) and an emoji
# outside the Basic Multilingual Plane (one code point, two UTF-16 units).
_TEXT = "Ünïcødé 東京 \u05e9\u05dc\u05d5\u05dd \u200f\u0645\u0631\u062d\u0628\u0627 🙂 ñ "
_OBJECT_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties", "description", "title",
                              "example", "examples", "$ref", "allOf"})
_UNPROVABLE_OBJECT = ("patternProperties", "propertyNames", "unevaluatedProperties", "maxProperties",
                      "minProperties", "dependentRequired", "dependentSchemas", "if", "not")
_UNPROVABLE_STRING = ("format", "pattern", "enum", "const", "contentMediaType", "contentEncoding")
_UNPROVABLE_NUMBER = ("exclusiveMinimum", "exclusiveMaximum", "multipleOf", "enum", "const")


@dataclass(frozen=True)
class Mutation:
    path: str  # JSON pointer into the real (unmutated) body
    kind: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "kind": self.kind}


@dataclass(frozen=True)
class Rules:
    seed: int
    rate: float  # the share of places that are mutated, 0..1
    kinds: frozenset[str]
    scope: str  # identity of everything above the first entity (the operationId)
    ordered: bool = False  # the operation sorts its lists on request: no array of it is reordered


@dataclass
class Outcome:
    body: Any
    mutations: list[Mutation]
    withdrawn: list[Mutation] = field(default_factory=list)  # would have broken the schema


@dataclass(frozen=True)
class _View:
    """What a schema says, once ``$ref``/``allOf``/nullable ``oneOf`` are followed."""

    node: Mapping[str, Any]
    types: frozenset[str]
    nullable: bool
    properties: Mapping[str, Any]
    required: frozenset[str]
    shared: frozenset[str]  # properties several allOf members describe: left alone
    extra_allowed: bool


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _types(node: Mapping[str, Any]) -> frozenset[str]:
    declared = node.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    return frozenset(declared) if isinstance(declared, list) else frozenset()


class _Schemas:
    def __init__(self, document: Mapping[str, Any]):
        self.document = document

    def resolve(self, node: Any, depth: int = 0) -> Any:
        while isinstance(node, Mapping) and "$ref" in node and depth < 32:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                return None
            target: Any = self.document
            for token in ref[2:].split("/"):
                key = token.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, Mapping) or key not in target:
                    return None
                target = target[key]
            if len(node) > 1:  # siblings of $ref (3.1) add rules this module does not merge
                return None
            node, depth = target, depth + 1
        return node if isinstance(node, Mapping) else None

    def view(self, schema: Any) -> _View | None:
        node = self.resolve(schema)
        if node is None:
            return None
        for combinator in ("oneOf", "anyOf"):
            if combinator in node:
                return self._nullable_choice(node, combinator)
        if "allOf" in node:
            return self._all_of(node)
        types = _types(node)
        extra = not any(key in node for key in _UNPROVABLE_OBJECT) and node.get("additionalProperties", True) is True
        return _View(node, types - {"null"}, "null" in types, node.get("properties") or {},
                     frozenset(node.get("required") or ()), frozenset(), extra)

    def _nullable_choice(self, node: Mapping[str, Any], combinator: str) -> _View | None:
        branches = [self.resolve(branch) for branch in node[combinator]]
        if len(node) > 2 or len(branches) != 2 or any(b is None for b in branches):
            return None
        nulls = [b for b in branches if b is not None and _types(b) == {"null"} and len(b) == 1]
        others = [b for b in branches if b is not None and b not in nulls]
        if len(nulls) != 1 or len(others) != 1:
            return None
        inner = self.view(others[0])
        if inner is None or inner.nullable:
            return None
        return _View(inner.node, inner.types, True, inner.properties, inner.required, inner.shared,
                     inner.extra_allowed)

    def _all_of(self, node: Mapping[str, Any]) -> _View | None:
        members = [self.resolve(member) for member in node["allOf"]]
        if any(m is None or not set(m) <= _OBJECT_KEYWORDS or "allOf" in m for m in members):
            return None
        if not set(node) <= _OBJECT_KEYWORDS:
            return None
        properties: dict[str, Any] = {}
        shared: set[str] = set()
        required: set[str] = set(node.get("required") or ())
        extra = node.get("additionalProperties", True) is True
        for member in members:
            assert member is not None
            if _types(member) - {"object"}:
                return None
            for name, schema in (member.get("properties") or {}).items():
                if name in properties:
                    shared.add(name)
                properties[name] = schema
            required.update(member.get("required") or ())
            extra = extra and member.get("additionalProperties", True) is True
        return _View(node, frozenset({"object"}), False, properties, frozenset(required), frozenset(shared), extra)


def _identity(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in IDENTITY_KEYS:
            found = value.get(key)
            if isinstance(found, str | int) and not isinstance(found, bool):
                return f"{key}={found}"
    return None


def _is_reference(key: str | None) -> bool:
    if key is None:
        return False
    lowered = key.lower()
    return (key in IDENTITY_KEYS or key.endswith(("_id", "Id", "_ids", "Ids", "ID"))
            or lowered.endswith(("url", "uri", "token")))


def _text(length: int, offset: int) -> str:
    if length <= 0:
        return ""
    repeated = _TEXT * (length // len(_TEXT) + 2)
    start = offset % len(_TEXT)
    return repeated[start:start + length]


class _Walker:
    def __init__(self, schemas: _Schemas, rules: Rules, banned: frozenset[Mutation]):
        self.schemas = schemas
        self.rules = rules
        self.banned = banned
        self.applied: list[Mutation] = []
        self.budget = GROWTH_BUDGET

    def value(self, value: Any, schema: Any, scope: str, rel: str, path: str, key: str | None,
              optional: bool) -> tuple[bool, Any]:
        """(still present?, new value) of one place of the body; children are mutated before their parent."""
        view = self.schemas.view(schema)
        entity = _identity(value)
        if entity is not None:
            scope, rel = entity, ""
        candidates = ["drop_optional"] if optional else []
        if view is not None:
            if view.nullable and value is not None:
                candidates.append("set_null")
            candidates += self._kinds_for(view, value, key)
        candidates = [kind for kind in candidates if kind in self.rules.kinds]
        chosen: str | None = None
        source: SeededSource | None = None
        if candidates and self.rules.rate > 0:
            source = SeededSource(self.rules.seed, f"fuzz:{scope}:{rel}")
            if source.random.random() < self.rules.rate:
                chosen = candidates[int(source.random.random() * len(candidates))]
                if Mutation(path, chosen) in self.banned:  # withdrawn: it broke the schema here
                    chosen = None
        if chosen == "drop_optional":
            self.applied.append(Mutation(path, chosen))
            return False, value
        if chosen in ("set_null", "empty_array"):  # what was inside is gone: nothing to mutate there
            self.applied.append(Mutation(path, chosen))
            return True, None if chosen == "set_null" else []
        if view is not None:
            value = self._children(value, view, scope, rel, path)
        if chosen is not None and source is not None:
            value = self._apply(chosen, value, view, source, path)
        return True, value

    def _kinds_for(self, view: _View, value: Any, key: str | None) -> list[str]:
        node = view.node
        if isinstance(value, dict):
            return ["extra_property"] if view.extra_allowed and EXTRA_KEY not in view.properties \
                and EXTRA_KEY not in value and view.types <= {"object"} else []
        if isinstance(value, list):
            return self._array_kinds(node, value)
        if isinstance(value, bool) or value is None:
            return []
        kinds: list[str] = []
        enum = node.get("enum")
        if isinstance(enum, list) and len([v for v in enum if type(v) is type(value)]) > 1 and value in enum:
            kinds.append("rotate_enum")
        if isinstance(value, str) and not _is_reference(key) and not any(k in node for k in _UNPROVABLE_STRING):
            kinds += ["min_length", "max_length"]
        if isinstance(value, int | float) and not any(k in node for k in _UNPROVABLE_NUMBER):
            whole = "integer" in view.types
            for kind, bound in (("min_number", "minimum"), ("max_number", "maximum")):
                limit = node.get(bound)
                if isinstance(limit, int | float) and limit != value and (not whole or float(limit).is_integer()):
                    kinds.append(kind)
        return kinds

    def _array_kinds(self, node: Mapping[str, Any], value: list[Any]) -> list[str]:
        if "prefixItems" in node or "contains" in node:
            return []
        kinds = []
        if value and node.get("minItems", 0) == 0:
            kinds.append("empty_array")
        if value and not node.get("uniqueItems") and self._grown_size(node, len(value)) > len(value):
            kinds.append("grow_array")
        if len(value) > 1 and not node.get("x-sim-ordered") and not self.rules.ordered \
                and any(item != value[0] for item in value):
            kinds.append("reorder_array")
        return kinds

    @staticmethod
    def _grown_size(node: Mapping[str, Any], length: int) -> int:
        limit = node.get("maxItems")
        return int(limit) if isinstance(limit, int) and limit <= MAX_GROWN else length + GROW_BY

    def _children(self, value: Any, view: _View, scope: str, rel: str, path: str) -> Any:
        if isinstance(value, dict) and view.types <= {"object"}:
            result: dict[str, Any] = {}
            for name, child in value.items():
                if name not in view.properties or name in view.shared:
                    result[name] = child
                    continue
                child_path = f"{path}/{_escape(name)}"
                present, new = self.value(child, view.properties[name], scope, f"{rel}/{_escape(name)}",
                                          child_path, name, name not in view.required)
                if present:
                    result[name] = new
            return result
        if isinstance(value, list) and view.types <= {"array"} and "items" in view.node:
            items = view.node["items"]
            return [self.value(child, items, scope, f"{rel}/{index}", f"{path}/{index}", None, False)[1]
                    for index, child in enumerate(value)]
        return value

    def _apply(self, kind: str, value: Any, view: _View | None, source: SeededSource, path: str) -> Any:
        assert view is not None  # value-level kinds come from a view
        node = view.node
        if kind == "grow_array":
            target = min(self._grown_size(node, len(value)), len(value) + self.budget)
            if target <= len(value):
                return value
            self.budget -= target - len(value)
            value = value + [copy.deepcopy(value[i % len(value)]) for i in range(target - len(value))]
        elif kind == "reorder_array":
            shuffled = list(value)
            source.random.shuffle(shuffled)
            value = shuffled if shuffled != value else list(reversed(value))
        elif kind == "min_length":
            value = _text(int(node.get("minLength", 0)), source.random.randrange(len(_TEXT)))
        elif kind == "max_length":
            value = _text(min(int(node.get("maxLength", LONG_STRING)), MAX_STRING), source.random.randrange(len(_TEXT)))
        elif kind in ("min_number", "max_number"):
            limit = node["minimum" if kind == "min_number" else "maximum"]
            value = int(limit) if "integer" in view.types else limit
        elif kind == "rotate_enum":
            same_type = [v for v in node["enum"] if type(v) is type(value)]
            value = same_type[(same_type.index(value) + 1) % len(same_type)]
        elif kind == "extra_property":
            value = {**value, EXTRA_KEY: EXTRA_VALUE}
        self.applied.append(Mutation(path, kind))
        return value


def mutate(document: Mapping[str, Any], schema: Any, body: Any, rules: Rules,
           banned: frozenset[Mutation] = frozenset()) -> tuple[Any, list[Mutation]]:
    """The body transformed within ``schema`` (a node of ``document``), and the mutations applied.

    ``body`` itself is never changed: mutated places are rebuilt, the rest is shared.
    """
    walker = _Walker(_Schemas(document), rules, banned)
    _, mutated = walker.value(body, schema, rules.scope, "", "", None, False)
    return mutated, walker.applied


def _near(mutation: str, problem: str) -> bool:
    """One pointer inside (or equal to) the other: the mutation may be what broke that place."""
    return (mutation + "/").startswith(problem + "/") or (problem + "/").startswith(mutation + "/")


def mutate_valid(document: Mapping[str, Any], schema: Any, body: Any, rules: Rules,
                 problems: Callable[[Any], list[str]]) -> Outcome:
    """:func:`mutate`, checked: ``problems(body)`` lists the JSON pointers where a body breaks the schema.

    Mutations near a problem are withdrawn and the body rebuilt (at most :data:`MAX_ROUNDS` times);
    a body that still breaks the schema is never returned: the real one goes out instead.
    """
    banned: frozenset[Mutation] = frozenset()
    for _ in range(MAX_ROUNDS):
        mutated, applied = mutate(document, schema, body, rules, banned)
        if not applied:
            return Outcome(body, [], sorted(banned, key=lambda m: m.path))
        found = problems(mutated)
        if not found:
            return Outcome(mutated, applied, sorted(banned, key=lambda m: m.path))
        implicated = {m for m in applied if any(_near(m.path, where) for where in found)}
        banned = banned | (implicated or set(applied))
    _, applied = mutate(document, schema, body, rules, frozenset())
    return Outcome(body, [], applied)
