"""Hand-made Prevail worlds: session requests stored through POST /_sim/prevail/session_requests."""

from __future__ import annotations

from typing import Any

from tests.support import Sim


def record(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 900001, "organisation": "acme-legal", "state": "scheduled", "title": "Hand v. Made",
        "case": "42-case-hand", "start_date": "2025-01-10", "start_time": "09:00 AM",
        "time_zone": "Eastern Time (US & Canada)", "estimated_duration_hours": 2,
        "remote_session_id": "hand-made-session-1", "invite_emails": ["counsel@firm-law.com"],
        "deponent": {"name": "Ada Witness", "email": "ada@example.com", "role": "deponent"},
    }
    base.update(changes)
    return base


def test_stored_requests_and_sessions_are_answered_by_the_vendor_api(sim: Sim) -> None:
    initial = {key: value for key, value in record(id=900002, state="initial").items() if key != "remote_session_id"}
    stored = sim.http.post("/_sim/prevail/session_requests",
                           json=[record(), initial])
    assert stored.status_code == 201, stored.text
    assert [r["id"] for r in stored.json()["requests"]] == [900001, 900002]
    with sim.prevail() as prevail:
        requests = prevail.get("/api/v1/session_requests", params={"items": 100}).json()["requests"]
        by_id = {r["id"]: r for r in requests}
        assert by_id[900001]["session_state"] == "scheduled"
        assert by_id[900001]["remote_session_id"] == "hand-made-session-1"
        assert by_id[900002]["session_state"] == "initial" and by_id[900002]["remote_session_id"] is None
        assert requests[0]["id"] == 900002  # newest (highest id) first, as the vendor lists
        sessions = prevail.get("/api/v1/sessions", params={"items": 100}).json()["sessions"]
        session = next(s for s in sessions if s["remote_session_id"] == "hand-made-session-1")
        assert session["state"] == "completed" and session["estimated_duration"] == 2
        recordings = prevail.get("/api/v1/sessions/hand-made-session-1/recordings").json()["recordings"]
        assert recordings and recordings[0]["filename"] == "complete-session-audio.mp4"
        assert sim.http.get(recordings[0]["presigned_url"].split(f"/_ns/{sim.namespace}", 1)[1]).status_code == 200
        transcript = prevail.get("/api/v1/sessions/hand-made-session-1/transcripts")
        assert transcript.status_code == 200 and transcript.json()["transcript"]
    scheduled = sim.http.post("/_sim/prevail/session_requests/900002/schedule")
    assert scheduled.status_code == 200, scheduled.text


def test_a_bad_record_is_refused_naming_the_field_and_stores_none(sim: Sim) -> None:
    refused = sim.http.post("/_sim/prevail/session_requests",
                            json=[record(), record(id=900002, remote_session_id="other", time_zone="Mars/Olympus")])
    assert refused.status_code == 400, refused.text
    assert "body.1.time_zone" in refused.text
    schema_refused = sim.http.post("/_sim/prevail/session_requests", json=[record(state="sleeping")])
    assert schema_refused.status_code == 400 and "state" in schema_refused.text
    unknown_org = sim.http.post("/_sim/prevail/session_requests", json=[record(organisation="nobody")])
    assert unknown_org.status_code == 404 and "body.0.organisation" in unknown_org.text
    with sim.prevail() as prevail:
        ids = [r["id"] for r in prevail.get("/api/v1/session_requests", params={"items": 100}).json()["requests"]]
    assert 900001 not in ids


def test_an_id_that_exists_is_a_conflict_and_stores_none(sim: Sim) -> None:
    assert sim.http.post("/_sim/prevail/session_requests", json=[record()]).status_code == 201
    again = sim.http.post("/_sim/prevail/session_requests",
                          json=[record(id=900005, remote_session_id="fresh"), record()])
    assert again.status_code == 409, again.text
    twice = sim.http.post("/_sim/prevail/session_requests",
                          json=[record(id=900006, remote_session_id="a"), record(id=900006, remote_session_id="b")])
    assert twice.status_code == 409
    with sim.prevail() as prevail:
        ids = [r["id"] for r in prevail.get("/api/v1/session_requests", params={"items": 100}).json()["requests"]]
    assert 900005 not in ids and 900006 not in ids


def test_records_without_an_id_take_the_next_free_one(sim: Sim) -> None:
    unnumbered = {key: value for key, value in record(remote_session_id="x").items() if key != "id"}
    stored = sim.http.post("/_sim/prevail/session_requests", json=[record(id=950000), unnumbered])
    assert stored.status_code == 201, stored.text
    second = stored.json()["requests"][1]
    assert second["id"] == 950001
