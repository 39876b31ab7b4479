"""Hand-made RealtimeKit records: meetings' sessions with their participants, stored as an admin sends them.

``POST /_sim/realtimekit/sessions`` takes a list of sessions with chosen ids, app, meeting and times, each
with the participants who joined and left it. The spec bounds every field; what a schema cannot say (a
known app - else 404, as for the vendor's own calls - instants that parse, nobody leaving before joining)
is checked here for the whole batch, and ids not taken by the backend's ``store``, before anything is
stored, so a bad record stores none. A session is LIVE until its last participant leaves, as every
RealtimeKit session is.
"""

from __future__ import annotations

from typing import Any

from simulator.core.clock import parse_instant
from simulator.core.dispatch import Call, Reply
from simulator.core.errors import InvalidRequest, NotFound, Violation
from simulator.vendors.realtimekit.models import RealtimeKitBackend
from simulator.vendors.realtimekit.sessions import PRESETS, Participant, Session
from simulator.vendors.realtimekit.views import session_view

RULE = "#/paths/~1_sim~1realtimekit~1sessions/post/requestBody/content/application~1json/schema/items/properties"
# Participants per request, all sessions together: storing one takes ~40 us, so a batch stays well under a
# second and never holds up other namespaces' calls (a 10 MB body could otherwise carry 100,000).
MAX_PARTICIPANTS = 10_000


def store_sessions(call: Call[RealtimeKitBackend]) -> Reply:
    records = call.body if isinstance(call.body, list) else []
    total = sum(len(record["participants"]) for record in records)
    if total > MAX_PARTICIPANTS:
        raise InvalidRequest([Violation("body", f"{RULE}/participants", f"{total} participants in one request; "
                                        f"at most {MAX_PARTICIPANTS} (send the sessions in several requests)")])
    sessions = [_draft(call.backend, record, index) for index, record in enumerate(records)]
    call.backend.store(sessions)
    now = call.now()
    return Reply({"sessions": [session_view(session, now) for session in sessions]}, status=201)


def _invalid(field: str, message: str) -> InvalidRequest:
    name = field.rsplit(".", 1)[-1]
    return InvalidRequest([Violation(f"body.{field}", f"{RULE}/{name}", message)])


def _instant(record: dict[str, Any], key: str, where: str) -> int:
    try:
        return int(parse_instant(record[key]).timestamp())
    except (ValueError, OverflowError):
        raise _invalid(f"{where}.{key}", f"{record[key]!r} is not an ISO 8601 instant") from None


def _draft(backend: RealtimeKitBackend, record: dict[str, Any], index: int) -> Session:
    """The session a record describes, not yet stored; InvalidRequest naming the field otherwise."""
    app = backend.apps.get(record["app_id"])
    if app is None:
        raise NotFound(f"body.{index}.app_id: no app {record['app_id']!r} in the fixtures; known: "
                       f"{', '.join(sorted(backend.apps))}", "app_not_found")
    started = _instant(record, "started_at", str(index))
    created = _instant(record, "created_at", str(index)) if "created_at" in record else started
    if created > started:
        raise _invalid(f"{index}.created_at", "a session is created at or before it starts")
    source = backend.ctx.source.child(f"handmade:{record['app_id']}:{record.get('id')}:{index}:{len(backend.sessions)}")
    session_id = record.get("id") or source.uuid()
    session_type = record.get("type", "meeting")
    host, guest, view_type = PRESETS[session_type]
    people: list[Participant] = []
    for number, given in enumerate(record["participants"]):
        where = f"{index}.participants.{number}"
        joined, left = _instant(given, "joined_at", where), _instant(given, "left_at", where)
        if joined < started:
            raise _invalid(f"{where}.joined_at", "a participant joins at or after the session starts")
        if left <= joined:
            raise _invalid(f"{where}.left_at", "a participant leaves after joining")
        person = source.child(f"participant:{number}")
        people.append(Participant(
            id=given.get("id") or person.uuid(), session_id=session_id, user_id=given.get("user_id") or person.uuid(),
            custom_participant_id=given.get("custom_participant_id", given["display_name"]),
            display_name=given["display_name"], preset_name=given.get("preset_name", host if number == 0 else guest),
            view_type=view_type, socket_session_id=person.uuid(), created_at=joined, joined_at=joined, left_at=left,
        ))
    people.sort(key=lambda p: (p.joined_at, p.id))
    return Session(id=session_id, app_id=app.app_id, meeting_id=record.get("meeting_id") or source.uuid(),
                   meeting_title=record["meeting_title"], type=session_type, created_at=created, started_at=started,
                   participants=people)
