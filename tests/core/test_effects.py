"""Timed effects are data, fired through the table their vendor declares, and survive a snapshot."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from simulator.core.effects import Effect, EffectError, EffectTable
from simulator.core.store import Namespace
from simulator.testing.server import ThreadedServer
from tests.core.notes import START, notes_registry


def later(namespace: Namespace, due: float, text: Any, label: str = "") -> None:
    namespace.state("notes").ctx.later(due, "write", {"text": text}, label or f"note {text}")


def advance(namespace: Namespace, to: float) -> int:
    namespace.clock.set(to)
    return namespace.tick()


def test_effects_fire_in_due_order_then_in_the_order_they_were_queued() -> None:
    namespace = notes_registry().get("order")
    later(namespace, START + 20, "c")
    later(namespace, START + 10, "a")
    later(namespace, START + 10, "b")
    assert advance(namespace, START + 5) == 0
    assert advance(namespace, START + 15) == 2 and namespace.state("notes").notes == ["a", "b"]
    assert namespace.queue.pending() == [(START + 20, "note c")]
    assert advance(namespace, START + 20) == 1 and namespace.state("notes").notes == ["a", "b", "c"]


def test_an_effect_runs_its_vendors_handler_on_the_backend_of_its_own_namespace() -> None:
    registry = notes_registry()
    first, second = registry.get("first"), registry.get("second")
    later(first, START + 1, "for first")
    later(second, START + 1, "for second")
    advance(first, START + 1)
    assert first.state("notes").notes == ["for first"] and second.state("notes").notes == []
    advance(second, START + 1)
    assert second.state("notes").notes == ["for second"]


def test_an_effect_holds_data_only() -> None:
    effect = Effect("notes", "write", {"ids": [1, 2], "nested": {"id": "x"}}, START, "label")
    assert effect.args["ids"] == (1, 2) and effect.args["nested"]["id"] == "x"
    with pytest.raises(TypeError):
        effect.args["ids"] = 3  # type: ignore[index]  # read-only: a snapshot shares it
    with pytest.raises(EffectError, match="identify records by id"):
        Effect("notes", "write", {"record": object()}, START, "label")


def test_an_undeclared_effect_is_refused_when_queued_not_when_due() -> None:
    namespace = notes_registry().get("unknown")
    with pytest.raises(EffectError, match="declares no effect 'erase'"):
        namespace.queue.push(Effect("notes", "erase", {}, START + 1, "erase"))
    with pytest.raises(EffectError, match="no effect table for vendor 'other'"):
        namespace.queue.push(Effect("other", "write", {}, START + 1, "other"))
    assert namespace.queue.pending() == []


@pytest.mark.parametrize(("table", "message"), [
    ({"Write Note": lambda backend, args: None}, "not a lower-case identifier"),
    ({"write": "not a function"}, "has no handler function"),
])
def test_a_bad_effect_table_stops_the_server_from_starting(table: dict[str, Any], message: str) -> None:
    from simulator.app import VENDORS, build_pipeline
    from tests.support import make_settings

    with pytest.raises(EffectError, match=message):
        EffectTable({"notes": table})
    broken = (dataclasses.replace(VENDORS[0], effects=table), *VENDORS[1:])
    with pytest.raises(EffectError, match=message):
        build_pipeline(make_settings(), broken)


def test_a_snapshot_keeps_pending_effects_and_a_restored_copy_fires_them_on_its_own_records() -> None:
    namespace = notes_registry().get("snap")
    original = namespace.state("notes")
    later(namespace, START + 10, "due later")
    snapshot = namespace.snapshot()
    namespace.restore(snapshot)
    copy = namespace.state("notes")
    assert copy is not original and namespace.queue.pending() == [(START + 10, "note due later")]
    assert advance(namespace, START + 10) == 1
    assert copy.notes == ["due later"] and original.notes == []
    namespace.restore(snapshot)  # once more: the effect waits again, for the same instant, on a fresh copy
    assert namespace.queue.pending() == [(START + 10, "note due later")]
    assert advance(namespace, START + 10) == 1 and namespace.state("notes").notes == ["due later"]


def test_restoring_drops_effects_queued_after_the_snapshot() -> None:
    namespace = notes_registry().get("drop")
    snapshot = namespace.snapshot()
    later(namespace, START + 10, "after the snapshot")
    namespace.restore(snapshot)
    assert namespace.queue.pending() == []
    assert advance(namespace, START + 10) == 0 and namespace.state("notes").notes == []


def test_a_restored_prevail_namespace_still_auto_schedules_its_requests() -> None:
    from simulator.app import create_app
    from tests.support import make_settings, prevail_token
    from tests.vendors.prevail.helpers import new_request

    app = create_app(make_settings())
    namespace = app.state.registry.get("default")
    headers = {"Authorization": f"Bearer {prevail_token()}"}
    with ThreadedServer(app) as server:
        created = httpx.post(f"{server.url}/api/v1/session_requests", json=new_request(), headers=headers)
        request_id = created.json()["requests"][0]["id"]
        original = namespace.state("prevail")
        due = namespace.queue.pending()[-1][0]
        namespace.restore(namespace.snapshot())
        restored = namespace.state("prevail")
        assert restored is not original and restored.requests[request_id].state == "initial"
        namespace.clock.set(due)
        listed = httpx.get(f"{server.url}/api/v1/session_requests", headers=headers).json()["requests"]
    assert {r["id"]: r["session_state"] for r in listed}[request_id] == "scheduled"
    assert restored.requests[request_id].state == "scheduled"
    assert original.requests[request_id].state == "initial"
