from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support import Sim
from tests.vendors.prevail.helpers import new_request


def _all(sim: Sim, slug: str = "acme-legal", **params: Any) -> list[dict[str, Any]]:
    client, found, page = sim.prevail(slug), [], 1
    while True:
        body = client.get("/api/v1/session_requests", params={**params, "page": page, "items": 100}).json()
        found += body["requests"]
        if page >= body["pagy"]["pages"]:
            return found
        page += 1


def test_create_answers_as_the_example(sim: Sim) -> None:
    response = sim.prevail().post("/api/v1/session_requests", json=new_request())
    assert response.status_code == 201
    [created] = response.json()["requests"]
    assert created["session_state"] == "initial"
    assert created["session_url"] is None and created["remote_session_id"] is None
    assert created["notice"] is None and created["cancelation_requested"] is None
    assert created["remote_session"] == {
        "title": "requested session", "case": "567-case-id-name", "start_date": "2025-01-28",
        "start_time": "01:30 AM", "time_zone": "Pacific Time (US & Canada)",
    }
    assert created["session_details"] == {"language": "en-US", "preferred_manager": "Ash Smith",
                                          "video_provider": "chime", "session_type": "remote_deposition"}
    assert created["session_request"]["deponent"] == {"name": "John Smith", "email": "john@smith.com",
                                                      "role": "deponent"}
    assert created["session_request"]["invite_emails"] == ["john@smith.com", "jane@doe.com"]
    assert "participants" not in created["session_request"]  # the create example shows neither
    listed = sim.prevail().get("/api/v1/session_requests", params={"items": 1}).json()["requests"][0]
    assert listed == {**created, "remote_session": {**created["remote_session"], "file_number": None},
                      "session_request": {**created["session_request"], "participants": None}}


def _shape(value: Any) -> Any:
    """The keys of a record, nested, without its values."""
    return {key: _shape(child) for key, child in value.items()} if isinstance(value, dict) else None


def test_created_and_seeded_requests_are_listed_in_one_shape(sim: Sim) -> None:
    client = sim.prevail()
    body = new_request()
    body["session_request"]["session_details"].update(interpreter="German", additional_details="Bring exhibits")
    created = client.post("/api/v1/session_requests", json=body).json()["requests"][0]
    listed = {r["id"]: r for r in _all(sim)}
    seeded = next(r for r in listed.values() if r["session_state"] == "initial" and r["id"] != created["id"]
                  and {"interpreter", "additional_details"} <= set(r["session_details"]))
    assert _shape(listed[created["id"]]) == _shape(seeded)
    assert listed[created["id"]]["remote_session"]["file_number"] is None
    assert listed[created["id"]]["session_request"]["participants"] is None


def test_self_service_organisations_get_a_ready_session_at_once(sim: Sim) -> None:
    client = sim.prevail("brightline-reporting")
    [created] = client.post("/api/v1/session_requests", json=new_request()).json()["requests"]
    assert created["session_state"] == "ready"
    assert created["remote_session_id"] and created["session_url"].endswith(f"{created['remote_session_id']}/join")
    sessions = client.get("/api/v1/sessions", params={"items": 100}).json()["sessions"]
    assert created["remote_session_id"] in {s["remote_session_id"] for s in sessions}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b["session_request"]["remote_session"].pop("title"), "body.session_request.remote_session.title"),
        (lambda b: b["session_request"].pop("postback_url"), "body.session_request.postback_url"),
        (lambda b: b["session_request"]["remote_session"].update(start_date="2025-02-30"),
         "body.session_request.remote_session.start_date"),
        (lambda b: b["session_request"]["remote_session"].update(start_time="13:30 PM"),
         "body.session_request.remote_session.start_time"),
        (lambda b: b["session_request"]["remote_session"].update(time_zone="Mars/Olympus"),
         "body.session_request.remote_session.time_zone"),
        (lambda b: b["session_request"]["deponent"].update(role="judge"), "body.session_request.deponent.role"),
        (lambda b: b["session_request"]["session_details"].update(video_provider="zoom"),
         "body.session_request.session_details.video_provider"),
        (lambda b: b["session_request"].update(invite_emails="a@b.c"), "body.session_request.invite_emails"),
        (lambda b: b.pop("session_request"), "body.session_request"),
    ],
    ids=["no-title", "no-postback", "bad-date", "bad-time", "bad-zone", "bad-role", "bad-provider",
         "emails-not-list", "no-session-request"],
)
def test_invalid_bodies_get_422_naming_the_field(sim: Sim, change: Any, field: str) -> None:
    body = new_request()
    change(body)
    client = sim.prevail()
    before = client.get("/api/v1/session_requests").json()["pagy"]["count"]
    response = client.post("/api/v1/session_requests", json=body)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}
    assert all(e["rule"].startswith("#/") for e in response.json()["errors"])
    assert client.get("/api/v1/session_requests").json()["pagy"]["count"] == before


def test_malformed_json_and_wrong_content_type(sim: Sim) -> None:
    client = sim.prevail()
    broken = client.post("/api/v1/session_requests", content=b"{", headers={"Content-Type": "application/json"})
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["error"]
    text = client.post("/api/v1/session_requests", content=b"hello", headers={"Content-Type": "text/plain"})
    assert text.status_code == 422 and text.json()["errors"][0]["field"] == "header.content-type"


@pytest.mark.parametrize("zone", ["(GMT-05:00) Eastern Time (US & Canada)", "(GMT+05:30) Somewhere", "EST", "London"])
def test_time_zone_forms(sim: Sim, zone: str) -> None:
    response = sim.prevail().post("/api/v1/session_requests", json=new_request(time_zone=zone))
    assert response.status_code == 201, response.text


def test_list_is_pagy_wrapped_newest_first(sim: Sim) -> None:
    body = sim.prevail().get("/api/v1/session_requests").json()
    assert body["pagy"] == {"page": 1, "items": 20, "count": 72, "pages": 4}
    ids = [r["id"] for r in body["requests"]]
    assert len(ids) == 20 and ids == sorted(ids, reverse=True)


@pytest.mark.parametrize(
    ("params", "pagy", "shown"),
    [
        ({"page": "0"}, {"page": 1, "items": 20, "count": 72, "pages": 4}, 20),
        ({"page": "junk"}, {"page": 1, "items": 20, "count": 72, "pages": 4}, 20),
        ({"page": "4"}, {"page": 4, "items": 20, "count": 72, "pages": 4}, 12),
        ({"page": "9"}, {"page": 9, "items": 20, "count": 72, "pages": 4}, 0),
        ({"items": "500"}, {"page": 1, "items": 100, "count": 72, "pages": 1}, 72),
        ({"items": "x"}, {"page": 1, "items": 20, "count": 72, "pages": 4}, 20),
        ({"items": "7", "page": "11"}, {"page": 11, "items": 7, "count": 72, "pages": 11}, 2),
    ],
)
def test_pagy_semantics(sim: Sim, params: dict[str, str], pagy: dict[str, int], shown: int) -> None:
    body = sim.prevail().get("/api/v1/session_requests", params=params).json()
    assert body["pagy"] == pagy
    assert len(body["requests"]) == shown


def test_pages_concatenate_to_the_whole_list(sim: Sim) -> None:
    client = sim.prevail()
    paged = [r["id"] for p in range(1, 9) for r in
             client.get("/api/v1/session_requests", params={"page": p, "items": 10}).json()["requests"]]
    whole = [r["id"] for r in client.get("/api/v1/session_requests", params={"items": 100}).json()["requests"]]
    assert paged == whole and len(set(whole)) == 72


def _starts(request: dict[str, Any]) -> float:
    from simulator.vendors.prevail import timezones

    remote = request["remote_session"]
    zone = timezones.resolve(remote["time_zone"])
    assert zone is not None
    return timezones.local_start(remote["start_date"], remote["start_time"], zone)


def test_epoch_filters(sim: Sim) -> None:
    everything = _all(sim)
    cut = int(datetime(2025, 1, 10, tzinfo=UTC).timestamp())
    after = _all(sim, start_time=str(cut))
    before = _all(sim, end_time=str(cut))
    assert after and before
    assert all(_starts(r) >= cut for r in after)
    assert {r["id"] for r in everything if _starts(r) >= cut} == {r["id"] for r in after}
    assert all(_starts(r) + 1.5 * 3600 <= cut for r in before)  # the shortest seeded session
    window = _all(sim, start_time=str(cut - 20 * 86400), end_time=str(cut))
    assert {r["id"] for r in window} == {r["id"] for r in before if _starts(r) >= cut - 20 * 86400}


def test_bad_epoch_filter_is_422(sim: Sim) -> None:
    response = sim.prevail().get("/api/v1/session_requests", params={"start_time": "yesterday"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "query.start_time"


def test_organisations_see_only_their_own_requests(sim: Sim) -> None:
    acme = {r["id"] for r in _all(sim)}
    bright = {r["id"] for r in _all(sim, "brightline-reporting")}
    assert len(bright) == 18 and not acme & bright
    created = sim.prevail().post("/api/v1/session_requests", json=new_request()).json()["requests"][0]
    assert created["id"] not in {r["id"] for r in _all(sim, "brightline-reporting")}


def test_seeded_data_has_every_state(sim: Sim) -> None:
    states = {r["session_state"] for r in _all(sim)}
    assert {"initial", "scheduled", "canceled"} <= states
    assert {r["session_state"] for r in _all(sim, "brightline-reporting")} <= {"ready", "canceled"}
    canceled = [r for r in _all(sim) if r["session_state"] == "canceled"]
    assert all(r["cancelation_requested"] is True for r in canceled)


def _session_ids(sim: Sim, **params: Any) -> set[str]:
    client, found, page = sim.prevail(), set(), 1
    while True:
        body = client.get("/api/v1/sessions", params={**params, "page": page, "items": 100}).json()
        found |= {s["remote_session_id"] for s in body["sessions"]}
        if page >= body["pagy"]["pages"]:
            return found
        page += 1


def test_end_time_is_one_rule_for_requests_and_sessions(sim: Sim) -> None:
    """A request ends when its session does (its own duration), so both lists agree on every cut."""
    scheduled = [r for r in _all(sim) if r["remote_session_id"]]
    sessions = {s["remote_session_id"]: s for s in
                sim.prevail().get("/api/v1/sessions", params={"items": 100}).json()["sessions"]}
    for shorter in (True, False):  # shorter and longer than the default four hours
        request = next(r for r in scheduled if r["remote_session_id"] in sessions
                       and (sessions[r["remote_session_id"]]["estimated_duration"] < 4) is shorter
                       and sessions[r["remote_session_id"]]["estimated_duration"] != 4)
        remote_id = request["remote_session_id"]
        ends = int(_starts(request) + sessions[remote_id]["estimated_duration"] * 3600)
        for cut, inside in ((ends, True), (ends - 1, False)):
            listed_requests = {r["remote_session_id"] for r in _all(sim, end_time=str(cut))}
            assert (remote_id in listed_requests) is inside
            assert (remote_id in _session_ids(sim, end_time=str(cut))) is inside
