"""Prevail's entities and rules: organisations, session requests, sessions and their materials.

A request moves ``initial`` -> ``scheduled`` when scheduled (by the admin trigger, or automatically
after the configured delay on the namespace clock); self-service organisations get a ``ready``
session at once. A session's own ``state`` and ``transcript_status`` are functions of its times and
the clock: ``ready`` before it starts, ``active`` while it runs, ``completed`` after; recordings exist
once it has ended, the transcript once the transcript delay has passed too.

Records are plain data held in tables keyed by id and refer to each other by id. A stored record is
never changed in place: a write stores a changed copy (``dataclasses.replace``), so the seeded records
can be shared, read-only, by every namespace with the same seed (see :mod:`baseline`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from simulator.core.blobs import Blob
from simulator.core.errors import Conflict, InvalidRequest, NotFound, Violation
from simulator.core.pagination import PagyPage, pagy
from simulator.core.rand import SeededSource
from simulator.core.render import Revisioned
from simulator.core.store import VendorContext
from simulator.vendors.prevail import languages, materials, postback, timezones, transcripts

SESSION_URL = "https://prevail.ai/remote_sessions/{id}/join"
BODY_RULE = "#/components/schemas/RemoteSessionInput/properties"
DEPONENT_FIELDS = ("name", "email", "role")  # only the fields the page documents are stored (Rails' strong parameters)
DETAIL_FIELDS = ("interpreter", "additional_details", "preferred_manager")
AUTO_SCHEDULE = "auto_schedule"  # timed effect: a request not self-served is scheduled after a delay


@dataclass(frozen=True)
class Organisation:
    slug: str
    name: str
    api_key: str
    self_service: bool


@dataclass
class Recording:
    filename: str
    user: str
    size: int
    created_at: float


@dataclass
class Session:
    remote_session_id: str
    organisation: str
    request_id: int
    title: str
    case: str
    start_date: str
    start_time: str
    time_zone: str
    starts_at: float
    estimated_duration: float  # hours
    invite_emails: list[str]
    session_url: str
    recordings: list[Recording] = field(default_factory=list)

    @property
    def ends_at(self) -> float:
        return self.starts_at + self.estimated_duration * 3600

    def state(self, now: float) -> str:
        if now < self.starts_at:
            return "ready"
        return "active" if now < self.ends_at else "completed"

    def transcript_ready_at(self, delay: float) -> float:
        return self.ends_at + delay

    def __deepcopy__(self, _memo: dict[int, Any]) -> Session:
        return self  # never changed in place once stored, like SessionRequest


@dataclass
class SessionRequest(Revisioned):  # for its memoised view; a change is a new record, so it stays at revision 0
    id: int
    organisation: str
    state: str  # initial | scheduled | ready | canceled
    session_request: dict[str, Any]
    remote_session: dict[str, Any]
    session_details: dict[str, Any]
    postback_url: str | None
    starts_at: float
    created_at: float
    remote_session_id: str | None = None
    session_url: str | None = None
    cancelation_requested: bool | None = None

    def __deepcopy__(self, _memo: dict[int, Any]) -> SessionRequest:
        # Stored requests are never changed in place (a write stores a changed copy), so a copy of the
        # namespace (Namespace.snapshot) can hold the same one, with its rendered view.
        return self


@dataclass(frozen=True)
class Window:
    """The pages' epoch filters: records starting at or after ``start_after`` and ending at or before
    ``end_before``. Session requests and sessions share this one rule and the same end instant (see
    :meth:`PrevailBackend.span_of`), so a scheduled record is in both answers or in neither."""

    start_after: int | None = None
    end_before: int | None = None

    @property
    def unbounded(self) -> bool:
        return self.start_after is None and self.end_before is None

    def admits(self, starts_at: float, ends_at: float) -> bool:
        return ((self.start_after is None or starts_at >= self.start_after)
                and (self.end_before is None or ends_at <= self.end_before))


@dataclass(frozen=True)
class Options:
    schedule_delay: float
    estimated_duration: float
    transcript_delay: float
    pagy_overflow: str


class PrevailBackend:
    """All Prevail state of one namespace."""

    def __init__(self, ctx: VendorContext):
        """An empty backend: the fixtures' organisations and options, no records (seeding is
        :func:`simulator.vendors.prevail.seed.seeded`'s, loading :mod:`records`')."""
        self.ctx = ctx
        fixtures = ctx.fixtures
        self.organisations = {
            org["slug"]: Organisation(org["slug"], org.get("name", org["slug"]), org["api_key"],
                                      bool(org.get("self_service", False)))
            for org in fixtures.get("organisations", [])
        }
        self.options = Options(
            schedule_delay=float(fixtures.get("schedule_delay_seconds", 3600)),
            estimated_duration=float(fixtures.get("estimated_duration_hours", 4.0)),
            transcript_delay=float(fixtures.get("transcript_delay_seconds", 3600)),
            pagy_overflow=str(ctx.options.get("pagy_overflow", "empty_page")),
        )
        self.requests: dict[int, SessionRequest] = {}
        self.by_organisation: dict[str, list[int]] = {}  # derived: request ids per organisation, ascending
        self.sessions: dict[str, Session] = {}
        self.next_id = 1001

    def hold(self, requests: Mapping[int, SessionRequest], sessions: Mapping[str, Session], next_id: int) -> None:
        """Hold these records (possibly shared with other namespaces: they are never changed in place)
        and rebuild what derives from them."""
        self.requests = dict(requests)
        self.sessions = dict(sessions)
        self.next_id = next_id
        self.by_organisation = {}
        for request_id in sorted(self.requests):
            self.by_organisation.setdefault(self.requests[request_id].organisation, []).append(request_id)

    # identity -------------------------------------------------------------------------------------
    def key_for(self, slug: Any) -> str | None:
        org = self.organisations.get(slug) if isinstance(slug, str) else None
        return org.api_key if org else None

    def organisation(self, slug: str) -> Organisation:
        return self.organisations[slug]

    def allocate_id(self) -> int:
        request_id = self.next_id
        self.next_id += 1
        return request_id

    def new_remote_session_id(self) -> str:
        return self.ctx.source.child(f"remote-session:{self.next_id}:{len(self.sessions)}").uuid()

    # reads ----------------------------------------------------------------------------------------
    def span_of(self, request: SessionRequest) -> tuple[float, float]:
        """When a request's session starts and ends: its session's own times once it has one, else the
        default estimated duration from its requested start (what its session will get when scheduled)."""
        session = self.sessions.get(request.remote_session_id) if request.remote_session_id else None
        if session is not None:
            return session.starts_at, session.ends_at
        return request.starts_at, request.starts_at + self.options.estimated_duration * 3600

    def requests_of(self, org: str, window: Window) -> list[SessionRequest]:
        """Newest first. Ids only grow, so the per-organisation list is already in id order."""
        requests = self.requests
        newest_first = [requests[request_id] for request_id in reversed(self.by_organisation.get(org, []))]
        if window.unbounded:
            return newest_first
        return [request for request in newest_first if window.admits(*self.span_of(request))]

    def add_request(self, request: SessionRequest) -> None:
        """Store a new request; ids only grow, except hand-made ones, which keep the list in id order."""
        self.requests[request.id] = request
        ids = self.by_organisation.setdefault(request.organisation, [])
        if ids and ids[-1] > request.id:
            bisect.insort(ids, request.id)
        else:
            ids.append(request.id)

    def add_session(self, session: Session, source: SeededSource | None = None) -> None:
        """Store a new session with its recordings, made once, when it opens, from ``source`` (by default
        the namespace's stream for this session)."""
        source = source or self.ctx.source.child(f"recordings:{session.remote_session_id}")
        session.recordings = recordings_for(source, session, self.cast(session))
        self.sessions[session.remote_session_id] = session

    def request_page(self, org: str, window: Window, page: Any, items: Any) -> tuple[PagyPage, list[SessionRequest]]:
        if window.unbounded:  # the usual call: slice the id list, newest first, without listing the rest
            ids = self.by_organisation.get(org, [])
            paged = pagy(len(ids), page, items, overflow=self.options.pagy_overflow)
            end = len(ids) - paged.offset
            chosen = ids[max(end - paged.items, 0):max(end, 0)]
            requests = self.requests
            return paged, [requests[request_id] for request_id in reversed(chosen)]
        found = self.requests_of(org, window)
        paged = pagy(len(found), page, items, overflow=self.options.pagy_overflow)
        return paged, paged.slice(found)

    def session_page(self, org: str, window: Window, page: Any, items: Any) -> tuple[PagyPage, list[Session]]:
        found = self.sessions_of(org, window)
        paged = pagy(len(found), page, items, overflow=self.options.pagy_overflow)
        return paged, paged.slice(found)

    def sessions_of(self, org: str, window: Window) -> list[Session]:
        found = [
            session for session in self.sessions.values()
            if session.organisation == org and window.admits(session.starts_at, session.ends_at)
        ]
        return sorted(found, key=lambda s: (s.starts_at, s.request_id), reverse=True)

    def session_of(self, org: str, remote_session_id: str) -> Session:
        session = self.sessions.get(remote_session_id)
        if session is None or session.organisation != org:
            raise NotFound(f"Session {remote_session_id!r} not found")
        return session

    def recordings(self, session: Session) -> list[Recording]:
        return session.recordings if self.ctx.now() >= session.ends_at else []

    def recordings_of(self, org: str, remote_session_id: str) -> tuple[Session, list[Recording]]:
        session = self.session_of(org, remote_session_id)
        return session, self.recordings(session)

    def recording_file(self, object_id: str, filename: str) -> Blob | None:
        """The bytes of recording ``{remote session id}-{index}`` named ``filename``, once it exists."""
        remote_id, _, index = object_id.rpartition("-")
        session = self.sessions.get(remote_id)
        recordings = self.recordings(session) if session else []
        if not index.isdigit() or int(index) >= len(recordings) or recordings[int(index)].filename != filename:
            return None
        return materials.recording_blob(f"{self.ctx.source.seed}:{object_id}", recordings[int(index)].size, filename)

    def finished_transcript(self, org: str, remote_session_id: str) -> str:
        session = self.session_of(org, remote_session_id)
        if self.transcript_status(session) != "completed":
            raise NotFound(f"The transcript of session {remote_session_id!r} is not available yet "
                           f"(transcript_status in_progress)", "transcript_not_ready")
        return self.transcript(session)

    def cast(self, session: Session) -> transcripts.Cast:
        """Who speaks in the session: its request's deponent and invited counsel, and a court reporter."""
        request = self.requests.get(session.request_id)
        deponent = request.session_request.get("deponent") if request else None
        source = self.ctx.source.child(f"cast:{session.remote_session_id}")
        return transcripts.cast_of(source, deponent, session.invite_emails)

    def transcript(self, session: Session) -> str:
        """The session's transcript, spoken by its cast and as long as the session."""
        return transcripts.transcript(self.ctx.source.child(f"transcript:{session.remote_session_id}"),
                                      self.cast(session), session.title, session.starts_at,
                                      session.estimated_duration * 60, session.time_zone)

    def transcript_status(self, session: Session) -> str:
        ready = self.ctx.now() >= session.transcript_ready_at(self.options.transcript_delay)
        return "completed" if ready else "in_progress"

    # writes ---------------------------------------------------------------------------------------
    def create(self, org: Organisation, body: dict[str, Any], now: float) -> tuple[SessionRequest, str | None]:
        """Store the request a valid create body describes, with the page's defaults; and a warning for
        the caller's journal when its interpreter is not one the page lists."""
        remote = body["remote_session"]
        zone = timezones.resolve(remote["time_zone"])
        if zone is None:
            raise InvalidRequest([Violation("body.session_request.remote_session.time_zone",
                                            f"{BODY_RULE}/time_zone",
                                            f"unknown time zone {remote['time_zone']!r}: not a Rails zone name, "
                                            f"GMT-offset form, US abbreviation or IANA zone name")])
        details_in = body.get("session_details") or {}
        details: dict[str, Any] = {"language": languages.language_code(details_in.get("languages"))}
        details.update({key: details_in[key] for key in DETAIL_FIELDS if details_in.get(key)})
        details["video_provider"] = details_in.get("video_provider", "chime")
        details["session_type"] = details_in.get("session_type", "remote_deposition")
        deponent = body.get("deponent")
        request = SessionRequest(
            id=self.allocate_id(),
            organisation=org.slug,
            state="initial",
            session_request={
                "session_type": details["session_type"],
                "deponent": None if deponent is None else {k: deponent[k] for k in DEPONENT_FIELDS if k in deponent},
                "invite_emails": list(body.get("invite_emails") or []),
                "participants": None,
            },
            remote_session={
                "title": remote["title"], "case": remote["case"], "file_number": None,
                "start_date": remote["start_date"], "start_time": remote["start_time"],
                "time_zone": remote["time_zone"],
            },
            session_details=details,
            postback_url=body["postback_url"],
            starts_at=timezones.local_start(remote["start_date"], remote["start_time"], zone),
            created_at=now,
        )
        return self.submit(org.slug, request), languages.unlisted_interpreter(details_in.get("interpreter"))

    def submit(self, org_slug: str, request: SessionRequest) -> SessionRequest:
        """Store a validated request; self-service organisations are scheduled at once."""
        self.add_request(request)
        if self.organisations[org_slug].self_service:
            return self.schedule(request.id)  # the stored request is now a scheduled copy
        else:
            self.ctx.later(self.ctx.now() + self.options.schedule_delay, AUTO_SCHEDULE, {"request_id": request.id},
                           f"prevail auto-schedule request {request.id}")
        return request

    def auto_schedule(self, request_id: int) -> None:
        """The timed effect :data:`AUTO_SCHEDULE`: schedule the request unless it moved on meanwhile."""
        request = self.requests.get(request_id)
        if request is not None and request.state == "initial":
            self.schedule(request_id)

    def schedule(self, request_id: int) -> SessionRequest:
        request = self.requests.get(request_id)
        if request is None:
            raise NotFound(f"Session request {request_id} not found")
        if request.state != "initial":
            raise Conflict(f"Session request {request_id} is {request.state}, only initial requests can be scheduled",
                           "not_schedulable")
        org = self.organisations[request.organisation]
        session = self._open_session(request, org)
        request = self.requests[request_id]
        self._notify(request, session, org)
        return request

    def _open_session(self, request: SessionRequest, org: Organisation) -> Session:
        remote_id = self.new_remote_session_id()
        # A changed copy replaces the stored request: the stored one may be shared with other namespaces.
        request = replace(request, state="ready" if org.self_service else "scheduled", remote_session_id=remote_id,
                          session_url=SESSION_URL.format(id=remote_id))
        self.requests[request.id] = request
        remote = request.remote_session
        session = Session(
            remote_session_id=remote_id, organisation=org.slug, request_id=request.id, title=remote["title"],
            case=remote["case"], start_date=remote["start_date"], start_time=remote["start_time"],
            time_zone=remote["time_zone"], starts_at=request.starts_at,
            estimated_duration=self.options.estimated_duration,
            invite_emails=list(request.session_request.get("invite_emails") or []),
            session_url=SESSION_URL.format(id=remote_id),
        )
        self.add_session(session)
        return session

    def _notify(self, request: SessionRequest, session: Session, org: Organisation) -> None:
        if not request.postback_url:
            return
        # Signed when each attempt is sent (postback.build), with iat/exp from the clock receivers judge by
        # (the wall, unless the namespace judges tokens by its own clock): a receiver that verifies them
        # accepts the postback, and its retries, after any clock advance.
        self.ctx.webhooks.post(request.postback_url, postback.claims([self.webhook_session(session)], org.api_key),
                               vendor="prevail", event=f"{postback.EVENT}:{request.id}")

    def webhook_session(self, session: Session) -> dict[str, Any]:
        """The session as 001's decoded webhook payload shows it."""
        return {
            "remote_session_id": session.remote_session_id,
            "title": session.title,
            "start_date": session.start_date,
            "start_time": session.start_time,
            "time_zone": session.time_zone,
            "state": session.state(self.ctx.now()),
            "estimated_duration": session.estimated_duration,
            "transcript_status": self.transcript_status(session),
            "invite_emails": session.invite_emails,
        }


def recordings_for(source: SeededSource, session: Session, cast: transcripts.Cast) -> list[Recording]:
    """What a session records when it opens: the combined audio, sometimes with tracks of the witness and
    counsel (by first name), made a little after it ends."""
    made = session.ends_at + source.integer(60, 900)
    recordings = [Recording("complete-session-audio.mp4", "Recording", source.integer(150_000, 2_500_000), made)]
    speakers = [name.split()[0] for name in (cast.witness, *cast.counsel) if name != "THE WITNESS"]
    for index in range(min(source.choice((0, 0, 1, 2)), len(speakers))):
        speaker = re.sub(r"[^a-z0-9]+", "-", speakers[index].lower()).strip("-") or "speaker"
        recordings.append(Recording(f"{speaker}-track-{index + 1}.mp4", speakers[index].capitalize(),
                                    source.integer(80_000, 1_200_000), made + index + 1))
    return recordings
