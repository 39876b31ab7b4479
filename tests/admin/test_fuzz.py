"""``/_sim/fuzz`` over HTTP: settings, the header and journal, replay, determinism, refusals, reset."""

from __future__ import annotations

import itertools
import time
from typing import Any

import httpx

from simulator.testing.server import ThreadedServer
from tests.support import Sim
from tests.vendors.realtimekit.helpers import NORTHWIND_TOKEN, sessions_path

AUTH = {"Authorization": f"Bearer {NORTHWIND_TOKEN}"}
_fresh = itertools.count(1)


def _namespace(server: ThreadedServer) -> Sim:
    name = f"fuzz{next(_fresh)}"
    return Sim(f"{server.url}/_ns/{name}", name)


def _sessions(sim: Sim, **params: Any) -> httpx.Response:
    response = sim.http.get(sessions_path(), headers=AUTH, params={"per_page": 5, **params})
    assert response.status_code == 200, response.text
    return response


def _mutations(sim: Sim) -> list[dict[str, Any]]:
    return [e["detail"]["mutation"] for e in sim.journal() if "mutation" in e.get("detail", {})]


def test_off_by_default_then_on_with_settings_and_off_again(sim: Sim) -> None:
    assert sim.http.get("/_sim/fuzz").json() == {"enabled": False}
    real = _sessions(sim)
    assert "x-sim-mutation" not in real.headers
    settings = sim.http.put("/_sim/fuzz", json={"seed": 4, "rate": 0.33333333, "vendors": ["realtimekit"],
                                                 "mutations": ["drop_optional", "rotate_enum"]}).json()
    assert settings["enabled"] and settings["seed"] == 4 and settings["rate"] == 0.333333
    assert settings["mutations"] == ["drop_optional", "rotate_enum"] and settings["vendors"] == ["realtimekit"]
    fuzzed = _sessions(sim)
    mutation = fuzzed.headers["x-sim-mutation"]
    assert mutation.startswith("m1.getSessions.4.333333.") and fuzzed.json() != real.json()
    [entry] = _mutations(sim)
    assert entry["id"] == mutation and entry["count"] == len(entry["mutations"]) > 0
    assert {m["kind"] for m in entry["mutations"]} <= {"drop_optional", "rotate_enum"}
    assert sim.http.get("/_sim/fuzz").json()["mutated"] == 1
    assert sim.http.delete("/_sim/fuzz").json() == {"enabled": False}
    assert _sessions(sim).json() == real.json()


def test_admin_answers_and_other_vendors_are_left_alone(sim: Sim) -> None:
    sim.http.put("/_sim/fuzz", json={"rate": 1, "vendors": ["prevail"]})
    assert "x-sim-mutation" not in _sessions(sim).headers
    assert "x-sim-mutation" not in sim.http.get("/_sim/clock").headers
    sim.http.put("/_sim/fuzz", json={"rate": 1, "operations": ["getSessionDetails"]})
    assert "x-sim-mutation" not in _sessions(sim).headers


def test_the_same_seed_gives_the_same_mutations_in_two_fresh_namespaces(server: ThreadedServer) -> None:
    runs = []
    for _ in range(2):
        sim = _namespace(server)
        sim.http.put("/_sim/fuzz", json={"seed": 11, "rate": 0.4})
        answers = [(r.headers.get("x-sim-mutation"), r.json()) for r in
                   (_sessions(sim, page_no=page) for page in (1, 2, 1, 3))]
        runs.append((answers, [m["mutations"] for m in _mutations(sim)]))
        sim.close()
    assert runs[0] == runs[1] and all(mutation for mutation, _ in runs[0][0])


def test_a_session_looks_the_same_in_the_list_and_in_its_own_get(sim: Sim) -> None:
    real = _sessions(sim, sort_by="createdAt").json()["data"]["sessions"]
    sim.http.put("/_sim/fuzz", json={"seed": 2, "rate": 0.6,
                                      "mutations": ["drop_optional", "rotate_enum", "max_length", "min_number",
                                                    "extra_property"]})
    listed = _sessions(sim, sort_by="createdAt").json()["data"]["sessions"]
    assert [s["id"] for s in listed] == [s["id"] for s in real] and listed != real
    for session in listed:
        alone = sim.http.get(f"{sessions_path()}/{session['id']}", headers=AUTH)
        assert alone.headers.get("x-sim-mutation") or session in real
        assert alone.json()["data"] == session


def test_replay_reproduces_a_mutation_in_a_fresh_namespace_once(server: ThreadedServer) -> None:
    first = _namespace(server)
    first.http.put("/_sim/fuzz", json={"seed": 8, "rate": 0.5})
    original = _sessions(first, page_no=2)
    mutation = original.headers["x-sim-mutation"]
    fresh = _namespace(server)
    plan = fresh.http.put("/_sim/fuzz", json={"replay": mutation}).json()
    assert plan["replay"] == mutation and plan["operations"] == ["getSessions"]
    replayed = _sessions(fresh, page_no=2)
    assert replayed.headers["x-sim-mutation"] == mutation and replayed.json() == original.json()
    [entry] = _mutations(fresh)
    assert entry["replay_of"] == mutation and entry["reproduced"] is True
    assert fresh.http.get("/_sim/fuzz").json() == {"enabled": False}  # one answer only
    assert "x-sim-mutation" not in _sessions(fresh).headers
    first.close()
    fresh.close()


def test_bad_settings_are_400_and_unknown_names_404_naming_the_field(sim: Sim) -> None:
    cases = [
        ({"rate": 2}, 400, "body.rate"),
        ({"seed": -1}, 400, "body.seed"),
        ({"mutations": ["explode"]}, 400, "body.mutations"),
        ({"replay": "m1.getSessions.1.5.7ff.0123abcd", "seed": 3}, 400, "body"),
        ({"replay": "not-an-id"}, 400, "body.replay"),
        ({"replay": "m1.getSessions.1.5.ffff.0123abcd"}, 400, "body.replay"),
        ({"surprise": 1}, 400, "body"),
        ({"vendors": ["acme"]}, 404, "body.vendors"),
        ({"operations": ["noSuchOperation"]}, 404, "body.operations"),
        ({"replay": "m1.noSuchOperation.1.5.7ff.0123abcd"}, 404, "body.replay"),
    ]
    for body, status, field in cases:
        answer = sim.http.put("/_sim/fuzz", json=body)
        assert answer.status_code == status, (body, answer.text)
        error = answer.json()["error"]
        assert field in error["message"] or any(v["field"].startswith(field) for v in error.get("violations", []))
    assert sim.http.get("/_sim/fuzz").json() == {"enabled": False}  # nothing half-set
    assert sim.http.post("/_sim/fuzz", json={}).status_code == 405


def test_a_long_replay_value_is_refused_quickly(sim: Sim) -> None:
    started = time.monotonic()
    answer = sim.http.put("/_sim/fuzz", json={"replay": "m1." + "a" * 65536})
    assert answer.status_code == 400 and time.monotonic() - started < 2


def test_reset_turns_fuzzing_off(sim: Sim) -> None:
    sim.http.put("/_sim/fuzz", json={"rate": 1})
    assert sim.http.post("/_sim/reset").status_code == 200
    assert sim.http.get("/_sim/fuzz").json() == {"enabled": False}
    assert "x-sim-mutation" not in _sessions(sim).headers
