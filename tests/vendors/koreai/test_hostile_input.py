"""The Kore.ai admin calls (start and end a call) take bounded values only: every string has a
maximum length and every number a range, so nothing unbounded is stored or echoed."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from simulator.core.spec import specs_dir
from tests.support import Sim

BOT = "st-9c3e7a1d-2f4b-5d86-a0e1-7b9c2d4f6a81"
OPERATIONS = ("createKoreaiCall", "endKoreaiCall", "listKoreaiCalls")


def _inputs(operation_id: str) -> dict[str, Any]:
    """Each input of the admin operation (parameters and body properties) by name, with its schema."""
    doc = yaml.safe_load((specs_dir() / "admin.yaml").read_text(encoding="utf-8"))
    [op] = [op for item in doc["paths"].values() for op in item.values()
            if isinstance(op, dict) and op.get("operationId") == operation_id]
    found = {f"{p['in']}.{p['name']}": p["schema"] for p in op.get("parameters", [])}
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    found.update({f"body.{name}": schema for name, schema in body.get("properties", {}).items()})
    return found


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_every_string_and_number_sent_is_bounded_in_the_spec(operation_id: str) -> None:
    for name, schema in _inputs(operation_id).items():
        if schema.get("type") == "string":
            assert "maxLength" in schema, f"{operation_id} {name} has no maxLength"
        if schema.get("type") in ("integer", "number"):
            assert "minimum" in schema and "maximum" in schema, f"{operation_id} {name} is unbounded"
            assert -(2**63) <= schema["minimum"] <= schema["maximum"] <= 2**63 - 1


@pytest.mark.parametrize(("method", "path", "kwargs", "field"), [
    ("POST", "/_sim/koreai/calls", {"json": {"bot_id": "b" * 129}}, "body.bot_id"),
    ("POST", "/_sim/koreai/calls", {"json": {"bot_id": BOT, "session_id": "s" * 129}}, "body.session_id"),
    ("POST", "/_sim/koreai/calls", {"json": {"bot_id": BOT, "recordings": 10**30}}, "body.recordings"),
    ("POST", "/_sim/koreai/calls", {"json": {"bot_id": BOT, "duration_seconds": 1e300}}, "body.duration_seconds"),
    ("POST", "/_sim/koreai/calls/" + "c" * 129 + "/end", {}, "path.session_id"),
    ("GET", "/_sim/koreai/calls", {"params": {"bot_id": "b" * 129}}, "query.bot_id"),
], ids=["long-bot", "long-session", "huge-recordings", "huge-duration", "long-end-id", "long-list-bot"])
def test_values_past_the_bounds_are_400_naming_the_field_and_store_nothing(
    sim: Sim, method: str, path: str, kwargs: dict[str, Any], field: str,
) -> None:
    before = sim.http.get("/_sim/koreai/calls").json()["calls"]
    response = sim.http.request(method, path, **kwargs)
    assert response.status_code == 400, response.text[:300]
    assert field in {v["field"] for v in response.json()["error"]["violations"]}
    assert len(response.content) < 2048  # the value is quoted as a short excerpt, not echoed whole
    assert sim.http.get("/_sim/koreai/calls").json()["calls"] == before
