"""Response mutation within a schema: every kind, validity, determinism, one entity alike everywhere."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from simulator.core.mutation import KINDS, MAX_STRING, Mutation, Rules, mutate, mutate_valid

DOCUMENT: dict[str, Any] = {
    "components": {"schemas": {
        "Item": {
            "type": "object",
            "required": ["id", "name", "status"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string", "minLength": 2, "maxLength": 40},
                "status": {"type": "string", "enum": ["LIVE", "ENDED", "GONE"]},
                "note": {"type": ["string", "null"]},
                "score": {"type": "integer", "minimum": 0, "maximum": 100},
                "owner_id": {"type": "string"},
                "created": {"type": "string", "format": "date-time"},
                "tags": {"type": "array", "maxItems": 6, "items": {"type": "string", "pattern": "^[a-z]+$"}},
            },
        },
        "Closed": {"type": "object", "additionalProperties": False,
                   "properties": {"a": {"type": "integer", "minimum": 1, "maximum": 9}}},
    }},
}
LIST: dict[str, Any] = {"type": "object", "required": ["items"],
        "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                       "total": {"type": "integer", "minimum": 0}}}
ITEM = {"$ref": "#/components/schemas/Item"}
RECORDS: list[dict[str, Any]] = [
    {"id": f"i{n}", "name": f"item number {n}", "status": "LIVE", "note": "x", "score": 50, "owner_id": "o1",
     "created": "2025-01-01T00:00:00Z", "tags": ["a", "b"]}
    for n in range(12)
]
BODY = {"items": RECORDS, "total": 12}


def _rules(seed: int = 1, rate: float = 1.0, kinds: tuple[str, ...] = KINDS, scope: str = "listItems") -> Rules:
    return Rules(seed=seed, rate=rate, kinds=frozenset(kinds), scope=scope)


def _validator(schema: Any) -> Any:
    return jsonschema_rs.validator_for({**schema, "components": DOCUMENT["components"]})


def _kinds(mutations: list[Mutation]) -> set[str]:
    return {m.kind for m in mutations}


def _only(kind: str, body: Any = BODY, schema: Any = LIST, seed: int = 1) -> tuple[Any, list[Mutation]]:
    return mutate(DOCUMENT, schema, body, _rules(seed=seed, kinds=(kind,)))


def test_optional_properties_are_dropped_and_required_ones_kept() -> None:
    mutated, applied = _only("drop_optional")
    assert applied and all(m.kind == "drop_optional" for m in applied)
    for item in mutated["items"]:
        assert {"id", "name", "status"} <= set(item)
    assert sum(len(item) for item in mutated["items"]) < sum(len(item) for item in RECORDS)


def test_only_nullable_values_become_null() -> None:
    mutated, applied = _only("set_null")
    assert applied and {m.path.rsplit("/", 1)[1] for m in applied} == {"note"}
    assert all(item["note"] is None for item in mutated["items"])


def test_arrays_are_emptied_grown_to_max_items_or_reordered() -> None:
    emptied, _ = _only("empty_array")
    assert emptied["items"] == []
    grown, applied = _only("grow_array")
    assert any(m.path == "/items" for m in applied) and len(grown["items"]) == 12 + 3  # no maxItems: 3 more
    assert all(len(item["tags"]) == 6 for item in grown["items"][:12])  # maxItems 6, by repeating items
    reordered, _ = _only("reorder_array")
    assert sorted(i["id"] for i in reordered["items"]) == sorted(i["id"] for i in RECORDS)
    assert [i["id"] for i in reordered["items"]] != [i["id"] for i in RECORDS]


def test_no_array_is_reordered_where_order_is_promised() -> None:
    marked = {**LIST, "properties": {**LIST["properties"], "items": {**LIST["properties"]["items"],
                                                                      "x-sim-ordered": True}}}
    _, applied = mutate(DOCUMENT, marked, BODY, _rules(kinds=("reorder_array",)))
    assert "/items" not in {m.path for m in applied}
    _, sorted_on_request = mutate(DOCUMENT, LIST, BODY, Rules(1, 1.0, frozenset({"reorder_array"}), "op", True))
    assert sorted_on_request == []


def test_strings_at_their_length_bounds_in_non_ascii_and_right_to_left_text() -> None:
    longest, applied = _only("max_length")
    assert applied and {m.path.rsplit("/", 1)[1] for m in applied} == {"name", "note"}  # no id, owner_id, date
    for item in longest["items"]:
        assert len(item["name"]) == 40 and not item["name"].isascii()
        assert len(item["note"]) == 256 and any("\u05d0" <= c <= "\u06ff" for c in item["note"])
    shortest, _ = _only("min_length")
    assert {len(item["name"]) for item in shortest["items"]} == {2} and {i["note"] for i in shortest["items"]} == {""}
    huge = {"type": "string", "maxLength": 10**6}
    assert len(mutate(DOCUMENT, huge, "x", _rules(kinds=("max_length",)))[0]) == MAX_STRING


def test_numbers_at_their_bounds_and_enums_rotated() -> None:
    low, _ = _only("min_number")
    assert {item["score"] for item in low["items"]} == {0}
    high, _ = _only("max_number")
    assert {item["score"] for item in high["items"]} == {100}
    rotated, _ = _only("rotate_enum")
    assert {item["status"] for item in rotated["items"]} == {"ENDED"}


def test_extra_properties_only_where_the_schema_allows_them() -> None:
    mutated, _ = _only("extra_property")
    assert "sim_extra" in mutated and all("sim_extra" in item for item in mutated["items"])
    _, closed = mutate(DOCUMENT, {"$ref": "#/components/schemas/Closed"}, {"a": 3}, _rules(kinds=("extra_property",)))
    assert closed == []


def test_what_cannot_be_proved_valid_is_left_alone() -> None:
    either = {"oneOf": [{"type": "string"}, {"type": "integer", "minimum": 0}]}
    value, applied = mutate(DOCUMENT, either, "text", _rules())
    assert (value, applied) == ("text", [])
    nullable = {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 5}, {"type": "null"}]}
    seen = {mutate(DOCUMENT, nullable, 3, _rules(seed=seed))[0] for seed in range(30)}
    assert seen <= {None, 1, 5, 3} and None in seen


@pytest.mark.parametrize("seed", range(25))
def test_every_mutated_body_keeps_to_the_schema(seed: int) -> None:
    validator = _validator(LIST)
    mutated, applied = mutate(DOCUMENT, LIST, BODY, _rules(seed=seed, rate=0.6))
    assert applied and validator.is_valid(mutated)


def test_the_real_body_is_never_changed_in_place() -> None:
    before = repr(BODY)
    mutate(DOCUMENT, LIST, BODY, _rules(rate=1.0))
    assert repr(BODY) == before


def test_same_seed_same_mutations_and_another_seed_others() -> None:
    first = mutate(DOCUMENT, LIST, BODY, _rules(seed=5, rate=0.5))
    assert mutate(DOCUMENT, LIST, BODY, _rules(seed=5, rate=0.5)) == first
    assert mutate(DOCUMENT, LIST, BODY, _rules(seed=6, rate=0.5))[1] != first[1]
    assert mutate(DOCUMENT, LIST, BODY, _rules(rate=0.0)) == (BODY, [])


def test_an_entity_is_mutated_alike_in_a_list_and_in_its_own_answer() -> None:
    kinds = tuple(k for k in KINDS if k not in ("empty_array", "grow_array", "reorder_array"))
    for seed in range(10):
        listed, _ = mutate(DOCUMENT, LIST, BODY, _rules(seed=seed, rate=0.5, kinds=kinds, scope="listItems"))
        for index in (0, 7):
            alone, _ = mutate(DOCUMENT, ITEM, RECORDS[index], _rules(seed=seed, rate=0.5, kinds=kinds, scope="getItem"))
            assert listed["items"][index] == alone


def test_a_mutation_that_would_break_the_schema_is_withdrawn() -> None:
    def rejects_short_names(body: Any) -> list[str]:  # a rule the mutator cannot see
        return [f"/items/{i}/name" for i, item in enumerate(body["items"]) if len(item["name"]) < 5]

    outcome = mutate_valid(DOCUMENT, LIST, BODY, _rules(kinds=("min_length", "rotate_enum")), rejects_short_names)
    assert outcome.mutations and not rejects_short_names(outcome.body)
    assert outcome.withdrawn and all(m.kind == "min_length" and m.path.endswith("/name") for m in outcome.withdrawn)
    assert {"rotate_enum", "min_length"} == _kinds(outcome.mutations)  # the others stay (notes made short)
    assert not any(m.path.endswith("/name") for m in outcome.mutations)


def test_a_body_that_stays_broken_goes_out_real() -> None:
    outcome = mutate_valid(DOCUMENT, LIST, BODY, _rules(), lambda body: ["/elsewhere"] if body != BODY else [])
    assert outcome.body is BODY and outcome.mutations == [] and outcome.withdrawn
