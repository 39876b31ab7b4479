"""Hand-made RealtimeKit worlds: sessions and participants stored through POST /_sim/realtimekit/sessions."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.support import Sim
from tests.vendors.realtimekit.helpers import NORTHWIND_TOKEN, WEBINARS, sessions_path

SESSION_ID = "0b5c2a7e-1111-4222-8333-944455556666"


def record(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": SESSION_ID, "app_id": WEBINARS, "meeting_id": "0b5c2a7e-aaaa-4222-8333-944455556666",
        "meeting_title": "Hand-made sync",
        "started_at": "2025-01-19T10:00:00Z",
        "participants": [
            {"id": "0b5c2a7e-bbbb-4222-8333-944455556666", "display_name": "Ada Host",
             "joined_at": "2025-01-19T10:00:00Z", "left_at": "2025-01-19T11:00:00Z"},
            {"id": "0b5c2a7e-cccc-4222-8333-944455556666", "display_name": "Bo Guest",
             "joined_at": "2025-01-19T10:10:00Z", "left_at": "2025-01-19T10:40:00Z"},
        ],
    }
    base.update(changes)
    return base


def vendor(sim: Sim) -> httpx.Client:
    return httpx.Client(base_url=sim.base, timeout=10, headers={"Authorization": f"Bearer {NORTHWIND_TOKEN}"})


def test_stored_sessions_are_answered_by_the_vendor_api(sim: Sim) -> None:
    stored = sim.http.post("/_sim/realtimekit/sessions", json=[record()])
    assert stored.status_code == 201, stored.text
    assert stored.json()["sessions"][0]["status"] == "ENDED"
    with vendor(sim) as rtk:
        listed = rtk.get(sessions_path(), params={"associated_id": "0b5c2a7e-aaaa-4222-8333-944455556666"})
        assert listed.status_code == 200, listed.text
        sessions = listed.json()["data"]["sessions"]
        assert [s["id"] for s in sessions] == [SESSION_ID]
        assert sessions[0]["minutes_consumed"] == 90 and sessions[0]["meeting_display_name"] == "Hand-made sync"
        people = rtk.get(f"{sessions_path()}/{SESSION_ID}/participants").json()["data"]["participants"]
        assert [p["display_name"] for p in people] == ["Ada Host", "Bo Guest"]
        peer = rtk.get(f"{sessions_path()}/peer-report/0b5c2a7e-cccc-4222-8333-944455556666")
        assert peer.status_code == 200, peer.text
        transcript = rtk.get(f"{sessions_path()}/{SESSION_ID}/transcript")
        assert transcript.status_code == 200, transcript.text


def test_a_session_is_live_until_its_last_participant_leaves(sim: Sim) -> None:
    live = record(participants=[{"display_name": "Still Here", "joined_at": "2025-01-20T14:30:00Z",
                                 "left_at": "2025-01-20T16:00:00Z"}], started_at="2025-01-20T14:30:00Z")
    stored = sim.http.post("/_sim/realtimekit/sessions", json=[live])
    assert stored.status_code == 201, stored.text
    assert stored.json()["sessions"][0]["status"] == "LIVE"


def test_a_bad_record_is_refused_naming_the_field_and_stores_none(sim: Sim) -> None:
    backwards = record(id="0b5c2a7e-dddd-4222-8333-944455556666", participants=[
        {"display_name": "Time Traveller", "joined_at": "2025-01-19T10:30:00Z", "left_at": "2025-01-19T10:00:00Z"}])
    refused = sim.http.post("/_sim/realtimekit/sessions", json=[record(), backwards])
    assert refused.status_code == 400, refused.text
    assert "body.1.participants.0.left_at" in refused.text
    unknown_app = sim.http.post("/_sim/realtimekit/sessions", json=[record(app_id="no-such-app")])
    assert unknown_app.status_code == 404 and "body.0.app_id" in unknown_app.text
    schema_refused = sim.http.post("/_sim/realtimekit/sessions", json=[record(participants=[])])
    assert schema_refused.status_code == 400 and "participants" in schema_refused.text
    with vendor(sim) as rtk:
        assert rtk.get(f"{sessions_path()}/{SESSION_ID}").status_code == 404


def test_an_id_that_exists_is_a_conflict_and_stores_none(sim: Sim) -> None:
    assert sim.http.post("/_sim/realtimekit/sessions", json=[record()]).status_code == 201
    fresh = record(id="0b5c2a7e-eeee-4222-8333-944455556666", participants=[
        {"display_name": "New", "joined_at": "2025-01-19T10:00:00Z", "left_at": "2025-01-19T10:05:00Z"}])
    again = sim.http.post("/_sim/realtimekit/sessions", json=[fresh, record()])
    assert again.status_code == 409, again.text
    reused_peer = record(id="0b5c2a7e-ffff-4222-8333-944455556666")
    assert sim.http.post("/_sim/realtimekit/sessions", json=[reused_peer]).status_code == 409
    with vendor(sim) as rtk:
        assert rtk.get(f"{sessions_path()}/0b5c2a7e-eeee-4222-8333-944455556666").status_code == 404


def test_a_batch_of_too_many_participants_is_refused_quickly_and_stores_none(sim: Sim) -> None:
    person = {"display_name": "A", "joined_at": "2025-01-19T10:00:00Z", "left_at": "2025-01-19T10:30:00Z"}
    crowd = [{**record(), "participants": [person] * 500} for _ in range(21)]
    for session in crowd:
        del session["id"]
    started = time.monotonic()
    refused = sim.http.post("/_sim/realtimekit/sessions", json=crowd)
    assert refused.status_code == 400, refused.text
    assert "10500 participants" in refused.text
    assert time.monotonic() - started < 2
    with vendor(sim) as rtk:
        found = rtk.get(sessions_path(), params={"associated_id": "0b5c2a7e-aaaa-4222-8333-944455556666"})
        assert found.json()["data"]["sessions"] == []
