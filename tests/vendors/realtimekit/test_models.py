"""The session arithmetic on the clock, checked over every seeded session at several instants."""

from __future__ import annotations

import pytest

from simulator.app import create_app
from simulator.core.store import Namespace
from simulator.vendors.realtimekit.models import RealtimeKitBackend, participant_count_range
from tests.support import make_settings


@pytest.fixture(scope="module")
def seeded() -> tuple[Namespace, RealtimeKitBackend]:
    namespace = create_app(make_settings()).state.registry.get("models")
    return namespace, namespace.state("realtimekit")


def test_counters_agree_and_only_grow_while_live(seeded: tuple[Namespace, RealtimeKitBackend]) -> None:
    namespace, backend = seeded
    start = namespace.clock.start
    live = [s for s in backend.sessions.values() if s.status(start) == "LIVE"]
    assert len(live) == 4
    for session in live:
        previous = -1.0
        for moment in range(int(start), session.ends_at + 600, 120):
            joined = session.joined(moment)
            assert session.live_participants(moment) <= session.max_concurrent(moment) <= len(joined)
            assert (session.status(moment) == "LIVE") == (moment < session.ends_at)
            if session.status(moment) == "LIVE":
                assert session.live_participants(moment) >= 1  # the host stays to the end
            consumed = session.minutes_consumed(moment)
            assert consumed >= previous
            previous = consumed
        assert session.minutes_consumed(session.ends_at) == session.minutes_consumed(session.ends_at + 3600)


def test_breakout_minutes_are_the_difference_between_views(seeded: tuple[Namespace, RealtimeKitBackend]) -> None:
    _namespace, backend = seeded
    with_rooms = [s for s in backend.sessions.values() if s.breakout_rooms]
    assert with_rooms
    for session in with_rooms:
        end = session.ends_at
        raw = sum(session.raw_minutes(p, end) for p in session.participants)
        consolidated = sum(session.consolidated_minutes(p, end) for p in session.participants)
        rooms = sum(session.room_minutes(i, end) for i in range(len(session.breakout_rooms)))
        assert consolidated - raw == pytest.approx(rooms, abs=0.01 * len(session.participants))
        for index in range(len(session.breakout_rooms)):
            assert session.room_max_concurrent(index, end) <= len(session.room_members(index))
            assert session.room_live(index, end) == 0


@pytest.mark.parametrize(("text", "expected"), [("3", (3, 3)), ("2-5", (2, 5)), ("4-", (4, None)), ("0-0", (0, 0))])
def test_participant_count_ranges(text: str, expected: tuple[int, int | None]) -> None:
    assert participant_count_range(text) == expected
