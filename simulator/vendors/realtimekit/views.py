"""JSON views of sessions, breakout rooms, participants and peer events, as the SDK models them."""

from __future__ import annotations

from typing import Any

from simulator.core.clock import isoformat, to_datetime
from simulator.core.rand import SeededSource
from simulator.core.render import rendered
from simulator.vendors.realtimekit.sessions import Participant, Session


def stamp(epoch: float) -> str:
    return isoformat(to_datetime(epoch))


def _session(session: Session, now: float) -> dict[str, Any]:
    status = session.status(now)
    view: dict[str, Any] = {
        "id": session.id,
        "associated_id": session.meeting_id,
        "created_at": stamp(session.created_at),
        "live_participants": session.live_participants(now),
        "max_concurrent_participants": session.max_concurrent(now),
        "meeting_display_name": session.meeting_title,
        "minutes_consumed": session.minutes_consumed(now),
        "organization_id": session.app_id,
        "started_at": stamp(session.started_at),
        "status": status,
        "type": session.type,
        "updated_at": stamp(session.updated_at(now)),
    }
    if status == "ENDED":
        view["ended_at"] = stamp(session.ends_at)
    return view


def session_view(session: Session, now: float) -> Any:
    """An ended session no longer changes: its view is rendered once (as of its end) and reused."""
    if session.status(now) == "ENDED":
        return rendered(session, lambda ended: _session(ended, ended.ends_at))
    return _session(session, now)


def session_details(session: Session, now: float, include_breakout_rooms: bool) -> Any:
    if not include_breakout_rooms:
        return session_view(session, now)
    view = _session(session, now)
    view["breakout_rooms"] = [_room(session, index, now) for index in range(len(session.breakout_rooms))]
    return view


def _room(session: Session, index: int, now: float) -> dict[str, Any]:
    room = session.breakout_rooms[index]
    status = "ENDED" if now >= room.closes_at else "LIVE"
    view: dict[str, Any] = {
        "id": room.id,
        "associated_id": session.meeting_id,
        "meeting_display_name": room.name,
        "created_at": stamp(room.opens_at),
        "started_at": stamp(room.opens_at),
        "updated_at": stamp(min(now, room.closes_at)),
        "status": status,
        "live_participants": session.room_live(index, now),
        "max_concurrent_participants": session.room_max_concurrent(index, now),
        "minutes_consumed": session.room_minutes(index, now),
    }
    if status == "ENDED":
        view["ended_at"] = stamp(room.closes_at)
    return view


def participant_view(session: Session, participant: Participant, now: float, *, consolidated: bool = False,
                     events: SeededSource | None = None) -> dict[str, Any]:
    """The participant as the SDK models it; with its peer events when given the vendor's stream (``events``)."""
    has_left = participant.left_at <= now
    view: dict[str, Any] = {
        "id": participant.id,
        "created_at": stamp(participant.created_at),
        "custom_participant_id": participant.custom_participant_id,
        "display_name": participant.display_name,
        "duration": (session.consolidated_minutes if consolidated else session.raw_minutes)(participant, now),
        "joined_at": stamp(participant.joined_at),
        "preset_name": participant.preset_name,
        "updated_at": stamp(participant.left_at if has_left else participant.joined_at),
        "user_id": participant.user_id,
    }
    if has_left:
        view["left_at"] = stamp(participant.left_at)
    if events is not None:
        view["peer_events"] = peer_events(session, participant, now, events.child(f"events:{participant.id}"))
    return view


def peer_events(session: Session, participant: Participant, now: float, source: SeededSource) -> list[dict[str, Any]]:
    """PEER_CREATED and PEER_JOINING when the participant came in, PEER_LEAVING once it has left."""
    moments = [("PEER_CREATED", participant.created_at), ("PEER_JOINING", participant.joined_at),
               ("PEER_LEAVING", participant.left_at)]
    found = []
    for name, moment in moments:
        event_id = source.uuid()  # drawn for every event so ids do not depend on the clock
        if moment > now:
            continue
        found.append({
            "id": event_id,
            "created_at": stamp(moment),
            "event_name": name,
            "minutes_consumed": session.raw_minutes(participant, now) if name == "PEER_LEAVING" else 0,
            "participant_id": participant.id,
            "peer_id": participant.id,
            "preset_view_type": participant.view_type,
            "session_id": session.id,
            "socket_session_id": participant.socket_session_id,
            "updated_at": stamp(moment),
        })
    return found
