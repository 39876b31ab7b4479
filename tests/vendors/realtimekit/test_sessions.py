"""Listing and reading sessions through the official SDK: paging, filters, sorting, search, consistency."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cloudflare import Cloudflare, NotFoundError

from simulator.core.clock import parse_instant
from tests.support import CLOCK_START
from tests.vendors.realtimekit.helpers import NORTHWIND, SUPPORT, WEBINARS

START = parse_instant(CLOCK_START)


def _all(cf: Cloudflare, **filters: Any) -> list[Any]:
    listing = cf.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND, per_page=1000, **filters)
    assert listing.data is not None and listing.data.sessions is not None
    return list(listing.data.sessions)


def test_paging_reports_offsets_and_totals(cf: Cloudflare) -> None:
    everything = _all(cf)
    first = cf.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND, per_page=7)
    second = cf.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND, per_page=7.0, page_no=2.0)
    assert first.paging is not None and second.paging is not None
    assert first.paging.total_count == second.paging.total_count == len(everything) >= 15
    assert (first.paging.start_offset, first.paging.end_offset) == (0, 6)
    assert (second.paging.start_offset, second.paging.end_offset) == (7, 13)
    assert first.data and second.data and first.data.sessions and second.data.sessions
    assert [s.id for s in first.data.sessions + second.data.sessions] == [s.id for s in everything[:14]]
    beyond = cf.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND, per_page=7, page_no=99)
    assert beyond.data is not None and beyond.data.sessions == []
    default = cf.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND)
    assert default.data is not None and len(default.data.sessions or []) == 20


def test_default_order_is_newest_first_and_sorting_follows_the_request(cf: Cloudflare) -> None:
    newest_first = _all(cf)
    created = [s.created_at for s in newest_first]
    assert created == sorted(created, reverse=True)
    assert [s.created_at for s in _all(cf, sort_by="createdAt", sort_order="ASC")] == sorted(created)
    by_minutes = [s.minutes_consumed for s in _all(cf, sort_by="minutesConsumed", sort_order="DESC")]
    assert by_minutes == sorted(by_minutes, reverse=True) and by_minutes[0] > by_minutes[-1]
    ascending = [s.minutes_consumed for s in _all(cf, sort_by="minutesConsumed", sort_order="ASC")]
    assert ascending == sorted(by_minutes)


def test_status_filter_and_the_shape_of_live_and_ended_sessions(cf: Cloudflare) -> None:
    live, ended = _all(cf, status="LIVE"), _all(cf, status="ENDED")
    assert len(live) == 2 and len(ended) == len(_all(cf)) - 2
    for session in live:
        assert session.status == "LIVE" and session.ended_at is None and session.live_participants > 0
    for session in ended:
        assert session.status == "ENDED" and session.live_participants == 0
        assert session.ended_at is not None and session.started_at < session.ended_at <= CLOCK_START
        assert session.organization_id == WEBINARS


def test_meetings_have_several_sessions_and_associated_id_selects_them(cf: Cloudflare) -> None:
    everything = _all(cf)
    meetings: dict[str, list[str]] = {}
    for session in everything:
        meetings.setdefault(session.associated_id, []).append(session.id)
    meeting, ids = max(meetings.items(), key=lambda item: len(item[1]))
    assert len(ids) >= 2 and len(meetings) == 10
    assert {s.type for s in everything} == {"meeting", "livestream", "participant"}
    assert [s.id for s in _all(cf, associated_id=meeting)] == ids
    assert _all(cf, associated_id="no-such-meeting") == []


def test_search_matches_title_meeting_id_and_session_id(cf: Cloudflare) -> None:
    everything = _all(cf)
    target = everything[3]
    word = target.meeting_display_name.split(" - ")[1].split()[0].rstrip(",").upper()
    found = _all(cf, search=word)
    assert target.id in [s.id for s in found]
    assert all(word.lower() in s.meeting_display_name.lower() for s in found)
    assert [s.id for s in _all(cf, search=target.id)] == [target.id]
    assert {s.associated_id for s in _all(cf, search=target.associated_id)} == {target.associated_id}


def test_time_window_accepts_z_and_offsets(cf: Cloudflare) -> None:
    everything = _all(cf)
    since = START - timedelta(days=10)
    until = START - timedelta(days=3)
    expected = [s.id for s in everything if since <= parse_instant(s.started_at) <= until]
    assert 0 < len(expected) < len(everything)
    assert [s.id for s in _all(cf, start_time=since, end_time=until)] == expected  # the SDK sends +00:00
    as_text = _all(cf, start_time=since.strftime("%Y-%m-%dT%H:%M:%SZ"), end_time=until.isoformat())
    assert [s.id for s in as_text] == expected


def test_participants_filter_counts_who_joined(cf: Cloudflare) -> None:
    counts = {}
    for session in _all(cf):
        listing = cf.realtime_kit.sessions.get_session_participants(session.id, account_id=NORTHWIND,
                                                                    app_id=WEBINARS, per_page=100)
        assert listing.data is not None
        counts[session.id] = len(listing.data.participants or [])
    some = sorted(counts.values())[len(counts) // 2]
    assert [s.id for s in _all(cf, participants=str(some))] == [k for k, v in counts.items() if v == some]
    assert {s.id for s in _all(cf, participants=f"{some}-")} == {k for k, v in counts.items() if v >= some}
    assert {s.id for s in _all(cf, participants=f"2-{some}")} == {k for k, v in counts.items() if 2 <= v <= some}


def test_minutes_consumed_is_the_sum_of_participant_minutes(cf: Cloudflare) -> None:
    for session in _all(cf)[:8]:
        listing = cf.realtime_kit.sessions.get_session_participants(session.id, account_id=NORTHWIND,
                                                                    app_id=WEBINARS, per_page=100)
        assert listing.data is not None and listing.data.participants
        durations = [p.duration or 0 for p in listing.data.participants]
        assert session.minutes_consumed == pytest.approx(round(sum(durations), 2), abs=0.001)
        assert session.max_concurrent_participants <= len(durations)


def test_session_details_and_breakout_rooms(cf: Cloudflare) -> None:
    sessions = cf.realtime_kit.sessions
    everything = _all(cf)
    details = sessions.get_session_details(everything[0].id, account_id=NORTHWIND, app_id=WEBINARS)
    assert details.data is not None and details.data.id == everything[0].id
    assert details.data.breakout_rooms is None
    with_rooms = []
    for session in everything:
        data = sessions.get_session_details(session.id, account_id=NORTHWIND, app_id=WEBINARS,
                                            include_breakout_rooms=True).data
        assert data is not None and data.breakout_rooms is not None
        if data.breakout_rooms:
            with_rooms.append(data)
    assert with_rooms, "the seeded data has sessions with breakout rooms"
    for data in with_rooms:
        for room in data.breakout_rooms or []:
            assert isinstance(room, dict)
            assert data.started_at <= room["started_at"] and room["minutes_consumed"] > 0
            assert room["associated_id"] == data.associated_id


def test_unknown_session_app_and_other_apps_sessions_are_404(cf: Cloudflare) -> None:
    sessions = cf.realtime_kit.sessions
    with pytest.raises(NotFoundError) as missing:
        sessions.get_session_details("00000000-0000-4000-8000-000000000000", account_id=NORTHWIND, app_id=WEBINARS)
    assert missing.value.status_code == 404
    assert missing.value.body == {"success": False, "errors": [
        {"code": 404, "message": "Session 00000000-0000-4000-8000-000000000000 not found"}], "messages": [],
        "result": None}
    other_app = _all(cf)[0].id
    with pytest.raises(NotFoundError):
        sessions.get_session_details(other_app, account_id=NORTHWIND, app_id=SUPPORT)
    with pytest.raises(NotFoundError):
        sessions.get_sessions("0" * 32, account_id=NORTHWIND)
