from __future__ import annotations

import httpx

from simulator.testing.server import ThreadedServer
from tests.support import CLOCK_START, Sim


def test_health(sim: Sim) -> None:
    response = sim.http.get("/_sim/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_clock_starts_where_configured_and_moves_only_when_told(sim: Sim) -> None:
    clock = sim.http.get("/_sim/clock").json()
    assert clock == {"namespace": sim.namespace, "now": "2025-01-20T15:00:00.000Z", "frozen": True,
                     "token_clock": "wall"}
    assert sim.advance(90)["now"] == "2025-01-20T15:01:30.000Z"
    moved = sim.http.put("/_sim/clock", json={"now": "2025-03-01T00:00:00+01:00"}).json()
    assert moved["now"] == "2025-02-28T23:00:00.000Z" and moved["frozen"] is True


def test_unfreezing_lets_the_clock_run(sim: Sim) -> None:
    before = sim.now()
    assert sim.http.put("/_sim/clock", json={"frozen": False}).json()["frozen"] is False
    sim.wait_for(lambda: sim.now() > before + 0.05)


def test_clock_rejects_bad_input_with_a_named_field(sim: Sim) -> None:
    bad = sim.http.put("/_sim/clock", json={"now": "soon"})
    assert bad.status_code == 400
    assert bad.json()["error"]["violations"][0]["field"] == "body.now"
    negative = sim.http.post("/_sim/clock/advance", json={"seconds": -5})
    assert negative.status_code == 400
    assert negative.json()["error"]["violations"][0]["field"] == "body.seconds"
    missing = sim.http.post("/_sim/clock/advance", json={})
    assert missing.json()["error"]["violations"][0]["field"] == "body.seconds"
    sim.http.put("/_sim/clock", json={"now": "8999-12-31T00:00:00Z"})
    assert sim.http.post("/_sim/clock/advance", json={"seconds": 10 * 86400}).status_code == 409


def test_namespace_by_header_and_by_prefix_is_the_same(server: ThreadedServer, sim: Sim) -> None:
    sim.advance(3600)
    by_header = httpx.get(f"{server.url}/_sim/clock", headers={"X-Sim-Namespace": sim.namespace}).json()
    assert by_header["now"] == "2025-01-20T16:00:00.000Z"
    other = httpx.get(f"{server.url}/_ns/{sim.namespace}-other/_sim/clock").json()
    assert other["now"] == "2025-01-20T15:00:00.000Z"


def test_invalid_namespace_names_are_refused(server: ThreadedServer) -> None:
    response = httpx.get(f"{server.url}/_sim/clock", headers={"X-Sim-Namespace": "no/slashes here"})
    assert response.status_code == 400
    assert "Invalid namespace" in response.json()["error"]["message"]


def test_namespaces_can_be_listed_and_deleted(server: ThreadedServer, sim: Sim) -> None:
    sim.advance(5)
    assert sim.namespace in sim.http.get("/_sim/namespaces").json()["namespaces"]
    scratch = f"{sim.namespace}-scratch"
    httpx.get(f"{server.url}/_ns/{scratch}/_sim/clock")
    assert sim.http.delete(f"/_sim/namespaces/{scratch}").status_code == 204
    assert scratch not in sim.http.get("/_sim/namespaces").json()["namespaces"]
    missing = sim.http.delete(f"/_sim/namespaces/{scratch}")
    assert missing.status_code == 404 and scratch in missing.json()["error"]["message"]


def test_reset_restarts_the_clock(sim: Sim) -> None:
    sim.advance(7200)
    assert sim.http.post("/_sim/reset").json() == {"namespace": sim.namespace, "reset": True, "empty": False}
    assert sim.http.get("/_sim/clock").json()["now"] == CLOCK_START.replace(":00Z", ":00.000Z")


def test_journal_records_operations_and_filters(sim: Sim) -> None:
    prevail = sim.prevail()
    prevail.get("/api/v1/session_requests")
    prevail.get("/api/v1/session_requests", params={"start_time": "soon"})
    sim.http.get("/_sim/clock")
    entries = sim.journal()
    assert [e["operation_id"] for e in entries[:3]] == ["listSessionRequests", "listSessionRequests", "getClock"]
    assert [e["status"] for e in entries[:2]] == [200, 422]
    assert all(e["latency_ms"] >= 0 for e in entries)
    assert [e["status"] for e in sim.journal(vendor="prevail", violations="true")] == [422]
    assert sim.journal(violations="true")[0]["violations"][0]["field"] == "query.start_time"
    assert len(sim.journal(operation="getClock")) == 1
    assert len(sim.journal(limit=1)) == 1
    assert sim.http.delete("/_sim/journal").status_code == 204
    assert [e["operation_id"] for e in sim.journal()] == ["clearJournal"]


def test_unknown_paths_and_methods(sim: Sim) -> None:
    missing = sim.http.get("/_sim/nothing-here")
    assert missing.status_code == 404 and "No operation matches" in missing.json()["error"]["message"]
    wrong = sim.http.delete("/_sim/clock")
    assert wrong.status_code == 405 and set(wrong.headers["allow"].split(", ")) == {"GET", "PUT"}


def test_namespace_inspection_shows_seeded_vendors_and_pending_effects(sim: Sim) -> None:
    from tests.vendors.prevail.helpers import new_request

    sim.prevail().post("/api/v1/session_requests", json=new_request())
    view = sim.http.get(f"/_sim/namespaces/{sim.namespace}").json()
    assert view["seeded_vendors"] == ["prevail"]
    assert view["pending"] and view["pending"][0]["due"] == "2025-01-20T16:00:00.000Z"
    assert "auto-schedule" in view["pending"][0]["what"]
    assert sim.http.get("/_sim/namespaces/never-made-this-one").status_code == 404


def test_server_wide_operations_do_not_create_the_namespace_they_are_called_in(server: ThreadedServer) -> None:
    name = "server-wide-check"
    assert httpx.get(f"{server.url}/_ns/{name}/_sim/health").status_code == 200
    assert httpx.get(f"{server.url}/_ns/{name}/_sim/namespaces/{name}").status_code == 404
    httpx.get(f"{server.url}/_ns/{name}/_sim/clock")  # any namespaced call creates it
    assert httpx.get(f"{server.url}/_ns/{name}/_sim/namespaces/{name}").status_code == 200
    assert httpx.delete(f"{server.url}/_ns/{name}/_sim/namespaces/{name}").status_code == 204
    assert httpx.get(f"{server.url}/_ns/{name}/_sim/namespaces/{name}").status_code == 404


def test_snapshot_and_restore_keep_the_namespace_clock() -> None:
    from simulator.app import create_app
    from tests.support import make_settings, prevail_token
    from tests.vendors.prevail.helpers import new_request

    app = create_app(make_settings())
    namespace = app.state.registry.get("default")
    backend = namespace.state("prevail")
    baseline = namespace.snapshot()
    with ThreadedServer(app) as server:
        headers = {"Authorization": f"Bearer {prevail_token()}"}
        httpx.post(f"{server.url}/api/v1/session_requests", json=new_request(), headers=headers)
        assert httpx.get(f"{server.url}/api/v1/session_requests", headers=headers).json()["pagy"]["count"] == 73
        namespace.restore(baseline)
        assert httpx.get(f"{server.url}/api/v1/session_requests", headers=headers).json()["pagy"]["count"] == 72
        restored = namespace.state("prevail")
        assert restored is not backend and restored.ctx.clock is namespace.clock
        assert restored.ctx.queue is namespace.queue
