"""A call's status follows its lifecycle on the namespace clock; admin starts and ends calls."""

from __future__ import annotations

import re

import httpx
import pytest

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import Sim, make_settings
from tests.vendors.koreai.helpers import (
    CONTOSO_BOT,
    MEDIA_DELAY,
    NORTHWIND_BOT,
    NORTHWIND_OTHER_BOT,
    README_SESSION,
    Koreai,
    koreai_token,
    recordings_path,
)


def test_open_ended_call_in_progress_then_media_then_success(sim: Sim, kore: Koreai) -> None:
    created = kore.start_call()
    session = created["session_id"]
    assert re.fullmatch(r"[0-9a-f]{24}", session)
    assert created["status"] == "call_in_progress" and created["ended_at"] is None
    assert kore.recordings(session).json() == {"status": "call_in_progress"}
    sim.advance(3600)
    assert kore.status(session) == "call_in_progress"
    ended = kore.end_call(session)
    assert ended["status"] == "media_in_progress" and ended["duration_seconds"] == 3600
    assert kore.recordings(session).json() == {"status": "media_in_progress"}
    sim.advance(MEDIA_DELAY - 1)
    assert kore.status(session) == "media_in_progress"
    sim.advance(1)
    body = kore.recordings(session).json()
    assert body["status"] == "success" and len(body["recording"]) == 1
    assert re.fullmatch(r"[0-9a-f]{32}-merged\.wav", body["recording"][0]["fileName"])


def test_a_call_with_a_duration_ends_by_itself(sim: Sim, kore: Koreai) -> None:
    session = kore.start_call(duration_seconds=90)["session_id"]
    sim.advance(89)
    assert kore.status(session) == "call_in_progress"
    sim.advance(1)
    assert kore.status(session) == "media_in_progress"
    sim.advance(MEDIA_DELAY)
    assert kore.status(session) == "success"


def test_hanging_up_before_the_planned_end_shortens_the_call(sim: Sim, kore: Koreai) -> None:
    session = kore.start_call(duration_seconds=600)["session_id"]
    sim.advance(42)
    assert kore.end_call(session)["duration_seconds"] == 42


def test_a_call_without_media_is_unavailable_once_it_ends(sim: Sim, kore: Koreai) -> None:
    session = kore.start_call(duration_seconds=30, has_media=False)["session_id"]
    assert kore.status(session) == "call_in_progress"
    sim.advance(30)
    assert kore.recordings(session).json() == {"status": "media_unavailable"}
    sim.advance(10 * MEDIA_DELAY)
    assert kore.status(session) == "media_unavailable"


def test_unknown_sessions_and_another_bots_sessions_are_media_unavailable(sim: Sim, kore: Koreai) -> None:
    assert kore.recordings("no-such-session").json() == {"status": "media_unavailable"}
    assert kore.status(README_SESSION, bot_id=NORTHWIND_OTHER_BOT) == "media_unavailable"
    assert kore.status(README_SESSION, bot_id=NORTHWIND_BOT) == "success"


def test_user_id_is_optional_as_in_the_vendors_sample(sim: Sim, kore: Koreai) -> None:
    assert kore.recordings(README_SESSION, userId="+14155550123").json()["status"] == "success"
    assert kore.recordings(README_SESSION, userId="someone@example.com").json()["status"] == "success"
    empty = kore.recordings(README_SESSION, userId="")
    assert empty.status_code == 400 and empty.json()["errors"][0]["field"] == "query.userId"


@pytest.mark.parametrize("session", ["", "has space", "x" * 129])
def test_malformed_session_ids_are_400_naming_the_field(sim: Sim, kore: Koreai, session: str) -> None:
    response = kore.recordings(session)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "query.sessionId"


def test_delete_removes_the_recordings_for_good(sim: Sim, kore: Koreai) -> None:
    session = kore.finished_call(60, recordings=2)["session_id"]
    urls = kore.file_urls(session)
    assert sim.http.get(urls[0]).status_code == 200
    deleted = kore.delete(session)
    assert deleted.status_code == 200
    assert deleted.json() == {"status": "success", "sessionId": session, "deletedRecordings": 2}
    assert kore.recordings(session).json() == {"status": "media_unavailable"}
    gone = sim.http.get(urls[0])
    assert gone.status_code == 404 and gone.json()["errors"][0]["code"] == 404
    again = kore.delete(session)
    assert again.status_code == 200 and again.json()["deletedRecordings"] == 0
    assert again.json()["status"] == "media_unavailable"
    view = next(c for c in sim.http.get("/_sim/koreai/calls").json()["calls"] if c["session_id"] == session)
    assert view["deleted"] is True and view["recordings"] == 0 and view["status"] == "media_unavailable"


def test_delete_is_refused_while_the_call_or_its_media_is_in_progress(sim: Sim, kore: Koreai) -> None:
    session = kore.start_call(duration_seconds=30)["session_id"]
    running = kore.delete(session)
    assert running.status_code == 409 and "call_in_progress" in running.json()["errors"][0]["msg"]
    sim.advance(30)
    assert kore.delete(session).status_code == 409
    sim.advance(MEDIA_DELAY)
    assert kore.status(session) == "success", "a refused delete changes nothing"
    assert kore.delete(session).json()["deletedRecordings"] == 1


def test_delete_of_unknown_or_media_less_sessions_deletes_nothing(sim: Sim, kore: Koreai) -> None:
    assert kore.delete("never-was").json() == {"status": "media_unavailable", "sessionId": "never-was",
                                               "deletedRecordings": 0}
    assert kore.delete(README_SESSION, bot_id=NORTHWIND_OTHER_BOT).json()["deletedRecordings"] == 0
    assert kore.status(README_SESSION) == "success", "another bot cannot delete this bot's session"


def test_admin_rejects_duplicates_unknown_bots_and_double_hang_ups(sim: Sim, kore: Koreai) -> None:
    kore.start_call(session_id="my-session-1", user_id="agent-test@example.com")
    duplicate = sim.http.post("/_sim/koreai/calls", json={"bot_id": NORTHWIND_BOT, "session_id": "my-session-1"})
    assert duplicate.status_code == 409 and "my-session-1" in duplicate.json()["error"]["message"]
    unknown = sim.http.post("/_sim/koreai/calls", json={"bot_id": "st-nobody"})
    assert unknown.status_code == 404
    invalid = sim.http.post("/_sim/koreai/calls", json={"bot_id": NORTHWIND_BOT, "recordings": 9})
    assert invalid.status_code == 400 and invalid.json()["error"]["violations"][0]["field"] == "body.recordings"
    kore.end_call("my-session-1")
    assert sim.http.post("/_sim/koreai/calls/my-session-1/end").status_code == 409
    assert sim.http.post("/_sim/koreai/calls/nobody/end").status_code == 404


def test_admin_lists_calls_with_their_status(sim: Sim, kore: Koreai) -> None:
    created = kore.start_call(bot_id=CONTOSO_BOT, user_id="caller-7")
    calls = sim.http.get("/_sim/koreai/calls", params={"bot_id": CONTOSO_BOT}).json()["calls"]
    assert {c["bot_id"] for c in calls} == {CONTOSO_BOT}
    assert calls[0] == created and created["user_id"] == "caller-7"


def test_seeded_calls_cover_every_status_at_the_clock_start(sim: Sim, kore: Koreai) -> None:
    calls = sim.http.get("/_sim/koreai/calls", params={"bot_id": NORTHWIND_BOT}).json()["calls"]
    by_status = {c["status"] for c in calls}
    assert by_status == {"call_in_progress", "media_in_progress", "success", "media_unavailable"}
    for listed in calls:
        assert kore.status(listed["session_id"]) == listed["status"]
    running = next(c for c in calls if c["status"] == "call_in_progress")
    sim.advance(running["duration_seconds"] + MEDIA_DELAY)
    assert kore.status(running["session_id"]) == "success"


def test_generated_session_ids_are_deterministic_per_namespace(sim: Sim, kore: Koreai) -> None:
    first = kore.start_call()["session_id"]
    sim.http.post("/_sim/reset")
    assert kore.start_call()["session_id"] == first


def test_a_lenient_server_serves_requests_missing_what_the_spec_requires() -> None:
    with ThreadedServer(create_app(make_settings(lenient=True))) as server:
        headers = {"auth": koreai_token()}
        missing = httpx.get(server.url + recordings_path(), headers=headers)
        assert missing.status_code == 200 and missing.json() == {"status": "media_unavailable"}
        deleted = httpx.delete(server.url + recordings_path(), headers=headers)
        assert deleted.status_code == 200 and deleted.json()["deletedRecordings"] == 0
        no_bot = httpx.post(server.url + "/_sim/koreai/calls", json={})
        assert no_bot.status_code == 404
