from __future__ import annotations

from typing import Any

import jwt
import orjson

from simulator.core.clock import wall_time
from tests.support import Sim, WebhookReceiver
from tests.vendors.prevail.helpers import new_request

ACME_KEY = "prevail-dev-key-acme-legal-4f9c2a7e1b"
WEBHOOK_SESSION_KEYS = ["remote_session_id", "title", "start_date", "start_time", "time_zone", "state",
                        "estimated_duration", "transcript_status", "invite_emails"]


def _request(sim: Sim, request_id: int) -> dict[str, Any]:
    requests = sim.prevail().get("/api/v1/session_requests", params={"items": 100}).json()["requests"]
    return next(r for r in requests if r["id"] == request_id)


def _webhooks(sim: Sim) -> list[dict[str, Any]]:
    return [e for e in sim.journal() if e["kind"] == "webhook"]


def test_requests_are_scheduled_automatically_after_the_delay(sim: Sim) -> None:
    with WebhookReceiver() as receiver:
        created = sim.prevail().post("/api/v1/session_requests", json=new_request(receiver.url)).json()
        request_id = created["requests"][0]["id"]
        sim.advance(3599)
        assert _request(sim, request_id)["session_state"] == "initial"
        assert sim.advance(1)["fired"] >= 1
        scheduled = _request(sim, request_id)
        assert scheduled["session_state"] == "scheduled"
        assert scheduled["remote_session_id"] and scheduled["session_url"]
        sim.wait_for(lambda: len(receiver.received) == 1)
        envelope = orjson.loads(receiver.received[0])
        assert list(envelope) == ["jwt_payload"]
        payload = jwt.decode(envelope["jwt_payload"], ACME_KEY, algorithms=["HS256"])
        [session] = payload["sessions"]
        assert list(session) == WEBHOOK_SESSION_KEYS
        assert session["remote_session_id"] == scheduled["remote_session_id"]
        assert session["state"] == "ready" and session["transcript_status"] == "in_progress"
        assert session["estimated_duration"] == 4.0
        assert session["invite_emails"] == ["john@smith.com", "jane@doe.com"]


def test_admin_trigger_schedules_now_and_only_once(sim: Sim) -> None:
    with WebhookReceiver() as receiver:
        request_id = sim.prevail().post("/api/v1/session_requests", json=new_request(receiver.url)).json()[
            "requests"][0]["id"]
        response = sim.http.post(f"/_sim/prevail/session_requests/{request_id}/schedule")
        assert response.status_code == 200
        [scheduled] = response.json()["requests"]
        assert scheduled["session_state"] == "scheduled"
        sim.wait_for(lambda: len(receiver.received) == 1)
        again = sim.http.post(f"/_sim/prevail/session_requests/{request_id}/schedule")
        assert again.status_code == 409 and "scheduled" in again.json()["error"]["message"]
        sim.advance(7200)  # the automatic scheduling that was pending does nothing now
        assert len(receiver.received) == 1
        listed = sim.prevail().get("/api/v1/sessions", params={"items": 100}).json()["sessions"]
        assert scheduled["remote_session_id"] in {s["remote_session_id"] for s in listed}


def test_admin_trigger_errors(sim: Sim) -> None:
    assert sim.http.post("/_sim/prevail/session_requests/999999/schedule").status_code == 404
    canceled = next(r for r in sim.prevail().get("/api/v1/session_requests", params={"items": 100}).json()["requests"]
                    if r["session_state"] == "canceled")
    assert sim.http.post(f"/_sim/prevail/session_requests/{canceled['id']}/schedule").status_code == 409
    assert sim.http.post("/_sim/prevail/session_requests/abc/schedule").status_code == 400


def test_failed_deliveries_are_retried_with_jittered_backoff_and_journaled(sim: Sim) -> None:
    with WebhookReceiver(failures=2) as receiver:
        sim.prevail("brightline-reporting").post("/api/v1/session_requests", json=new_request(receiver.url))
        sim.wait_for(lambda: len(_webhooks(sim)) == 1)
        first = _webhooks(sim)[0]
        assert first["status"] == 500 and first["detail"]["attempt"] == 1 and not first["detail"]["delivered"]
        # The second attempt comes 1 s of namespace time later, stretched by a seeded jitter of up to 25%.
        assert 1 <= first["detail"]["next_attempt_at"] - sim.now() < 1.25
        sim.advance(0.99)
        assert len(_webhooks(sim)) == 1
        sim.advance(0.26)
        sim.wait_for(lambda: len(_webhooks(sim)) == 2)
        second = _webhooks(sim)[1]
        assert 2 <= second["detail"]["next_attempt_at"] - sim.now() < 2.5
        sim.advance(1.99)
        assert len(_webhooks(sim)) == 2
        sim.advance(0.51)
        sim.wait_for(lambda: len(receiver.received) == 1)
        sim.wait_for(lambda: len(_webhooks(sim)) == 3)
        attempts = [(e["detail"]["attempt"], e["detail"]["delivered"]) for e in _webhooks(sim)]
        assert attempts == [(1, False), (2, False), (3, True)]


def test_unreachable_postback_never_hurts_the_server(sim: Sim) -> None:
    sim.prevail("brightline-reporting").post("/api/v1/session_requests", json=new_request("http://127.0.0.1:9/x"))
    for attempt in range(1, 7):
        sim.wait_for(lambda attempt=attempt: len(_webhooks(sim)) == attempt)  # type: ignore[misc]
        sim.advance(20)
    assert all(e["detail"]["error"] for e in _webhooks(sim))
    assert sim.advance(100)["fired"] == 0  # six attempts, then it gives up
    assert sim.http.get("/_sim/health").status_code == 200


def test_loopback_policy_blocks_other_hosts(sim: Sim) -> None:
    sim.prevail("brightline-reporting").post("/api/v1/session_requests",
                                             json=new_request("https://hooks.example.com/prevail"))
    sim.wait_for(lambda: len(_webhooks(sim)) == 1)
    assert "blocked" in _webhooks(sim)[0]["detail"]["error"]


def test_reset_goes_back_to_the_seeded_baseline(sim: Sim) -> None:
    client = sim.prevail()
    client.post("/api/v1/session_requests", json=new_request())
    assert client.get("/api/v1/session_requests").json()["pagy"]["count"] == 73
    sim.http.post("/_sim/reset")
    assert client.get("/api/v1/session_requests").json()["pagy"]["count"] == 72
    sim.http.post("/_sim/reset", json={"empty": True})
    assert client.get("/api/v1/session_requests").json()["pagy"]["count"] == 0
    assert client.post("/api/v1/session_requests", json=new_request()).status_code == 201


def _postback_claims(sim: Sim) -> dict[str, Any]:
    with WebhookReceiver() as receiver:
        request_id = sim.prevail().post("/api/v1/session_requests", json=new_request(receiver.url)).json()[
            "requests"][0]["id"]
        assert sim.http.post(f"/_sim/prevail/session_requests/{request_id}/schedule").status_code == 200
        sim.wait_for(lambda: len(receiver.received) == 1)
        token = orjson.loads(receiver.received[0])["jwt_payload"]
    return dict(jwt.decode(token, ACME_KEY, algorithms=["HS256"], options={"verify_exp": False}))


def test_postback_token_times_come_from_the_wall_clock_receivers_judge_by(sim: Sim) -> None:
    sim.advance(90000)  # far from the wall in any case: the namespace clock starts in January 2025
    before = wall_time()
    claims = _postback_claims(sim)
    assert before - 1 <= claims["iat"] <= wall_time() + 1 and claims["exp"] == claims["iat"] + 86400
    assert list(claims) == ["sessions", "iat", "exp"]


def test_postback_token_times_follow_the_namespace_clock_when_it_judges_tokens(sim: Sim) -> None:
    assert sim.http.put("/_sim/clock", json={"token_clock": "namespace"}).status_code == 200
    claims = _postback_claims(sim)
    assert claims["iat"] == int(sim.now()) and claims["exp"] == claims["iat"] + 86400
