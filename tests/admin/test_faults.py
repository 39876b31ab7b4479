"""Fault plans through HTTP: the admin operations, every effect on the wire, the journal, determinism."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpcore
import httpx
import orjson
import pytest

from simulator.core.faulteffects import MALFORMED
from simulator.testing.server import ThreadedServer
from tests.support import Sim

CREATE = {"session_request": {"postback_url": "http://127.0.0.1:9/h", "remote_session": {
    "title": "t", "case": "c", "start_date": "2025-01-28", "start_time": "01:30 AM", "time_zone": "UTC"}}}
VONAGE_SESSIONS = "/insights/sessions?from_date=2025-01-01T00:00:00Z&to_date=2025-01-20T00:00:00Z"


def _add(sim: Sim, rule: dict[str, Any]) -> dict[str, Any]:
    response = sim.http.post("/_sim/faults", json=rule)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _rules(sim: Sim) -> list[dict[str, Any]]:
    response = sim.http.get("/_sim/faults")
    assert response.status_code == 200
    return list(response.json()["rules"])


def _requests(sim: Sim) -> list[dict[str, Any]]:
    return [e for e in sim.journal() if e["vendor"] and not e["path"].startswith("/_sim/")]


# --- the admin operations ------------------------------------------------------------------------


def test_rules_are_added_listed_removed_and_cleared(sim: Sim) -> None:
    rule = {"match": {"vendor": "prevail", "operation": "listSessions"}, "when": {"calls": [1]},
            "effect": {"status": 429, "retry_after": 1}}
    assert _add(sim, rule) == {"id": "f1", **rule, "matched": 0, "fired": 0}
    second = _add(sim, {"effect": {"latency": 5}})
    assert second["id"] == "f2" and second["match"] == {} and second["when"] == {}
    assert [r["id"] for r in _rules(sim)] == ["f1", "f2"]
    assert sim.http.delete("/_sim/faults/f1").status_code == 204
    missing = sim.http.delete("/_sim/faults/f1")
    assert missing.status_code == 404 and "'f1'" in missing.json()["error"]["message"]
    assert [r["id"] for r in _rules(sim)] == ["f2"]
    assert sim.http.delete("/_sim/faults").status_code == 204
    assert _rules(sim) == []


def test_a_fresh_namespace_has_no_rules_and_removing_from_it_is_404(sim: Sim) -> None:
    assert _rules(sim) == []
    assert sim.http.delete("/_sim/faults/f1").status_code == 404
    assert sim.http.delete("/_sim/faults").status_code == 204


@pytest.mark.parametrize(("rule", "status", "field", "words"), [
    ({"when": {"calls": [0]}, "effect": {"status": 429}}, 400, "body.when.calls.0", ""),
    ({"effect": {"status": 429, "latency": 3}}, 400, "body.effect", ""),
    ({"match": {"vendor": "nobody"}, "effect": {"latency": 1}}, 400, "body.match.vendor", ""),
    ({"effect": {"status": 200}}, 400, "body.effect", ""),
    # Fits the schema, not the vendor specs: a conflict.
    ({"match": {"vendor": "prevail", "operation": "getSessions"}, "effect": {"status": 429}}, 409,
     "body.match.operation", "unknown operationId 'getSessions'"),
    ({"match": {"vendor": "realtimekit"}, "effect": {"status": 503}}, 409, "body.effect.status",
     "the matched operations declare 400, 401, 403, 404"),
    ({"match": {"vendor": "vonage", "method": "POST"}, "effect": {"latency": 1}}, 409, "body.match",
     "selects no operation"),
    ({"effect": {"latency": [9, 1]}}, 409, "body.effect.latency", "must not exceed"),
    ({"when": {"after": "2025-02-01T00:00:00Z", "until": "2025-01-01T00:00:00Z"}, "effect": {"latency": 1}},
     409, "body.when.until", "later"),
    ({"effect": {"status": 429, "headers": {"Content-Length": "5"}}}, 409, "body.effect.headers.Content-Length",
     "set by the server"),
])
def test_a_bad_rule_is_refused_naming_the_field(sim: Sim, rule: dict[str, Any], status: int, field: str,
                                                words: str) -> None:
    response = sim.http.post("/_sim/faults", json=rule)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["violations"][0]["field"] == field and words in error["message"]
    assert _rules(sim) == []


def test_a_namespace_holds_at_most_a_hundred_rules(sim: Sim) -> None:
    for _ in range(100):
        _add(sim, {"match": {"operation": "listSessions"}, "when": {"calls": [10**9]}, "effect": {"latency": 1}})
    full = sim.http.post("/_sim/faults", json={"effect": {"latency": 1}})
    assert full.status_code == 409 and "at most 100" in full.json()["error"]["message"]


def test_a_reset_clears_the_plan(sim: Sim) -> None:
    _add(sim, {"effect": {"status": 429}})
    assert sim.http.post("/_sim/reset").status_code == 200
    assert _rules(sim) == []
    assert sim.prevail().get("/api/v1/session_requests").status_code == 200


# --- status effects ------------------------------------------------------------------------------


def test_a_status_is_answered_on_the_chosen_calls_with_retry_after(sim: Sim) -> None:
    _add(sim, {"match": {"vendor": "prevail", "operation": "listSessionRequests"}, "when": {"calls": [2, 3]},
               "effect": {"status": 429, "retry_after": 1}})
    api = sim.prevail()
    answers = [api.get("/api/v1/session_requests") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 429, 429, 200]
    assert answers[1].headers["retry-after"] == "1" and "rule f1" in answers[1].json()["error"]
    assert api.get("/api/v1/sessions").status_code == 200  # another operation is not matched
    [rule] = _rules(sim)
    assert (rule["matched"], rule["fired"]) == (4, 2)


@pytest.mark.parametrize(("path", "shape"), [
    ("/api/v1/sessions", lambda body: "rule f1" in body["error"]),
    ("/api/public/bot/st-x/v2/recordings", lambda body: body["errors"][0]["code"] == 429),
    (VONAGE_SESSIONS, lambda body: "rule f1" in body["detail"]),
    ("/client/v4/accounts/a/realtime/kit/b/sessions",
     lambda body: body["success"] is False and body["errors"][0]["code"] == 971),
])
def test_every_vendor_answers_in_its_own_error_shape(sim: Sim, path: str, shape: Any) -> None:
    _add(sim, {"effect": {"status": 429, "retry_after": 0}})  # before authentication: no credentials needed
    response = sim.http.get(path)
    assert response.status_code == 429 and response.headers["retry-after"] == "0"
    assert shape(response.json()), response.text


def test_a_status_answer_runs_no_handler_so_nothing_is_stored(sim: Sim) -> None:
    api = sim.prevail()
    before = api.get("/api/v1/session_requests").json()["pagy"]["count"]
    _add(sim, {"match": {"operation": "createSessionRequest"}, "when": {"first": 1}, "effect": {"status": 429}})
    assert api.post("/api/v1/session_requests", json=CREATE).status_code == 429
    assert api.get("/api/v1/session_requests").json()["pagy"]["count"] == before
    assert api.post("/api/v1/session_requests", json=CREATE).status_code == 201


def test_a_rules_own_body_headers_and_an_undeclared_status(sim: Sim) -> None:
    _add(sim, {"match": {"vendor": "vonage"}, "when": {"calls": [1]},
               "effect": {"status": 503, "undeclared": True, "headers": {"X-Upstream": "down"},
                          "body": {"message": "upstream unavailable"}}})
    _add(sim, {"match": {"vendor": "vonage"}, "when": {"calls": [2]},
               "effect": {"status": 502, "undeclared": True, "headers": {"Content-Type": "text/html"},
                          "body": "<h1>Bad Gateway</h1>"}})
    _add(sim, {"match": {"vendor": "vonage"}, "when": {"calls": [3]}, "effect": {"status": 500, "undeclared": True}})
    first, second, third = (sim.http.get(VONAGE_SESSIONS) for _ in range(3))
    assert first.status_code == 503 and first.json() == {"message": "upstream unavailable"}
    assert first.headers["x-upstream"] == "down"
    assert second.status_code == 502 and second.text == "<h1>Bad Gateway</h1>"
    assert second.headers["content-type"] == "text/html"
    assert third.status_code == 500 and "rule f3" in third.json()["detail"]  # the vendor's shape, unchecked
    assert all(not e["response_violations"] for e in sim.journal())


def test_admin_operations_are_never_matched(sim: Sim) -> None:
    _add(sim, {"effect": {"status": 500, "undeclared": True}})
    assert sim.http.get("/_sim/clock").status_code == 200
    assert sim.http.get("/_sim/journal").status_code == 200
    assert _rules(sim)[0]["matched"] == 0


def test_a_path_glob_matches_the_request_path(sim: Sim) -> None:
    _add(sim, {"match": {"path": "/api/v1/sessions/*/transcripts"}, "effect": {"status": 404}})
    api = sim.prevail()
    assert api.get("/api/v1/sessions/abc/transcripts").status_code == 404
    assert api.get("/api/v1/sessions").status_code == 200
    assert _rules(sim)[0]["matched"] == 1


def test_the_journal_names_the_rule_and_the_effect(sim: Sim) -> None:
    _add(sim, {"match": {"vendor": "prevail"}, "effect": {"latency": 1}})
    _add(sim, {"match": {"vendor": "prevail"}, "when": {"calls": [2]}, "effect": {"status": 429, "retry_after": 1}})
    api = sim.prevail()
    api.get("/api/v1/sessions")
    api.get("/api/v1/sessions")
    first, second = _requests(sim)
    assert first["warnings"] == ["fault f1: latency 1 ms"] and first["status"] == 200
    assert second["warnings"] == ["fault f1: latency 1 ms", "fault f2: status 429 (Retry-After 1)"]
    assert second["status"] == 429


def test_after_and_until_follow_the_namespace_clock(sim: Sim) -> None:
    _add(sim, {"when": {"after": "2025-01-20T16:00:00Z", "until": "2025-01-20T17:00:00Z"},
               "effect": {"status": 429}})
    api = sim.prevail()
    assert api.get("/api/v1/sessions").status_code == 200
    sim.advance(3600)
    assert api.get("/api/v1/sessions").status_code == 429
    sim.advance(3600)
    assert api.get("/api/v1/sessions").status_code == 200


# --- latency and slow bodies ---------------------------------------------------------------------


def test_latency_waits_before_the_real_answer(sim: Sim) -> None:
    _add(sim, {"match": {"operation": "listSessions"}, "effect": {"latency": 300}})
    api = sim.prevail()
    started = time.monotonic()
    response = api.get("/api/v1/sessions")
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and 0.3 <= elapsed < 5


def test_a_slow_namespace_does_not_slow_another(server: ThreadedServer, sim: Sim) -> None:
    _add(sim, {"match": {"operation": "listSessions"}, "effect": {"latency": 1500}})
    api = sim.prevail()
    slow = threading.Thread(target=api.get, args=("/api/v1/sessions",))
    slow.start()
    time.sleep(0.1)
    other = httpx.Client(base_url=f"{server.url}/_ns/{sim.namespace}-other", timeout=10,
                         headers=dict(api.headers))
    started = time.monotonic()
    assert other.get("/api/v1/sessions").status_code == 200
    assert time.monotonic() - started < 1.0  # generous: the answer takes milliseconds, the slow one 1.5 s
    slow.join()
    other.delete(f"/_sim/namespaces/{sim.namespace}-other")


def test_a_slow_body_arrives_whole_in_pieces(sim: Sim) -> None:
    _add(sim, {"match": {"operation": "listSessions"}, "effect": {"slow_body": {"chunks": 4, "ms": 300}}})
    api = sim.prevail()
    started = time.monotonic()
    with api.stream("GET", "/api/v1/sessions") as response:
        pieces = [chunk for chunk in response.iter_raw() if chunk]
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and 0.3 <= elapsed < 5
    assert len(pieces) >= 2 and orjson.loads(b"".join(pieces))["sessions"] is not None


# --- disconnects, seen from a raw socket ---------------------------------------------------------


def _raw(server: ThreadedServer, sim: Sim, path: str, headers: dict[str, str]) -> tuple[bytes, BaseException | None]:
    """Everything the server sent for one request until it closed the connection (or reset it)."""
    request = f"GET /_ns/{sim.namespace}{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    request += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    received = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
        conn.sendall(request.encode())
        try:
            while chunk := conn.recv(65536):
                received += chunk
        except OSError as error:
            return received, error
    return received, None


def _split(raw: bytes) -> tuple[dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")[1:]
    return {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}, body


def _disconnect(sim: Sim, mode: str) -> None:
    _add(sim, {"match": {"operation": "listSessionRequests"}, "effect": {"disconnect": mode}})


def test_reset_closes_with_no_answer(server: ThreadedServer, sim: Sim) -> None:
    _disconnect(sim, "reset")
    api = sim.prevail()
    received, error = _raw(server, sim, "/api/v1/session_requests", {"Authorization": api.headers["authorization"]})
    assert received == b""
    assert error is None or isinstance(error, ConnectionResetError)
    # httpcore's own error too: after an in-process pytester run (tests/testing) re-imported httpcore,
    # httpx maps only the classes it was loaded with.
    with pytest.raises((httpx.TransportError, httpcore.NetworkError)):
        api.get("/api/v1/session_requests")


def test_empty_sends_the_headers_then_closes(server: ThreadedServer, sim: Sim) -> None:
    _disconnect(sim, "empty")
    auth = {"Authorization": sim.prevail().headers["authorization"]}
    received, _ = _raw(server, sim, "/api/v1/session_requests", auth)
    headers, body = _split(received)
    assert received.startswith(b"HTTP/1.1 200 ") and int(headers["content-length"]) > 0 and body == b""


def test_truncate_promises_more_than_it_sends(server: ThreadedServer, sim: Sim) -> None:
    _disconnect(sim, "truncate")
    auth = {"Authorization": sim.prevail().headers["authorization"]}
    received, _ = _raw(server, sim, "/api/v1/session_requests", auth)
    headers, body = _split(received)
    assert 0 < len(body) < int(headers["content-length"])
    with pytest.raises(ValueError):
        orjson.loads(body)


def test_malformed_sends_bytes_that_are_not_the_declared_media_type(server: ThreadedServer, sim: Sim) -> None:
    _disconnect(sim, "malformed")
    response = sim.prevail().get("/api/v1/session_requests")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.content == MALFORMED
    with pytest.raises(ValueError):
        response.json()


def test_a_disconnected_call_was_still_served(sim: Sim) -> None:
    api = sim.prevail()
    before = api.get("/api/v1/session_requests").json()["pagy"]["count"]
    _add(sim, {"match": {"operation": "createSessionRequest"}, "effect": {"disconnect": "reset"}})
    with pytest.raises(httpx.TransportError):
        api.post("/api/v1/session_requests", json=CREATE)
    assert api.get("/api/v1/session_requests").json()["pagy"]["count"] == before + 1
    created = [e for e in _requests(sim) if e["operation_id"] == "createSessionRequest"]
    assert created[0]["status"] == 201 and created[0]["warnings"] == ["fault f1: disconnect reset"]


# --- determinism ---------------------------------------------------------------------------------


def test_the_same_seed_and_plan_give_the_same_sequence_in_two_fresh_namespaces(server: ThreadedServer,
                                                                                sim: Sim) -> None:
    plan = [{"match": {"operation": "listSessions"}, "when": {"probability": 0.4}, "effect": {"status": 429}},
            {"match": {"operation": "listSessions"}, "effect": {"latency": [0, 5]}}]
    runs = []
    for suffix in ("a", "b"):
        run = Sim(f"{server.url}/_ns/{sim.namespace}-{suffix}", f"{sim.namespace}-{suffix}")
        for rule in plan:
            _add(run, rule)
        api = run.prevail()
        statuses = [api.get("/api/v1/sessions").status_code for _ in range(30)]
        runs.append((statuses, [e.get("warnings") for e in _requests(run)]))
        run.http.delete(f"/_sim/namespaces/{run.namespace}")
        run.close()
    assert runs[0] == runs[1]
    assert 429 in runs[0][0] and 200 in runs[0][0]
