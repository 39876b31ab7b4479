"""What a namespace holds on its own: GET /_sim/namespaces/{name} and GET /_sim/namespaces?memory=true."""

from __future__ import annotations

from typing import Any

import httpx

from simulator.app import create_app
from simulator.core import footprint
from simulator.testing.server import ThreadedServer
from tests.support import make_settings, prevail_token
from tests.vendors.prevail.helpers import new_request


def memory(admin: httpx.Client, name: str) -> dict[str, int]:
    response = admin.get(f"/_sim/namespaces/{name}")
    assert response.status_code == 200
    return dict(response.json()["memory"])


def test_memory_counts_own_records_journal_and_pending_not_the_shared_baseline() -> None:
    app = create_app(make_settings(tick_seconds=3600.0))
    with ThreadedServer(app) as server:
        admin = httpx.Client(base_url=server.url, timeout=30)
        token = {"Authorization": f"Bearer {prevail_token('acme-legal')}"}
        assert httpx.get(f"{server.url}/_ns/fresh/api/v1/session_requests", headers=token).status_code == 200
        fresh = memory(admin, "fresh")
        assert fresh["pending"] == 0 and fresh["journal"] > 0
        assert fresh["total"] == fresh["records"] + fresh["journal"] + fresh["pending"]
        backend: Any = app.state.registry.find("fresh").state("prevail")
        seeded = sum(footprint.object_bytes(record) for record in backend.requests.values())
        assert seeded > 0 and fresh["records"] < seeded  # seeded records are shared, not the namespace's own

        busy = httpx.Client(base_url=f"{server.url}/_ns/busy", headers=token, timeout=30)
        for _ in range(100):  # each request is scheduled later: a timed effect waits for each
            assert busy.post("/api/v1/session_requests", json=new_request()).status_code == 201
        grown = memory(admin, "busy")
        assert grown["records"] > fresh["records"] + 100 * 100  # a created request is at least 100 bytes
        assert grown["journal"] > 50 * fresh["journal"]
        assert grown["pending"] > 100 * 50

        assert admin.delete("/_sim/journal", headers={"X-Sim-Namespace": "busy"}).status_code == 204
        assert memory(admin, "busy")["journal"] < grown["journal"] // 10  # the clearing call is journaled

        listed = admin.get("/_sim/namespaces", params={"memory": "true"}).json()
        assert set(listed["memory"]) == {"fresh", "busy"}
        assert listed["memory"]["busy"]["records"] == memory(admin, "busy")["records"]
        assert "memory" not in admin.get("/_sim/namespaces").json()
        assert admin.get("/_sim/namespaces", params={"memory": "maybe"}).status_code == 400
        busy.close()
        admin.close()


def test_tables_count_only_records_nothing_else_holds() -> None:
    shared = [[n] * 10 for n in range(100)]
    borrowed = dict(enumerate(shared))
    own = {n: [n] * 10 for n in range(100)}
    assert footprint.table_bytes(borrowed) < footprint.table_bytes(own) // 3
    assert footprint.table_bytes({}) > 0
