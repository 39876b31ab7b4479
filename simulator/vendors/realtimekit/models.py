"""RealtimeKit's rules: accounts, apps and who sees them, finding sessions and participants, summaries.

The records themselves (sessions with their participants and breakout rooms, and the arithmetic over
them on the clock) are in :mod:`simulator.vendors.realtimekit.sessions`. A summary is ready
``summary_delay_seconds`` after it was requested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.core.blobs import Blob
from simulator.core.errors import Conflict, Forbidden, NotFound, Unauthorized
from simulator.core.store import VendorContext
from simulator.vendors.realtimekit import materials
from simulator.vendors.realtimekit.sessions import Participant, Session

DEFAULT_PER_PAGE = 20
_RANGE = re.compile(r"^(\d+)(-(\d*))?$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API token or an email + global key, and the accounts it sees."""

    name: str
    account_ids: frozenset[str]


@dataclass(frozen=True)
class AppRef:
    """Who asks about which app, as a request path names it."""

    principal: Principal
    account_id: str
    app_id: str


@dataclass(frozen=True)
class App:
    app_id: str
    account_id: str
    name: str
    seed_meetings: int
    live_meetings: int


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
        self.source = ctx.source  # per-entity streams: peer events, reports, files
        self.signer = ctx.signer
        self.tokens = {t["api_token"]: frozenset(t.get("account_ids", [])) for t in fixtures.get("api_tokens", [])}
        self.keys = {(k["email"].lower(), k["api_key"]): frozenset(k.get("account_ids", []))
                     for k in fixtures.get("api_keys", [])}
        # The records: everything else here is derived from them and the fixtures.
        self.sessions: dict[str, Session] = {}
        self.by_app: dict[str, list[Session]] = {}  # derived: each app's sessions by (created_at, id)
        self.peers: dict[str, tuple[Session, Participant]] = {}  # derived: peer id -> where it is

    # identity ---------------------------------------------------------------------------------------
    def principal(self, token: str | None, email: str | None, key: str | None) -> Principal:
        """An API token (``Authorization: Bearer``), or ``X-Auth-Email`` with ``X-Auth-Key``."""
        if token:
            return self.principal_for_token(token)
        if email and key:
            return self.principal_for_key(email, key)
        if email or key:
            raise Unauthorized("Authentication error: X-Auth-Email and X-Auth-Key must be sent together",
                               "missing_key")
        raise Unauthorized("Authentication error: send 'Authorization: Bearer <API token>', or X-Auth-Email and "
                           "X-Auth-Key", "missing_credentials")

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
    def store(self, sessions: list[Session]) -> None:
        """Store hand-made sessions, all or none: 409 on a session or participant id already taken."""
        session_ids: set[str] = set()
        peer_ids: set[str] = set()
        for session in sessions:
            if session.id in self.sessions or session.id in session_ids:
                raise Conflict(f"Session {session.id} already exists", "duplicate_session_id")
            session_ids.add(session.id)
            for participant in session.participants:
                if participant.id in self.peers or participant.id in peer_ids:
                    raise Conflict(f"Participant {participant.id} already exists", "duplicate_participant_id")
                peer_ids.add(participant.id)
        for session in sessions:
            self.add(session)
        self.order()

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


    # what each operation asks ------------------------------------------------------------------------
    def app_sessions(self, ref: AppRef, query: SessionQuery) -> list[Session]:
        return self.find_sessions(self.app_for(ref.principal, ref.account_id, ref.app_id), query)

    def session(self, ref: AppRef, session_id: str) -> Session:
        return self.session_of(self.app_for(ref.principal, ref.account_id, ref.app_id), session_id)

    def session_participants(self, ref: AppRef, session_id: str,
                             query: ParticipantQuery) -> tuple[Session, list[Participant]]:
        session = self.session(ref, session_id)
        return session, self.find_participants(session, query)

    def session_participant(self, ref: AppRef, session_id: str, participant_id: str) -> tuple[Session, Participant]:
        session = self.session(ref, session_id)
        return session, self.participant_of(session, participant_id)

    def peer(self, ref: AppRef, peer_id: str) -> tuple[Session, Participant]:
        return self.peer_of(self.app_for(ref.principal, ref.account_id, ref.app_id), peer_id)

    def transcript_session(self, ref: AppRef, session_id: str) -> Session:
        session = self.session(ref, session_id)
        self.require_ended(session, "transcript")
        return session

    def summary_session(self, ref: AppRef, session_id: str) -> Session:
        session = self.session(ref, session_id)
        self.ready_summary(session)
        return session

    def file(self, session_id: str, filename: str) -> Blob | None:
        """What a download URL serves now (its signature already checked), or None."""
        session = self.sessions.get(session_id)
        return None if session is None else materials.served_file(session, filename, self.ctx.now(), self.source)

    def generate_summary(self, ref: AppRef, session_id: str) -> tuple[Session, str]:
        session = self.session(ref, session_id)
        return session, self.request_summary(session)
