"""Prevail input at and past the pages' edges: what the pages allow is accepted, what Prevail stores is
typed and bounded, a refused request stores nothing, and the fake materials hang together."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
import yaml

from simulator.core.spec import specs_dir
from simulator.vendors.prevail import timezones
from tests.support import Sim
from tests.vendors.prevail.helpers import new_request

REQUESTS = "/api/v1/session_requests"


def _count(sim: Sim) -> int:
    return int(sim.prevail().get(REQUESTS).json()["pagy"]["count"])


@pytest.mark.parametrize(("zone", "utc"), [("America/New_York", "06:30"), ("Europe/Berlin", "00:30"),
                                           ("America/Argentina/Buenos_Aires", "04:30")])
def test_iana_zone_names_are_accepted_and_placed_on_the_clock(sim: Sim, zone: str, utc: str) -> None:
    client = sim.prevail("brightline-reporting")
    response = client.post(REQUESTS, json=new_request(time_zone=zone))  # 01:30 AM on 2025-01-28
    assert response.status_code == 201, response.text
    remote_id = response.json()["requests"][0]["remote_session_id"]
    events = client.get("/api/v1/sessions", params={"items": 100}).json()["sessions"]
    session = next(s for s in events if s["remote_session_id"] == remote_id)
    assert session["time_zone"] == zone
    starts = datetime(2025, 1, 28, int(utc[:2]), int(utc[3:]), tzinfo=UTC).timestamp()
    hits = client.get("/api/v1/sessions", params={"start_time": int(starts), "end_time": int(starts) + 4 * 3600})
    assert remote_id in {s["remote_session_id"] for s in hits.json()["sessions"]}
    later = client.get("/api/v1/sessions", params={"start_time": int(starts) + 1, "items": 100})
    assert remote_id not in {s["remote_session_id"] for s in later.json()["sessions"]}


def test_every_iana_name_the_spec_admits_is_placed_on_the_clock() -> None:
    spec = yaml.safe_load((specs_dir() / "prevail.yaml").read_text(encoding="utf-8"))
    names = spec["components"]["schemas"]["IanaTimeZone"]["enum"]
    assert {"America/New_York", "Europe/Berlin", "Asia/Kolkata"} <= set(names)
    assert [name for name in names if timezones.resolve(name) is None] == []


@pytest.mark.parametrize("zone", ["Mars/Olympus", "America/Gotham", "x" * 101], ids=["mars", "gotham", "long"])
def test_unknown_zone_names_are_still_refused(sim: Sim, zone: str) -> None:
    before = _count(sim)
    response = sim.prevail().post(REQUESTS, json=new_request(time_zone=zone))
    assert response.status_code == 422
    assert "body.session_request.remote_session.time_zone" in {e["field"] for e in response.json()["errors"]}
    assert _count(sim) == before


def test_an_unlisted_interpreter_is_stored_with_a_journal_warning(sim: Sim) -> None:
    body = new_request()
    body["session_request"]["session_details"]["interpreter"] = "Klingon"
    response = sim.prevail().post(REQUESTS, json=body)
    assert response.status_code == 201, response.text
    assert response.json()["requests"][0]["session_details"]["interpreter"] == "Klingon"
    [entry] = sim.journal(operation="createSessionRequest")
    assert any("'Klingon'" in warning and "lists" in warning for warning in entry["warnings"])


def test_a_listed_interpreter_gets_no_warning(sim: Sim) -> None:
    body = new_request()
    body["session_request"]["session_details"]["interpreter"] = "Portuguese, Brazilian"
    assert sim.prevail().post(REQUESTS, json=body).status_code == 201
    [entry] = sim.journal(operation="createSessionRequest")
    assert "warnings" not in entry


@pytest.mark.parametrize(("where", "value", "field"), [
    (("remote_session", "title"), "T" * 256, "body.session_request.remote_session.title"),
    (("remote_session", "case"), "1" * 256, "body.session_request.remote_session.case"),
    (("deponent", "name"), "N" * 256, "body.session_request.deponent.name"),
    (("session_details", "interpreter"), "I" * 65, "body.session_request.session_details.interpreter"),
    (("session_details", "additional_details"), "d" * 10_001,
     "body.session_request.session_details.additional_details"),
    (("session_details", "preferred_manager"), "M" * 256, "body.session_request.session_details.preferred_manager"),
    (("session_details", "languages"), ["English"] * 21, "body.session_request.session_details.languages"),
    (("invite_emails",), [f"p{n}@example.com" for n in range(101)], "body.session_request.invite_emails"),
    (("postback_url",), "https://example.com/" + "p" * 2048, "body.session_request.postback_url"),
], ids=["title", "case", "deponent-name", "interpreter", "additional-details", "preferred-manager", "languages",
        "invite-emails", "postback-url"])
def test_stored_fields_are_bounded_and_a_refusal_stores_nothing(sim: Sim, where: tuple[str, ...], value: Any,
                                                                 field: str) -> None:
    body = new_request()
    target = body["session_request"]
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    before = _count(sim)
    response = sim.prevail().post(REQUESTS, json=body)
    assert response.status_code == 422, response.text[:300]
    assert field in {e["field"] for e in response.json()["errors"]}
    assert _count(sim) == before


def _nested(levels: int) -> Any:
    value: Any = "deep"
    for _ in range(levels):
        value = {"v": value}
    return value


def test_fields_the_page_does_not_list_are_not_stored(sim: Sim) -> None:
    """A deep value under an unlisted deponent field used to be stored and break every list page."""
    body = new_request()
    body["session_request"]["deponent"]["notes"] = _nested(50)
    body["session_request"]["remote_session"]["extra"] = ["x"] * 1000
    client = sim.prevail()
    response = client.post(REQUESTS, content=orjson.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.text[:300]
    listed = client.get(REQUESTS, params={"items": 100})
    assert listed.status_code == 200
    [mine] = [r for r in listed.json()["requests"] if r["id"] == response.json()["requests"][0]["id"]]
    assert mine["session_request"]["deponent"] == {"name": "John Smith", "email": "john@smith.com",
                                                   "role": "deponent"}
    assert "extra" not in mine["remote_session"]


def _transcript(sim: Sim, slug: str, remote_id: str) -> str:
    started = time.perf_counter()
    response = sim.prevail(slug).get(f"/api/v1/sessions/{remote_id}/transcripts")
    assert response.status_code == 200, response.text[:300]
    assert time.perf_counter() - started < 2.0
    return str(response.json()["transcript"])


def _speakers(text: str) -> list[str]:
    return [turn.split(":", 1)[0] for turn in text.split("\n\n")]


def test_transcripts_are_spoken_by_the_requests_people_for_as_long_as_the_session(sim: Sim) -> None:
    client = sim.prevail("brightline-reporting")
    body = new_request(start_date="2025-01-21", start_time="09:00 AM", time_zone="UTC")
    body["session_request"]["invite_emails"].append("rachel.green@hughes-law.com")
    remote_id = client.post(REQUESTS, json=body).json()["requests"][0]["remote_session_id"]
    sim.http.put("/_sim/clock", json={"now": "2025-01-21T15:00:00Z"})  # 4 h session + 1 h transcript delay
    text = _transcript(sim, "brightline-reporting", remote_id)
    speakers = _speakers(text)
    reporter = speakers[0]
    assert set(speakers) == {reporter, "JOHN SMITH", "JANE DOE", "RACHEL GREEN"}
    assert speakers.count("JOHN SMITH") > 100  # the deponent answers throughout
    assert 150_000 <= len(text) <= 260_000  # four hours at a few hundred characters a minute
    assert "9:00 AM" in text.split("\n\n")[0] and "1:00 PM" in text.split("\n\n")[-1]
    assert _transcript(sim, "brightline-reporting", remote_id) == text


def test_seeded_transcripts_scale_with_duration_and_name_the_invitees(sim: Sim) -> None:
    sessions = sim.prevail().get("/api/v1/sessions", params={"items": 100}).json()["sessions"]
    done = [s for s in sessions if s["transcript_status"] == "completed"]
    short = min(done, key=lambda s: s["estimated_duration"])
    long = max(done, key=lambda s: s["estimated_duration"])
    assert short["estimated_duration"] < long["estimated_duration"]
    lengths = {}
    for session in (short, long):
        text = _transcript(sim, "acme-legal", session["remote_session_id"])
        lengths[session["estimated_duration"]] = len(text)
        speakers = set(_speakers(text))
        invited = {e.split("@")[0].replace(".", " ").upper() for e in session["invite_emails"]}
        assert invited & speakers, (invited, speakers)
        assert len(speakers) <= 2 + len(session["invite_emails"])
    ratio = lengths[long["estimated_duration"]] / lengths[short["estimated_duration"]]
    expected = long["estimated_duration"] / short["estimated_duration"]
    assert 0.8 * expected <= ratio <= 1.2 * expected


def test_a_range_of_5000_digits_is_answered_not_a_500(sim: Sim) -> None:
    sessions = sim.prevail().get("/api/v1/sessions", params={"items": 100}).json()["sessions"]
    done = next(s for s in sessions if s["state"] == "completed")
    [first, *_] = sim.prevail().get(f"/api/v1/sessions/{done['remote_session_id']}/recordings").json()["recordings"]
    size = int(first["size"].split()[0])
    beyond = httpx.get(first["presigned_url"], headers={"Range": "bytes=" + "9" * 5000 + "-"}, timeout=10)
    assert beyond.status_code == 416, beyond.text[:300]
    assert beyond.headers["content-range"] == f"bytes */{size}"
    to_the_end = httpx.get(first["presigned_url"], headers={"Range": "bytes=10-" + "9" * 5000}, timeout=10)
    assert to_the_end.status_code == 206 and len(to_the_end.content) == size - 10
    assert to_the_end.headers["content-range"] == f"bytes 10-{size - 1}/{size}"
