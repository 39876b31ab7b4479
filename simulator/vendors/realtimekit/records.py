"""RealtimeKit's records as data: one table of sessions, each with its participants and breakout rooms.

A session's participants and rooms live inside its record (they belong to it alone; a participant
names its session by id). Apps and credentials come from the fixtures, and each app's session list
and the peer map are rebuilt from the sessions on load, never saved. There are no counters: ids are
drawn from seeded streams.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core.records import StateError, Tables, from_data, to_data
from simulator.core.store import VendorContext
from simulator.vendors.realtimekit.models import RealtimeKitBackend
from simulator.vendors.realtimekit.sessions import SESSION_TYPES, Session

# Instants are whole epoch seconds between year 1 and year 9999, what parse_instant can give.
_EPOCH = {"type": "integer", "minimum": -62135596800, "maximum": 253402300799}
_ID = {"type": "string", "minLength": 1, "maxLength": 128}
_TEXT = {"type": "string", "minLength": 1, "maxLength": 255}
MAX_PARTICIPANTS = 10_000  # per session: far above what seeding (20) or one admin request (500) makes


def _record(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": sorted(properties),
            "properties": properties}


PARTICIPANT = _record({
    "id": _ID, "session_id": _ID, "user_id": _ID, "custom_participant_id": _TEXT, "display_name": _TEXT,
    "preset_name": {"type": "string", "minLength": 1, "maxLength": 128},
    "view_type": {"type": "string", "minLength": 1, "maxLength": 64},
    "socket_session_id": _ID, "created_at": _EPOCH, "joined_at": _EPOCH, "left_at": _EPOCH,
    "room": {"type": ["integer", "null"], "minimum": 0, "maximum": 99},
})
BREAKOUT_ROOM = _record({"id": _ID, "name": _TEXT, "opens_at": _EPOCH, "closes_at": _EPOCH})
SESSION = _record({
    "id": _ID, "app_id": _ID, "meeting_id": _ID, "meeting_title": _TEXT,
    "type": {"type": "string", "enum": list(SESSION_TYPES)},
    "created_at": _EPOCH, "started_at": _EPOCH,
    "participants": {"type": "array", "minItems": 1, "maxItems": MAX_PARTICIPANTS, "items": PARTICIPANT},
    "breakout_rooms": {"type": "array", "maxItems": 100, "items": BREAKOUT_ROOM},
    "summary_ready_at": {"type": ["number", "null"]},
})
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "RealtimeKit records",
    "type": "object",
    "additionalProperties": False,
    "required": ["sessions"],
    "properties": {
        "sessions": {"type": "object", "description": "session id -> session",
                     "propertyNames": _ID, "additionalProperties": SESSION},
    },
}


class RealtimeKitRecords:
    """The :class:`~simulator.core.records.RecordCodec` of RealtimeKit."""

    @property
    def schema(self) -> Mapping[str, Any]:
        return SCHEMA

    def dump(self, backend: RealtimeKitBackend) -> Tables:
        return {"sessions": {session_id: to_data(session) for session_id, session in backend.sessions.items()}}

    def load(self, ctx: VendorContext, tables: Mapping[str, Mapping[str, Any]]) -> RealtimeKitBackend:
        backend = RealtimeKitBackend(ctx)
        peers: set[str] = set()
        for key, data in tables.get("sessions", {}).items():
            session = from_data(Session, data)
            session.participants.sort(key=lambda p: (p.joined_at, p.id))  # joining order, as the models keep it
            _check(backend, f"realtimekit.sessions.{key}", key, session, peers)
            backend.add(session)
        backend.order()
        return backend


def _check(backend: RealtimeKitBackend, where: str, key: str, session: Session, peers: set[str]) -> None:
    """What the schema cannot say: a known app, consistent ids and times, rooms that exist."""
    if session.id != key:
        raise StateError(f"{where}: the record's id is {session.id!r}, not its key")
    if session.app_id not in backend.apps:
        raise StateError(f"{where}: app {session.app_id!r} is not in the fixtures")
    if session.created_at > session.started_at:
        raise StateError(f"{where}: created_at is after started_at")
    for room_index, room in enumerate(session.breakout_rooms):
        if room.closes_at < room.opens_at:
            raise StateError(f"{where}.breakout_rooms.{room_index}: closes_at is before opens_at")
    for number, participant in enumerate(session.participants):
        here = f"{where}.participants.{number}"
        if participant.session_id != session.id:
            raise StateError(f"{here}: session_id {participant.session_id!r} is not the session's id")
        if participant.id in peers:
            raise StateError(f"{here}: participant {participant.id!r} is already in a session")
        peers.add(participant.id)
        if participant.left_at <= participant.joined_at:
            raise StateError(f"{here}: left_at is not after joined_at")
        if participant.room is not None and participant.room >= len(session.breakout_rooms):
            raise StateError(f"{here}: room {participant.room} is not one of the session's "
                             f"{len(session.breakout_rooms)} breakout rooms")


RECORDS = RealtimeKitRecords()
