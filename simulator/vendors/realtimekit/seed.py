"""Deterministic RealtimeKit data: meetings with several sessions, their participants and breakout rooms.

Ended sessions lie in the 30 days before the namespace clock's start; each app's first
``live_meetings`` meetings also have a session that is LIVE at the clock's start, begun up to 50
minutes before it and ending (its last participant leaving) up to 90 minutes after it, with some
participants still to join. The same seed and clock start give the same records.

Everything is laid out relative to the start itself (not its UTC day), so the records are drawn once
per process per seed and fixtures, at start 0 (the baseline), and every namespace gets a copy of the
baseline shifted to its own start: a first touch costs a copy, not a Faker run. The baseline is never
handed out, so no namespace's write can reach it or another namespace. Between runs the baseline is
kept as plain data (:mod:`simulator.core.baselinecache`): a fresh process reads it back instead of
running Faker.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from simulator.core import baselinecache
from simulator.core.baselinecache import fields_of, record_from
from simulator.core.rand import SeededSource
from simulator.core.store import VendorContext
from simulator.vendors.realtimekit.models import App, RealtimeKitBackend
from simulator.vendors.realtimekit.sessions import PRESETS, BreakoutRoom, Participant, Session

DAY = 86400
TOPICS = ("Weekly sync", "Town hall", "Customer onboarding", "Product demo", "Design review", "Sprint planning",
          "Support clinic", "Quarterly review", "Office hours", "Interview loop", "Launch briefing", "Team retro")
# Meetings take their type in turn, so every app with three meetings or more has all three types.
MEETING_TYPES = ("meeting", "livestream", "participant", "meeting", "meeting", "livestream")
HEADCOUNT = {"meeting": (2, 12), "livestream": (3, 20), "participant": (1, 3)}
SOURCES = baselinecache.package_sources(__file__)  # what shapes the seeded sessions
BASELINES_KEPT = 8  # distinct (seed, apps) baselines per process: a test suite uses one or two

Baseline = tuple[Session, ...]
_baselines: OrderedDict[tuple[int, str, tuple[App, ...]], Baseline] = OrderedDict()
_building = threading.Lock()


def seeded(ctx: VendorContext) -> RealtimeKitBackend:
    """The namespace's backend: the fixtures' tenants, and unless ``ctx.empty`` the seeded sessions."""
    backend = RealtimeKitBackend(ctx)
    if not ctx.empty:
        start = int(ctx.clock.start)
        for session in baseline(ctx.source, tuple(backend.apps.values())):
            backend.add(shifted(session, start))
        backend.order()
    return backend


def baseline(source: SeededSource, apps: tuple[App, ...]) -> Baseline:
    """The seeded sessions of ``apps`` for a clock starting at epoch 0, drawn once per process (or run)."""
    key = (source.seed, source.scope, apps)
    with _building:  # namespaces seed on one worker thread; the lock only guards direct callers (benchmarks)
        found = _baselines.get(key)
        if found is None:
            inputs = {"apps": [fields_of(app) for app in apps]}
            found = _baselines[key] = baselinecache.cached("realtimekit", source, inputs, SOURCES,
                                                           lambda: _draw(source, apps), to_plain, from_plain)
            if len(_baselines) > BASELINES_KEPT:
                _baselines.popitem(last=False)
        else:
            _baselines.move_to_end(key)
        return found


def to_plain(sessions: Baseline) -> list[dict[str, Any]]:
    """The baseline as plain data, sessions in their order."""
    return [{**fields_of(session), "participants": [fields_of(person) for person in session.participants],
             "breakout_rooms": [fields_of(room) for room in session.breakout_rooms]} for session in sessions]


def from_plain(data: Sequence[Any]) -> Baseline:
    return tuple(record_from(Session, {**fields, "participants": [record_from(Participant, person)
                                                                  for person in fields["participants"]],
                                       "breakout_rooms": [record_from(BreakoutRoom, room)
                                                          for room in fields["breakout_rooms"]]})
                 for fields in data)


def shifted(session: Session, delta: int) -> Session:
    """A new copy of ``session`` (participants and rooms too) with every instant moved by ``delta`` seconds."""
    ready = session.summary_ready_at
    return Session(
        id=session.id, app_id=session.app_id, meeting_id=session.meeting_id, meeting_title=session.meeting_title,
        type=session.type, created_at=session.created_at + delta, started_at=session.started_at + delta,
        participants=[
            Participant(id=p.id, session_id=p.session_id, user_id=p.user_id,
                        custom_participant_id=p.custom_participant_id, display_name=p.display_name,
                        preset_name=p.preset_name, view_type=p.view_type, socket_session_id=p.socket_session_id,
                        created_at=p.created_at + delta, joined_at=p.joined_at + delta, left_at=p.left_at + delta,
                        room=p.room)
            for p in session.participants
        ],
        breakout_rooms=[BreakoutRoom(id=r.id, name=r.name, opens_at=r.opens_at + delta, closes_at=r.closes_at + delta)
                        for r in session.breakout_rooms],
        summary_ready_at=None if ready is None else ready + delta,
    )


def _draw(source: SeededSource, apps: tuple[App, ...]) -> Baseline:
    start = 0
    drawn: list[Session] = []
    for app in apps:
        app_source = source.child(f"app:{app.app_id}")
        for index in range(app.seed_meetings):
            drawn += _meeting_sessions(app, index, app_source.child(f"meeting:{index}"), start)
    # Older ended sessions already have a summary; the rest are generated on request.
    for session in drawn:
        if session.ends_at < start - 7 * DAY:
            session.summary_ready_at = session.ends_at + 120
    return tuple(drawn)


def _meeting_sessions(app: App, index: int, source: SeededSource, clock_start: int) -> list[Session]:
    fake = source.fake
    meeting_id = source.uuid()
    title = f"{source.choice(TOPICS)} - {fake.company()}"
    session_type = MEETING_TYPES[index % len(MEETING_TYPES)]
    sessions: list[Session] = []
    count = source.integer(1, 4)
    for number in range(count):
        child = source.child(f"session:{number}")
        if index < app.live_meetings and number == count - 1:
            started = clock_start - child.integer(5, 50) * 60
            planned_end = clock_start + child.integer(10, 90) * 60
        else:
            started = clock_start - child.integer(1, 30) * DAY + child.integer(7 * 3600, 20 * 3600)
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
