"""Rules every spec keeps, so that what the server sends is declared and what a client sends is bounded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from simulator.core.spec import specs_dir

SPECS = sorted(p.name for p in specs_dir().glob("*.yaml"))
INT64_MAX = 2**63 - 1
METHODS = ("get", "put", "post", "delete", "patch")


def _load(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((specs_dir() / name).read_text(encoding="utf-8")))


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _resolve(doc: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _integers(doc: dict[str, Any], node: Any, where: str, seen: set[int]) -> Iterator[tuple[str, Any]]:
    node = _resolve(doc, node)
    if not isinstance(node, dict) or id(node) in seen:
        return
    seen.add(id(node))
    kind = node.get("type")
    if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
        yield where, node
    for key in ("properties", "patternProperties"):
        for name, child in (node.get(key) or {}).items():
            yield from _integers(doc, child, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield from _integers(doc, node[key], f"{where}[]", seen)
    for key in ("allOf", "anyOf", "oneOf"):
        for child in node.get(key) or []:
            yield from _integers(doc, child, where, seen)


@pytest.mark.parametrize("name", SPECS)
def test_every_operation_declares_what_the_servers_limits_send(name: str) -> None:
    doc = _load(name)
    for path, method, op in _operations(doc):
        declared = set(map(str, op["responses"]))
        needed = {"400", "405", "413", "414", "431"} | ({"408"} if "requestBody" in op else set())
        if name == "admin.yaml" and not op.get("x-sim-open"):
            needed.add("401")  # the admin token
        assert needed <= declared, f"{method.upper()} {path} lacks {sorted(needed - declared)}"


@pytest.mark.parametrize("name", SPECS)
def test_every_integer_a_client_sends_is_bounded_to_64_bits(name: str) -> None:
    doc = _load(name)
    unbounded = []
    for path, method, op in _operations(doc):
        found = []
        for param in op.get("parameters", []):
            param = _resolve(doc, param)
            found += list(_integers(doc, param.get("schema"), f"{param['in']}.{param['name']}", set()))
        body = _resolve(doc, op.get("requestBody")) or {}
        for media in (body.get("content") or {}).values():
            found += list(_integers(doc, media.get("schema"), "body", set()))
        unbounded += [f"{method.upper()} {path} {where}" for where, schema in found
                      if not (-INT64_MAX - 1 <= schema.get("minimum", -(2**64)) <= schema.get("maximum", 2**64)
                              <= INT64_MAX)]
    assert not unbounded, f"integers need a minimum and a maximum within 64 bits: {unbounded}"
