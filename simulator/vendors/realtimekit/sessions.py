"""RealtimeKit's records: meetings' sessions, each with its participants and breakout rooms.

Everything that moves is a function of the namespace clock. A participant exists once it has joined;
a session is LIVE until its last participant leaves, then ENDED; minutes, live and concurrent counts
are computed from the participants' times up to ``now``. Breakout rooms take participants out of the
main room for a window of the session: their ``raw`` minutes exclude that time, ``consolidated`` ones
include it. Records hold plain values only (instants are epoch seconds), so they dump as data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from simulator.core.render import Revisioned

SESSION_TYPES = ("meeting", "livestream", "participant")
# The presets and view type participants of each session type get: (host, guest, view type).
PRESETS = {
    "meeting": ("group_call_host", "group_call_participant", "GROUP_CALL"),
    "livestream": ("livestream_host", "livestream_viewer", "LIVESTREAM"),
    "participant": ("webinar_presenter", "webinar_viewer", "WEBINAR"),
}


@dataclass
class Participant:
    id: str  # the peer id
    session_id: str
    user_id: str
    custom_participant_id: str
    display_name: str
    preset_name: str
    view_type: str  # GROUP_CALL | WEBINAR | LIVESTREAM ...
    socket_session_id: str
    created_at: int
    joined_at: int
    left_at: int
    room: int | None = None  # breakout room index while the rooms are open

    def present_until(self, now: float) -> float:
        return min(self.left_at, now)


@dataclass
class BreakoutRoom:
    id: str
    name: str
    opens_at: int
    closes_at: int


def _overlap(start: float, end: float, other_start: float, other_end: float) -> float:
    return max(0.0, min(end, other_end) - max(start, other_start))


def _peak(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one moment; one that ends as another starts does not overlap it."""
    changes = sorted([(start, 1) for start, end in intervals if end > start]
                     + [(end, -1) for start, end in intervals if end > start])
    best = current = 0
    for _moment, delta in changes:
        current += delta
        best = max(best, current)
    return best


def _until(end: float, now: float) -> float:
    """Where a presence ends as far as ``now`` knows: still open (without end) if it has not ended yet."""
    return end if end <= now else math.inf


def minutes(seconds: float) -> float:
    return round(seconds / 60, 2)


@dataclass
class Session(Revisioned):
    id: str
    app_id: str
    meeting_id: str
    meeting_title: str
    type: str  # meeting | livestream | participant
    created_at: int
    started_at: int
    participants: list[Participant]  # in joining order
    breakout_rooms: list[BreakoutRoom] = field(default_factory=list)
    summary_ready_at: float | None = None  # None: never requested

    @property
    def ends_at(self) -> int:
        """The session ends when its last participant leaves."""
        return max(p.left_at for p in self.participants)

    def status(self, now: float) -> str:
        return "LIVE" if now < self.ends_at else "ENDED"

    def joined(self, now: float) -> list[Participant]:
        return [p for p in self.participants if p.joined_at <= now]

    # per participant --------------------------------------------------------------------------------
    def breakout_seconds(self, participant: Participant, now: float) -> float:
        if participant.room is None:
            return 0.0
        room = self.breakout_rooms[participant.room]
        return _overlap(participant.joined_at, participant.present_until(now), room.opens_at, min(room.closes_at, now))

    def raw_minutes(self, participant: Participant, now: float) -> float:
        present = max(participant.present_until(now) - participant.joined_at, 0)
        return minutes(present - self.breakout_seconds(participant, now))

    def consolidated_minutes(self, participant: Participant, now: float) -> float:
        return minutes(max(participant.present_until(now) - participant.joined_at, 0))

    def in_main_room(self, participant: Participant, now: float) -> bool:
        if not participant.joined_at <= now < participant.left_at:
            return False
        if participant.room is None:
            return True
        room = self.breakout_rooms[participant.room]
        return not room.opens_at <= now < room.closes_at

    # aggregates -------------------------------------------------------------------------------------
    def minutes_consumed(self, now: float) -> float:
        return round(sum(self.raw_minutes(p, now) for p in self.joined(now)), 2)

    def live_participants(self, now: float) -> int:
        return sum(1 for p in self.participants if self.in_main_room(p, now))

    def max_concurrent(self, now: float) -> int:
        return _peak([(p.joined_at, _until(p.left_at, now)) for p in self.joined(now)])

    def updated_at(self, now: float) -> int:
        moments = [p.joined_at for p in self.participants if p.joined_at <= now]
        moments += [p.left_at for p in self.participants if p.left_at <= now]
        return max(moments, default=self.created_at)

    # breakout rooms ---------------------------------------------------------------------------------
    def room_members(self, index: int) -> list[Participant]:
        return [p for p in self.participants if p.room == index]

    def room_minutes(self, index: int, now: float) -> float:
        return round(sum(minutes(self.breakout_seconds(p, now)) for p in self.room_members(index)), 2)

    def room_live(self, index: int, now: float) -> int:
        room = self.breakout_rooms[index]
        if not room.opens_at <= now < room.closes_at:
            return 0
        return sum(1 for p in self.room_members(index) if p.joined_at <= now < p.left_at)

    def room_max_concurrent(self, index: int, now: float) -> int:
        room = self.breakout_rooms[index]
        return _peak([(max(p.joined_at, room.opens_at), _until(min(p.left_at, room.closes_at), now))
                      for p in self.room_members(index) if max(p.joined_at, room.opens_at) <= now])
