from __future__ import annotations

from typing import Any

import orjson
import pytest
from starlette.datastructures import Headers

from simulator.core.spec import Spec
from simulator.core.validation import Validator, coerce_scalar

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/things/{id}": {
            "post": {
                "operationId": "makeThing",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {"name": "size", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "flag", "in": "query", "schema": {"type": "boolean"}},
                    {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
                    {"name": "mode", "in": "query", "required": True, "schema": {"enum": ["a", "b"]}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                },
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"type": "object", "required": ["ok"]}}}}},
            }
        }
    },
    "components": {"schemas": {"Thing": {
        "type": "object", "required": ["name"],
        "properties": {"name": {"type": "string"}, "inner": {"$ref": "#/components/schemas/Inner"}},
    }, "Inner": {"type": "object", "properties": {"count": {"type": "integer", "minimum": 0}}}}},
}


@pytest.fixture
def validator() -> Validator:
    return Validator(Spec("things", DOCUMENT))


def _check(validator: Validator, query: list[tuple[str, str]], body: Any, path_id: str = "3",
           content_type: str = "application/json") -> Any:
    op = validator.spec.by_id["makeThing"]
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return validator.check_request(op, {"id": path_id}, query, Headers({}), raw, content_type)


def test_values_are_coerced_to_their_schema_types(validator: Validator) -> None:
    checked = _check(validator, [("size", "2.0"), ("flag", "true"), ("tags", "a,b"), ("mode", "a")], {"name": "x"})
    assert checked.violations == []
    assert checked.params == {"id": 3, "size": 2, "flag": True, "tags": ["a", "b"], "mode": "a"}
    assert checked.body == {"name": "x"}


def test_each_violation_names_field_and_rule(validator: Validator) -> None:
    checked = _check(validator, [("size", "0"), ("flag", "yes")], {"inner": {"count": -1}}, path_id="x")
    found = {v.field: v.rule for v in checked.violations}
    assert found == {
        "path.id": "#/paths/~1things~1{id}/post/parameters/0/schema/type",
        "query.size": "#/paths/~1things~1{id}/post/parameters/1/schema/minimum",
        "query.flag": "#/paths/~1things~1{id}/post/parameters/2/schema/type",
        "query.mode": "#/paths/~1things~1{id}/post/parameters/4/required",
        "body.name": "#/components/schemas/Thing/required",
        "body.inner.count": "#/components/schemas/Inner/properties/count/minimum",
    }


def test_body_problems(validator: Validator) -> None:
    assert [v.field for v in _check(validator, [("mode", "a")], b"").violations] == ["body"]
    assert "not valid JSON" in _check(validator, [("mode", "a")], b"{").violations[0].message
    wrong_type = _check(validator, [("mode", "a")], {"name": "x"}, content_type="text/plain")
    assert wrong_type.violations[0].field == "header.content-type"


def test_response_checks(validator: Validator) -> None:
    op = validator.spec.by_id["makeThing"]
    assert validator.check_response(op, 200, "application/json", {"ok": 1}) == []
    assert validator.check_response(op, 200, "application/json", {})[0].field == "response.ok"
    assert "not documented" in validator.check_response(op, 418, "application/json", {})[0].message


@pytest.mark.parametrize(
    ("raw", "schema", "expected"),
    [("7", {"type": "integer"}, 7), ("7.5", {"type": "integer"}, "7.5"), ("1e3", {"type": "number"}, 1000.0),
     ("false", {"type": "boolean"}, False), ("False", {"type": "boolean"}, "False"), ("x", {}, "x")],
)
def test_scalar_coercion(raw: str, schema: dict[str, Any], expected: Any) -> None:
    assert coerce_scalar(raw, schema) == expected
