"""RealtimeKit's entities and rules: accounts, apps, meetings' sessions, participants, summaries.

Everything that moves is a function of the namespace clock. A participant exists once it has joined;
a session is LIVE until its last participant leaves, then ENDED; minutes, live and concurrent counts
are computed from the participants' times up to ``now``. Breakout rooms take participants out of the
main room for a window of the session: their ``raw`` minutes exclude that time, ``consolidated`` ones
include it. A summary is ready ``summary_delay_seconds`` after it was requested.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from simulator.core.errors import Forbidden, NotFound, Unauthorized
from simulator.core.render import Revisioned
from simulator.core.store import VendorContext

DEFAULT_PER_PAGE = 20
SESSION_TYPES = ("meeting", "livestream", "participant")
# The presets and view type participants of each session type get: (host, guest, view type).
PRESETS = {
    "meeting": ("group_call_host", "group_call_participant", "GROUP_CALL"),
    "livestream": ("livestream_host", "livestream_viewer", "LIVESTREAM"),
    "participant": ("webinar_presenter", "webinar_viewer", "WEBINAR"),
}
_RANGE = re.compile(r"^(\d+)(-(\d*))?$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API token or an email + global key, and the accounts it sees."""

    name: str
    account_ids: frozenset[str]


@dataclass(frozen=True)
class App:
    app_id: str
    account_id: str
    name: str
    seed_meetings: int
    live_meetings: int


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


@dataclass(frozen=True)
class SessionQuery:
    status: str | None = None
    start: float | None = None
    end: float | None = None
    search: str | None = None
    associated_id: str | None = None
    participants: str | None = None
    sort_by: str = "createdAt"
    descending: bool = True


@dataclass(frozen=True)
class ParticipantQuery:
    search: str | None = None
    sort_by: str = "joinedAt"
    descending: bool = False
    consolidated: bool = False


def participant_count_range(text: str) -> tuple[int, int | None]:
    """``N`` -> (N, N); ``MIN-MAX`` -> (MIN, MAX); ``MIN-`` -> (MIN, None). The spec's pattern holds."""
    found = _RANGE.match(text)
    assert found is not None
    low = int(found.group(1))
    if found.group(2) is None:
        return low, low
    return low, int(found.group(3)) if found.group(3) else None


class RealtimeKitBackend:
    """All RealtimeKit state of one namespace."""

    def __init__(self, ctx: VendorContext):
        self.ctx = ctx
        fixtures = ctx.fixtures
        self.summary_delay = float(fixtures.get("summary_delay_seconds", 90))
        self.download_ttl = int(fixtures.get("download_ttl_seconds", 3600))
        self.apps: dict[str, App] = {}
        for account in fixtures.get("accounts", []):
            for app in account.get("apps", []):
                self.apps[app["app_id"]] = App(app["app_id"], account["account_id"], app.get("name", app["app_id"]),
                                               int(app.get("seed_meetings", 0)), int(app.get("live_meetings", 0)))
        self.tokens = {t["api_token"]: frozenset(t.get("account_ids", [])) for t in fixtures.get("api_tokens", [])}
        self.keys = {(k["email"].lower(), k["api_key"]): frozenset(k.get("account_ids", []))
                     for k in fixtures.get("api_keys", [])}
        # The records: everything else here is derived from them and the fixtures.
        self.sessions: dict[str, Session] = {}
        self.by_app: dict[str, list[Session]] = {}  # derived: each app's sessions by (created_at, id)
        self.peers: dict[str, tuple[Session, Participant]] = {}  # derived: peer id -> where it is

    # identity ---------------------------------------------------------------------------------------
    def principal_for_token(self, token: str) -> Principal:
        accounts = self.tokens.get(token)
        if accounts is None:
            raise Unauthorized("Authentication error: the API token is not valid", "invalid_token")
        return Principal(f"token:{token[:12]}", accounts)

    def principal_for_key(self, email: str, key: str) -> Principal:
        accounts = self.keys.get((email.strip().lower(), key.strip()))
        if accounts is None:
            raise Unauthorized("Authentication error: unknown X-Auth-Email / X-Auth-Key pair", "invalid_key")
        return Principal(f"key:{email}", accounts)

    # records ----------------------------------------------------------------------------------------
    def add(self, session: Session) -> None:
        """Store ``session``; call :meth:`order` once a batch is added."""
        self.sessions[session.id] = session
        self.by_app.setdefault(session.app_id, []).append(session)
        for participant in session.participants:
            self.peers[participant.id] = (session, participant)

    def order(self) -> None:
        """Keep each app's sessions in creation order, as listings page through them."""
        for sessions in self.by_app.values():
            sessions.sort(key=lambda s: (s.created_at, s.id))

    def app_for(self, principal: Principal, account_id: str, app_id: str) -> App:
        if account_id not in principal.account_ids:
            raise Forbidden(f"Authentication error: these credentials do not grant access to account {account_id}",
                            "account_forbidden")
        app = self.apps.get(app_id)
        if app is None or app.account_id != account_id:
            raise NotFound(f"App {app_id} not found in account {account_id}", "app_not_found")
        return app

    def session_of(self, app: App, session_id: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None or session.app_id != app.app_id or session.created_at > self.ctx.now():
            raise NotFound(f"Session {session_id} not found", "session_not_found")
        return session

    def participant_of(self, session: Session, participant_id: str) -> Participant:
        for participant in session.joined(self.ctx.now()):
            if participant.id == participant_id:
                return participant
        raise NotFound(f"Participant {participant_id} not found in session {session.id}", "participant_not_found")

    def peer_of(self, app: App, peer_id: str) -> tuple[Session, Participant]:
        found = self.peers.get(peer_id)
        if found is None or found[0].app_id != app.app_id or found[1].joined_at > self.ctx.now():
            raise NotFound(f"Peer {peer_id} not found", "peer_not_found")
        return found

    # reads ------------------------------------------------------------------------------------------
    def find_sessions(self, app: App, query: SessionQuery) -> list[Session]:
        now = self.ctx.now()
        needle = query.search.strip().lower() if query.search else None
        count_range = participant_count_range(query.participants) if query.participants else None
        found: list[Session] = []
        for session in self.by_app.get(app.app_id, []):
            if session.created_at > now:
                continue
            if query.status and session.status(now) != query.status:
                continue
            if query.start is not None and session.started_at < query.start:
                continue
            if query.end is not None and session.started_at > query.end:
                continue
            if query.associated_id is not None and session.meeting_id != query.associated_id:
                continue
            if needle and not (needle in session.meeting_title.lower() or needle in (session.id, session.meeting_id)):
                continue
            if count_range is not None:
                count = len(session.joined(now))
                low, high = count_range
                if count < low or (high is not None and count > high):
                    continue
            found.append(session)

        def key(session: Session) -> tuple[float, int, str]:
            primary = session.minutes_consumed(now) if query.sort_by == "minutesConsumed" else session.created_at
            return primary, session.created_at, session.id

        return sorted(found, key=key, reverse=query.descending)

    def find_participants(self, session: Session, query: ParticipantQuery) -> list[Participant]:
        now = self.ctx.now()
        needle = query.search.strip().lower() if query.search else None
        found = [
            p for p in session.joined(now)
            if not needle or needle in p.display_name.lower() or needle in (p.id, p.custom_participant_id.lower())
        ]

        def key(participant: Participant) -> tuple[float, int, str]:
            if query.sort_by == "duration":
                measure = (session.consolidated_minutes if query.consolidated else session.raw_minutes)
                return measure(participant, now), participant.joined_at, participant.id
            return participant.joined_at, participant.joined_at, participant.id

        return sorted(found, key=key, reverse=query.descending)

    # transcripts and summaries ------------------------------------------------------------------------
    def require_ended(self, session: Session, what: str) -> None:
        if session.status(self.ctx.now()) != "ENDED":
            raise NotFound(f"No {what} for session {session.id}: it is still LIVE; {what}s exist once it has ENDED",
                           f"{what}_not_available")

    def request_summary(self, session: Session) -> str:
        """Start generation unless it was already asked for; the summary's status afterwards."""
        self.require_ended(session, "transcript")
        now = self.ctx.now()
        if session.summary_ready_at is None:
            session.summary_ready_at = now + self.summary_delay
        return "COMPLETED" if now >= session.summary_ready_at else "IN_PROGRESS"

    def ready_summary(self, session: Session) -> None:
        self.require_ended(session, "summary")
        ready = session.summary_ready_at
        if ready is None:
            raise NotFound(f"No summary has been generated for session {session.id}; POST .../summary starts it",
                           "summary_not_found")
        if self.ctx.now() < ready:
            raise NotFound(f"The summary of session {session.id} is still being generated", "summary_in_progress")

