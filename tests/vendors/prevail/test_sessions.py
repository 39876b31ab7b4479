from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from tests.support import Sim
from tests.vendors.prevail.helpers import new_request

TURN = re.compile(r"^[A-Z][A-Z .'-]+: \S.*$")


def _sessions(sim: Sim, slug: str = "acme-legal") -> list[dict[str, Any]]:
    return list(sim.prevail(slug).get("/api/v1/sessions", params={"items": 100}).json()["sessions"])


def _completed(sim: Sim) -> dict[str, Any]:
    return next(s for s in _sessions(sim) if s["state"] == "completed" and s["transcript_status"] == "completed")


def test_sessions_list_is_pagy_wrapped_with_enough_to_paginate(sim: Sim) -> None:
    body = sim.prevail().get("/api/v1/sessions").json()
    assert body["pagy"]["count"] >= 50 and body["pagy"]["pages"] >= 3
    assert {s["state"] for s in _sessions(sim)} >= {"ready", "completed"}
    starts = [(s["start_date"], s["start_time"]) for s in body["sessions"]]
    assert len(starts) == 20


def test_recordings_as_the_example(sim: Sim) -> None:
    session = _completed(sim)
    response = sim.prevail().get(f"/api/v1/sessions/{session['remote_session_id']}/recordings")
    assert response.status_code == 200
    recordings = response.json()["recordings"]
    assert recordings and recordings[0]["filename"] == "complete-session-audio.mp4"
    for recording in recordings:
        assert recording["type"] == "audio"
        assert re.fullmatch(r"\d+ bytes", recording["size"])
        assert re.fullmatch(r"[A-Z][a-z]{2} \d{2} \d{4} \d{2}:\d{2}:\d{2} [AP]M C[SD]T", recording["created_at"])
        assert recording["presigned_url"].startswith(sim.base + "/_sim/files/prevail/")


def test_presigned_url_serves_the_reported_bytes_then_expires(sim: Sim) -> None:
    session = _completed(sim)
    [first, *_] = sim.prevail().get(f"/api/v1/sessions/{session['remote_session_id']}/recordings").json()["recordings"]
    size = int(first["size"].split()[0])
    download = httpx.get(first["presigned_url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "audio/mp4"
    assert len(download.content) == size == int(download.headers["content-length"])
    assert download.content[4:8] == b"ftyp"
    partial = httpx.get(first["presigned_url"], headers={"Range": "bytes=100-199"})
    assert partial.status_code == 206 and partial.content == download.content[100:200]
    assert partial.headers["content-range"] == f"bytes 100-199/{size}"
    beyond = httpx.get(first["presigned_url"], headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416
    sim.advance(24 * 3600 - 1)
    assert httpx.get(first["presigned_url"]).status_code == 200
    sim.advance(1)
    expired = httpx.get(first["presigned_url"])
    assert expired.status_code == 403 and expired.headers["content-type"].startswith("application/xml")
    assert b"<Code>AccessDenied</Code>" in expired.content and b"expired" in expired.content


def test_tampered_urls_are_403(sim: Sim) -> None:
    session = _completed(sim)
    url = sim.prevail().get(f"/api/v1/sessions/{session['remote_session_id']}/recordings").json()["recordings"][0][
        "presigned_url"]
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    longer = {**query, "X-Amz-Expires": "604800"}
    added = {**query, "response-content-type": "text/html"}
    for changed in (f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(longer)}",
                    f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(added)}",
                    url.replace("complete-session-audio.mp4", "other.mp4")):
        response = httpx.get(changed)
        assert response.status_code == 403
        assert b"SignatureDoesNotMatch" in response.content
    over_a_week = urlencode({**query, "X-Amz-Expires": "999999"})
    too_long = httpx.get(f"{parts.scheme}://{parts.netloc}{parts.path}?{over_a_week}")
    assert too_long.status_code == 403 and b"<Code>AuthorizationQueryParametersError</Code>" in too_long.content
    no_algorithm = httpx.get(url.replace("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=NONE"))
    assert no_algorithm.status_code == 403 and b"AWS4-HMAC-SHA256" in no_algorithm.content
    elsewhere = httpx.get(url.replace(f"/_ns/{sim.namespace}/", f"/_ns/{sim.namespace}x/"))
    assert elsewhere.status_code == 403 and b"<Code>AccessDenied</Code>" in elsewhere.content
    assert f"signed for namespace '{sim.namespace}'".encode() in elsewhere.content


def test_transcript_is_turns_separated_by_blank_lines(sim: Sim) -> None:
    session = _completed(sim)
    response = sim.prevail().get(f"/api/v1/sessions/{session['remote_session_id']}/transcripts")
    assert response.status_code == 200
    turns = response.json()["transcript"].split("\n\n")
    assert len(turns) >= 8 and all(TURN.match(turn) for turn in turns)
    again = sim.prevail().get(f"/api/v1/sessions/{session['remote_session_id']}/transcripts")
    assert again.json() == response.json()


def test_unknown_or_foreign_sessions_are_404(sim: Sim) -> None:
    session = _completed(sim)
    for path in ("recordings", "transcripts"):
        assert sim.prevail().get(f"/api/v1/sessions/no-such-session/{path}").status_code == 404
        foreign = sim.prevail("brightline-reporting").get(f"/api/v1/sessions/{session['remote_session_id']}/{path}")
        assert foreign.status_code == 404 and "not found" in foreign.json()["error"]


def test_a_session_moves_ready_active_completed_on_the_clock(sim: Sim) -> None:
    client = sim.prevail("brightline-reporting")
    body = new_request(start_date="2025-01-21", start_time="09:00 AM", time_zone="UTC")
    [created] = client.post("/api/v1/session_requests", json=body).json()["requests"]
    remote_id = created["remote_session_id"]

    def state() -> dict[str, Any]:
        return next(s for s in _sessions(sim, "brightline-reporting") if s["remote_session_id"] == remote_id)

    assert state()["state"] == "ready" and state()["transcript_status"] == "in_progress"
    assert client.get(f"/api/v1/sessions/{remote_id}/recordings").json() == {"recordings": []}
    sim.http.put("/_sim/clock", json={"now": "2025-01-21T10:00:00Z"})
    assert state()["state"] == "active"
    sim.http.put("/_sim/clock", json={"now": "2025-01-21T13:00:00Z"})
    assert state()["state"] == "completed"
    assert client.get(f"/api/v1/sessions/{remote_id}/recordings").json()["recordings"]
    not_yet = client.get(f"/api/v1/sessions/{remote_id}/transcripts")
    assert not_yet.status_code == 404 and "not available yet" in not_yet.json()["error"]
    sim.advance(3600)
    assert state()["transcript_status"] == "completed"
    assert client.get(f"/api/v1/sessions/{remote_id}/transcripts").status_code == 200
