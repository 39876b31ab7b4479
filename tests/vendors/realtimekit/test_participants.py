"""Participants and peer reports through the official SDK: paging inside data, search, sorting, views,
peer events, report sections."""

from __future__ import annotations

from typing import Any, cast

import pytest
from cloudflare import Cloudflare, NotFoundError

from tests.vendors.realtimekit.helpers import NORTHWIND, WEBINARS


def _sessions(cf: Cloudflare, **filters: Any) -> list[Any]:
    listing = cf.realtime_kit.sessions.get_sessions(WEBINARS, account_id=NORTHWIND, per_page=100, **filters)
    assert listing.data is not None and listing.data.sessions is not None
    return list(listing.data.sessions)


def _participants(cf: Cloudflare, session_id: str, **options: Any) -> list[Any]:
    listing = cf.realtime_kit.sessions.get_session_participants(session_id, account_id=NORTHWIND, app_id=WEBINARS,
                                                                per_page=100, **options)
    assert listing.data is not None and listing.data.participants is not None
    return list(listing.data.participants)


def _busiest(cf: Cloudflare) -> Any:
    return max(_sessions(cf, status="ENDED"), key=lambda s: s.max_concurrent_participants)


def test_paging_sits_inside_data(cf: Cloudflare) -> None:
    session = _busiest(cf)
    everyone = _participants(cf, session.id)
    page = cf.realtime_kit.sessions.get_session_participants(session.id, account_id=NORTHWIND, app_id=WEBINARS,
                                                             per_page=3, page_no=2.0)
    assert page.data is not None and page.data.model_extra is not None
    assert page.data.model_extra["paging"] == {"start_offset": 3, "end_offset": 5, "total_count": len(everyone)}
    assert [p.id for p in page.data.participants or []] == [p.id for p in everyone[3:6]]


def test_participants_times_agree_with_the_session(cf: Cloudflare) -> None:
    for session in _sessions(cf, status="ENDED")[:6]:
        everyone = _participants(cf, session.id)
        assert min(p.joined_at for p in everyone) == session.started_at
        assert max(p.left_at for p in everyone) == session.ended_at
        for participant in everyone:
            assert session.started_at <= participant.joined_at < participant.left_at <= session.ended_at
            assert participant.created_at <= participant.joined_at
            assert participant.custom_participant_id and participant.user_id and participant.preset_name


def test_default_order_is_joining_order_and_duration_sorts(cf: Cloudflare) -> None:
    session = _busiest(cf)
    joined = [p.joined_at for p in _participants(cf, session.id)]
    assert joined == sorted(joined)
    longest_first = [p.duration for p in _participants(cf, session.id, sort_by="duration", sort_order="DESC")]
    assert longest_first == sorted(longest_first, reverse=True) and longest_first[0] > longest_first[-1]
    assert [p.joined_at for p in _participants(cf, session.id, sort_order="DESC")] == sorted(joined, reverse=True)


def test_search_by_name_and_ids(cf: Cloudflare) -> None:
    session = _busiest(cf)
    target = _participants(cf, session.id)[2]
    last_name = target.display_name.split()[-1]
    by_name = _participants(cf, session.id, search=last_name.lower())
    assert target.id in [p.id for p in by_name] and all(last_name in p.display_name for p in by_name)
    assert [p.id for p in _participants(cf, session.id, search=target.id)] == [target.id]
    assert [p.id for p in _participants(cf, session.id, search=target.custom_participant_id)] == [target.id]


def test_consolidated_view_adds_breakout_room_minutes(cf: Cloudflare) -> None:
    sessions = cf.realtime_kit.sessions
    for session in _sessions(cf, status="ENDED"):
        details = sessions.get_session_details(session.id, account_id=NORTHWIND, app_id=WEBINARS,
                                               include_breakout_rooms=True).data
        assert details is not None
        if details.breakout_rooms:
            break
    else:
        pytest.fail("no seeded session has breakout rooms")
    raw = {p.id: p.duration for p in _participants(cf, session.id, view="raw")}
    consolidated = {p.id: p.duration for p in _participants(cf, session.id, view="consolidated")}
    room_minutes = sum(room["minutes_consumed"] for room in details.breakout_rooms)  # type: ignore[index]
    assert any(consolidated[key] > raw[key] for key in raw)
    assert sum(consolidated.values()) - sum(raw.values()) == pytest.approx(room_minutes, abs=0.05)
    assert session.minutes_consumed == pytest.approx(sum(raw.values()), abs=0.001)


def test_peer_events_only_when_asked(cf: Cloudflare) -> None:
    session = _busiest(cf)
    plain = _participants(cf, session.id)[0]
    assert plain.peer_events is None
    detailed = cf.realtime_kit.sessions.get_session_participant_details(
        plain.id, account_id=NORTHWIND, app_id=WEBINARS, session_id=session.id, include_peer_events=True)
    assert detailed.data is not None and detailed.data.participant is not None
    events = detailed.data.participant.peer_events or []
    assert [e.event_name for e in events] == ["PEER_CREATED", "PEER_JOINING", "PEER_LEAVING"]
    assert [e.created_at for e in events] == [plain.created_at, plain.joined_at, plain.left_at]
    assert events[-1].minutes_consumed == plain.duration
    assert {e.peer_id for e in events} == {plain.id} and {e.session_id for e in events} == {session.id}


def test_participant_list_carries_peer_events_on_request(cf: Cloudflare) -> None:
    session = _busiest(cf)
    for participant in _participants(cf, session.id, include_peer_events=True):
        events = participant.peer_events or []
        assert [e.event_name for e in events] == ["PEER_CREATED", "PEER_JOINING", "PEER_LEAVING"]
        assert {e.participant_id for e in events} == {participant.id}


def test_unknown_participant_is_404(cf: Cloudflare) -> None:
    session = _busiest(cf)
    with pytest.raises(NotFoundError):
        cf.realtime_kit.sessions.get_session_participant_details(
            "00000000-0000-4000-8000-000000000000", account_id=NORTHWIND, app_id=WEBINARS, session_id=session.id)
    with pytest.raises(NotFoundError):
        cf.realtime_kit.sessions.get_participant_data_from_peer_id(
            "00000000-0000-4000-8000-000000000000", account_id=NORTHWIND, app_id=WEBINARS)


def test_peer_report_has_every_section_and_filters_select_one(cf: Cloudflare) -> None:
    session = _busiest(cf)
    peer = _participants(cf, session.id)[1]
    sessions = cf.realtime_kit.sessions
    full = sessions.get_participant_data_from_peer_id(peer.id, account_id=NORTHWIND, app_id=WEBINARS).data
    assert full is not None and full.participant is not None and full.participant.peer_report is not None
    participant = full.participant
    assert (participant.id, participant.session_id, participant.joined_at) == (peer.id, session.id, peer.joined_at)
    assert participant.role == peer.preset_name
    report = full.participant.peer_report
    assert report.metadata is not None and report.quality is not None
    assert report.metadata.device_info and report.metadata.device_info.os
    assert report.metadata.ip_information and report.metadata.ip_information.ipv4
    assert report.metadata.pc_metadata and report.metadata.pc_metadata[0].effective_network_type
    names = [e.name for e in report.metadata.events or []]
    assert names[0] == "precall_test_completed" and names[-1] == "peer_left"
    samples = report.quality.audio_producer or []
    assert samples and all(peer.joined_at < s.timestamp <= peer.left_at for s in samples if s.timestamp)
    assert report.quality.audio_producer_cumulative and report.quality.audio_producer_cumulative.quality_mos
    expected = {"device_info": ("metadata", {"device_info", "browser_metadata"}),
                "ip_information": ("metadata", {"ip_information"}),
                "precall_network_information": ("metadata", {"pc_metadata"}),
                "events": ("metadata", {"events"}),
                "quality_stats": ("quality", None)}
    for name, (section, keys) in expected.items():
        raw = sessions.with_raw_response.get_participant_data_from_peer_id(
            peer.id, account_id=NORTHWIND, app_id=WEBINARS, filters=cast(Any, name))
        filtered = cast(dict[str, Any], raw.json())["data"]["participant"]["peer_report"]
        assert list(filtered) == [section]
        if keys is not None:
            assert set(filtered["metadata"]) == keys
    with_events = sessions.get_participant_data_from_peer_id(peer.id, account_id=NORTHWIND, app_id=WEBINARS,
                                                              include_peer_events=True).data
    assert with_events and with_events.participant and len(with_events.participant.peer_events or []) == 3
