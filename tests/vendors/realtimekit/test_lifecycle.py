"""LIVE sessions on the namespace clock: counters move, participants arrive, the session ends, then its
transcript exists and a summary can be generated."""

from __future__ import annotations

from typing import Any

import pytest
from cloudflare import Cloudflare, NotFoundError

from simulator.core.clock import isoformat, parse_instant, to_datetime
from tests.support import CLOCK_START, Sim
from tests.vendors.realtimekit.helpers import NORTHWIND, WEBINARS


def _session(cf: Cloudflare, session_id: str) -> Any:
    data = cf.realtime_kit.sessions.get_session_details(session_id, account_id=NORTHWIND, app_id=WEBINARS).data
    assert data is not None
    return data


def _participants(cf: Cloudflare, session_id: str) -> list[Any]:
    listing = cf.realtime_kit.sessions.get_session_participants(session_id, account_id=NORTHWIND, app_id=WEBINARS,
                                                                per_page=100)
    assert listing.data is not None and listing.data.participants is not None
    return list(listing.data.participants)


def _live(cf: Cloudflare) -> list[Any]:
    listing = cf.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND, status="LIVE")
    assert listing.data is not None and listing.data.sessions
    return list(listing.data.sessions)


def test_live_counters_move_with_the_clock(cf: Cloudflare, sim: Sim) -> None:
    before = _live(cf)[0]
    people = _participants(cf, before.id)
    assert before.live_participants == sum(1 for p in people if p.left_at is None) > 0
    assert all(p.joined_at <= CLOCK_START for p in people)
    sim.advance(300)
    after = _session(cf, before.id)
    assert after.status == "LIVE"  # seeded live sessions run at least ten more minutes
    assert after.minutes_consumed >= before.minutes_consumed + 5  # the host alone adds five minutes
    assert after.updated_at >= before.updated_at
    assert len(_participants(cf, before.id)) >= len(people)


def test_live_session_ends_on_the_clock(cf: Cloudflare, sim: Sim) -> None:
    sessions = cf.realtime_kit.sessions
    live = _live(cf)
    target = live[0]
    joined_before = sum(len(_participants(cf, s.id)) for s in live)
    with pytest.raises(NotFoundError) as not_yet:
        sessions.get_session_transcripts(target.id, account_id=NORTHWIND, app_id=WEBINARS)
    assert "LIVE" in str(not_yet.value.body)
    with pytest.raises(NotFoundError):
        sessions.generate_summary_of_transcripts(target.id, account_id=NORTHWIND, app_id=WEBINARS)
    with pytest.raises(NotFoundError):
        sessions.get_session_summary(target.id, account_id=NORTHWIND, app_id=WEBINARS)
    sim.advance(2 * 3600)
    ended = _session(cf, target.id)
    assert ended.status == "ENDED" and ended.live_participants == 0 and ended.ended_at is not None
    assert CLOCK_START < ended.ended_at <= isoformat(to_datetime(sim.now()))
    assert sum(len(_participants(cf, s.id)) for s in live) > joined_before  # some joined after the start
    people = _participants(cf, target.id)
    assert max(p.left_at for p in people) == ended.ended_at
    assert ended.minutes_consumed == pytest.approx(round(sum(p.duration for p in people), 2), abs=0.001)
    listing = sessions.get_sessions(WEBINARS, account_id=NORTHWIND, status="LIVE")
    assert listing.data is not None and listing.data.sessions == []
    transcript = sessions.get_session_transcripts(target.id, account_id=NORTHWIND, app_id=WEBINARS)
    assert transcript.data is not None and transcript.data.session_id == target.id


def test_summary_is_generated_on_request_and_ready_later(cf: Cloudflare, sim: Sim) -> None:
    sessions = cf.realtime_kit.sessions
    listing = sessions.get_sessions(WEBINARS, account_id=NORTHWIND, status="ENDED", sort_by="createdAt",
                                    sort_order="DESC")
    assert listing.data and listing.data.sessions
    recent = listing.data.sessions[0]
    with pytest.raises(NotFoundError) as never:
        sessions.get_session_summary(recent.id, account_id=NORTHWIND, app_id=WEBINARS)
    assert "POST" in str(never.value.body)
    started = sessions.generate_summary_of_transcripts(recent.id, account_id=NORTHWIND, app_id=WEBINARS)
    assert started.data is not None and (started.data.session_id, started.data.status) == (recent.id, "IN_PROGRESS")
    with pytest.raises(NotFoundError) as running:
        sessions.get_session_summary(recent.id, account_id=NORTHWIND, app_id=WEBINARS)
    assert "being generated" in str(running.value.body)
    sim.advance(89)
    again = sessions.generate_summary_of_transcripts(recent.id, account_id=NORTHWIND, app_id=WEBINARS)
    assert again.data is not None and again.data.status == "IN_PROGRESS"
    sim.advance(1)
    ready = sessions.get_session_summary(recent.id, account_id=NORTHWIND, app_id=WEBINARS)
    assert ready.data is not None and ready.data.session_id == recent.id
    expiry = parse_instant(ready.data.summary_download_url_expiry).timestamp()
    assert expiry == sim.now() + 3600
    done = sessions.generate_summary_of_transcripts(recent.id, account_id=NORTHWIND, app_id=WEBINARS)
    assert done.data is not None and done.data.status == "COMPLETED"


def test_older_sessions_already_have_a_summary(cf: Cloudflare) -> None:
    sessions = cf.realtime_kit.sessions
    listing = sessions.get_sessions(WEBINARS, account_id=NORTHWIND, sort_by="createdAt", sort_order="ASC")
    assert listing.data and listing.data.sessions
    oldest = listing.data.sessions[0]
    summary = sessions.get_session_summary(oldest.id, account_id=NORTHWIND, app_id=WEBINARS)
    assert summary.data is not None and summary.data.summary_download_url.startswith("http://127.0.0.1:")
