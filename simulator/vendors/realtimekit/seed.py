"""Deterministic RealtimeKit data: meetings with several sessions, their participants and breakout rooms.

Ended sessions lie in the 30 days before the UTC day of the namespace clock's start; each app's first
``live_meetings`` meetings also have a session that is LIVE at the clock's start, begun up to 50
minutes before it and ending (its last participant leaving) up to 90 minutes after it, with some
participants still to join. The same seed and clock start give the same records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.core.rand import SeededSource
from simulator.vendors.realtimekit.models import App, BreakoutRoom, Participant, Session

if TYPE_CHECKING:
    from simulator.vendors.realtimekit.models import RealtimeKitBackend

DAY = 86400
TOPICS = ("Weekly sync", "Town hall", "Customer onboarding", "Product demo", "Design review", "Sprint planning",
          "Support clinic", "Quarterly review", "Office hours", "Interview loop", "Launch briefing", "Team retro")
# Meetings take their type in turn, so every app with three meetings or more has all three types.
SESSION_TYPES = ("meeting", "livestream", "participant", "meeting", "meeting", "livestream")
PRESETS = {
    "meeting": ("group_call_host", "group_call_participant", "GROUP_CALL"),
    "livestream": ("livestream_host", "livestream_viewer", "LIVESTREAM"),
    "participant": ("webinar_presenter", "webinar_viewer", "WEBINAR"),
}
HEADCOUNT = {"meeting": (2, 12), "livestream": (3, 20), "participant": (1, 3)}


def populate(backend: RealtimeKitBackend) -> None:
    clock_start = int(backend.ctx.clock.start)
    anchor = clock_start - clock_start % DAY
    for app in backend.apps.values():
        source = backend.ctx.source.child(f"app:{app.app_id}")
        for index in range(app.seed_meetings):
            for session in _meeting_sessions(app, index, source.child(f"meeting:{index}"), anchor, clock_start):
                backend.add(session)
        seeded = backend.by_app.get(app.app_id, [])
        seeded.sort(key=lambda s: (s.created_at, s.id))
        # Older ended sessions already have a summary; the rest are generated on request.
        for session in seeded:
            if session.ends_at < anchor - 7 * DAY:
                session.summary_ready_at = session.ends_at + 120


def _meeting_sessions(app: App, index: int, source: SeededSource, anchor: int, clock_start: int) -> list[Session]:
    fake = source.fake
    meeting_id = source.uuid()
    title = f"{source.choice(TOPICS)} - {fake.company()}"
    session_type = SESSION_TYPES[index % len(SESSION_TYPES)]
    sessions: list[Session] = []
    count = source.integer(1, 4)
    for number in range(count):
        child = source.child(f"session:{number}")
        if index < app.live_meetings and number == count - 1:
            started = clock_start - child.integer(5, 50) * 60
            planned_end = clock_start + child.integer(10, 90) * 60
        else:
            started = anchor - child.integer(1, 30) * DAY + child.integer(7 * 3600, 20 * 3600)
            planned_end = started + child.integer(15, 120) * 60
        sessions.append(_session(app, meeting_id, title, session_type, child, started, planned_end))
    return sessions


def _session(app: App, meeting_id: str, title: str, session_type: str, source: SeededSource, started: int,
             planned_end: int) -> Session:
    session_id = source.uuid()
    host_preset, guest_preset, view_type = PRESETS[session_type]
    low, high = HEADCOUNT[session_type]
    length = planned_end - started
    people: list[Participant] = []
    for number in range(source.integer(low, high)):
        person = source.child(f"participant:{number}")
        fake = person.fake
        name = fake.name()
        if number == 0:  # the host opens the session and closes it
            joined, left = started, planned_end
        else:
            joined = started + person.integer(0, int(length * 0.6))
            left = person.integer(min(joined + 60, planned_end), planned_end)
        handle = name.lower().replace(" ", ".").replace("'", "")
        people.append(Participant(
            id=person.uuid(), session_id=session_id, user_id=person.uuid(),
            custom_participant_id=f"{handle}-{person.integer(1000, 9999)}" if person.chance(0.7) else fake.email(),
            display_name=name, preset_name=host_preset if number == 0 else guest_preset, view_type=view_type,
            socket_session_id=person.uuid(), created_at=joined - person.integer(1, 20), joined_at=joined,
            left_at=max(left, joined + 1),
        ))
    people.sort(key=lambda p: (p.joined_at, p.id))
    session = Session(
        id=session_id, app_id=app.app_id, meeting_id=meeting_id, meeting_title=title, type=session_type,
        created_at=started - source.integer(0, 5), started_at=started, participants=people,
    )
    if session_type == "meeting" and len(people) >= 4 and source.chance(0.35):
        _open_breakout_rooms(session, source.child("breakout"), started, planned_end)
    return session


def _open_breakout_rooms(session: Session, source: SeededSource, started: int, planned_end: int) -> None:
    length = planned_end - started
    opens, closes = started + int(length * 0.3), started + int(length * 0.6)
    rooms = source.integer(2, 3)
    session.breakout_rooms = [
        BreakoutRoom(id=source.uuid(), name=f"Breakout room {number + 1}", opens_at=opens, closes_at=closes)
        for number in range(rooms)
    ]
    guests = [p for p in session.participants if p.preset_name.endswith("participant")]
    for number, participant in enumerate(guests):
        participant.room = number % rooms
