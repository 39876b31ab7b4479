"""RealtimeKit session operations: parse, one backend call, shape the response as the SDK models it."""

from __future__ import annotations

from typing import Any

from simulator.core.auth import bearer_token
from simulator.core.clock import parse_instant
from simulator.core.dispatch import Call, Reply
from simulator.core.downloads import s3_missing, s3_rejection, s3_url
from simulator.core.errors import InvalidRequest, Unauthorized, Violation
from simulator.core.pagination import OffsetPage, offset_page
from simulator.core.signing import s3_ttl
from simulator.vendors.realtimekit import materials, reports
from simulator.vendors.realtimekit.models import (
    DEFAULT_PER_PAGE,
    App,
    ParticipantQuery,
    Principal,
    RealtimeKitBackend,
    Session,
    SessionQuery,
)
from simulator.vendors.realtimekit.views import participant_view, session_details, session_view, stamp

FILES_PREFIX = "/_sim/files/realtimekit"


def authenticate(call: Call[Any]) -> Principal:
    """An API token as ``Authorization: Bearer``, or ``X-Auth-Email`` with ``X-Auth-Key``."""
    backend: RealtimeKitBackend = call.backend
    token = bearer_token(call.headers.get("authorization"))
    if token:
        return backend.principal_for_token(token)
    email, key = call.headers.get("x-auth-email"), call.headers.get("x-auth-key")
    if email and key:
        return backend.principal_for_key(email, key)
    if email or key:
        raise Unauthorized("Authentication error: X-Auth-Email and X-Auth-Key must be sent together", "missing_key")
    raise Unauthorized("Authentication error: send 'Authorization: Bearer <API token>', or X-Auth-Email and "
                       "X-Auth-Key", "missing_credentials")


def _app(call: Call[Any]) -> tuple[RealtimeKitBackend, App]:
    backend: RealtimeKitBackend = call.backend
    return backend, backend.app_for(call.principal, call.params["account_id"], call.params["app_id"])


def _session(call: Call[Any]) -> tuple[RealtimeKitBackend, Session]:
    backend, app = _app(call)
    return backend, backend.session_of(app, call.params["session_id"])


def _instant(call: Call[Any], name: str) -> float | None:
    raw = call.params.get(name)
    if raw is None:
        return None
    try:
        return parse_instant(raw).timestamp()
    except (ValueError, OverflowError) as error:
        pointer = next(p.pointer for p in call.operation.parameters if p.name == name)
        raise InvalidRequest([Violation(f"query.{name}", pointer, f"is not a valid instant ({error})")]) from None


def _page(call: Call[Any], total: int) -> OffsetPage:
    return offset_page(total, call.params.get("page_no") or 1, call.params.get("per_page") or DEFAULT_PER_PAGE)


def get_sessions(call: Call[Any]) -> Reply:
    backend, app = _app(call)
    params = call.params
    query = SessionQuery(
        status=params.get("status"), start=_instant(call, "start_time"), end=_instant(call, "end_time"),
        search=params.get("search"), associated_id=params.get("associated_id"),
        participants=params.get("participants"), sort_by=params.get("sort_by", "createdAt"),
        descending=params.get("sort_order", "DESC") == "DESC",
    )
    found = backend.find_sessions(app, query)
    page = _page(call, len(found))
    now = call.now()
    return Reply({"success": True, "data": {"sessions": [session_view(s, now) for s in page.slice(found)]},
                  "paging": page.paging()})


def get_session_details(call: Call[Any]) -> Reply:
    _backend, session = _session(call)
    details = session_details(session, call.now(), bool(call.params.get("include_breakout_rooms")))
    return Reply({"success": True, "data": details})


def get_session_participants(call: Call[Any]) -> Reply:
    backend, session = _session(call)
    params = call.params
    query = ParticipantQuery(search=params.get("search"), sort_by=params.get("sort_by", "joinedAt"),
                             descending=params.get("sort_order", "ASC") == "DESC",
                             consolidated=params.get("view") == "consolidated")
    found = backend.find_participants(session, query)
    page = _page(call, len(found))
    now, with_events = call.now(), bool(params.get("include_peer_events"))
    views = [
        participant_view(session, p, now, consolidated=query.consolidated,
                         events=backend.ctx.source.child(f"events:{p.id}") if with_events else None)
        for p in page.slice(found)
    ]
    return Reply({"success": True, "data": {"participants": views, "paging": page.paging()}})


def get_session_participant_details(call: Call[Any]) -> Reply:
    backend, session = _session(call)
    participant = backend.participant_of(session, call.params["participant_id"])
    events = backend.ctx.source.child(f"events:{participant.id}") if call.params.get("include_peer_events") else None
    return Reply({"success": True,
                  "data": {"participant": participant_view(session, participant, call.now(), events=events)}})


def get_peer_report(call: Call[Any]) -> Reply:
    backend, app = _app(call)
    session, participant = backend.peer_of(app, call.params["peer_id"])
    now = call.now()
    events = backend.ctx.source.child(f"events:{participant.id}") if call.params.get("include_peer_events") else None
    view: dict[str, Any] = participant_view(session, participant, now, events=events)
    view["role"] = participant.preset_name
    view["session_id"] = session.id
    view["peer_report"] = reports.peer_report(backend.ctx.source.child(f"peer:{participant.id}"), participant, now,
                                              call.params.get("filters"))
    return Reply({"success": True, "data": {"participant": view}})


def _download_url(call: Call[Any], backend: RealtimeKitBackend, session: Session, filename: str) -> tuple[str, str]:
    """A signed URL to the simulator's copy of the file, and the instant it expires."""
    path = f"{FILES_PREFIX}/{session.id}/{filename}"
    signed_at, ttl = int(call.now()), s3_ttl(backend.download_ttl)  # S3 URLs live a week at most
    url = s3_url(call, backend.ctx.signer, path, signed_at, ttl)
    return url, stamp(signed_at + ttl)


def get_session_chat(call: Call[Any]) -> Reply:
    backend, session = _session(call)
    url, expiry = _download_url(call, backend, session, materials.CHAT_FILE[0])
    return Reply({"success": True, "data": {"chat_download_url": url, "chat_download_url_expiry": expiry}})


def get_session_transcripts(call: Call[Any]) -> Reply:
    backend, session = _session(call)
    backend.require_ended(session, "transcript")
    filename, _media = materials.TRANSCRIPT_FORMATS[call.params.get("format", "CSV")]
    url, expiry = _download_url(call, backend, session, filename)
    return Reply({"success": True, "data": {"sessionId": session.id, "transcript_download_url": url,
                                            "transcript_download_url_expiry": expiry}})


def get_session_summary(call: Call[Any]) -> Reply:
    backend, session = _session(call)
    backend.ready_summary(session)
    url, expiry = _download_url(call, backend, session, materials.SUMMARY_FILE[0])
    return Reply({"success": True, "data": {"sessionId": session.id, "summaryDownloadUrl": url,
                                            "summaryDownloadUrlExpiry": expiry}})


def generate_summary(call: Call[Any]) -> Reply:
    backend, session = _session(call)
    status = backend.request_summary(session)
    return Reply({"success": True, "data": {"session_id": session.id, "status": status}})


def _file(backend: RealtimeKitBackend, session: Session, filename: str, now: float) -> Any:
    """The content behind a download URL, or None when the session has no such file (now)."""
    source = backend.ctx.source
    if filename == materials.CHAT_FILE[0]:
        return materials.blob(materials.chat_csv(session, materials.chat_lines(session, source, now)),
                              materials.CHAT_FILE[1], filename)
    if session.status(now) != "ENDED":
        return None
    for kind, (name, media_type) in materials.TRANSCRIPT_FORMATS.items():
        if filename == name:
            lines = materials.transcript_lines(session, source)
            return materials.blob(materials.transcript_bytes(session, lines, kind), media_type, filename)
    ready = session.summary_ready_at
    if filename == materials.SUMMARY_FILE[0] and ready is not None and now >= ready:
        text = materials.summary_text(session, materials.transcript_lines(session, source), source)
        return materials.blob(text, materials.SUMMARY_FILE[1], filename)
    return None


def download_file(call: Call[Any]) -> Reply:
    """A chat, transcript or summary behind its signed URL: S3's 403 XML once expired or altered."""
    backend: RealtimeKitBackend = call.backend
    session_id, filename = call.params["session_id"], call.params["filename"]
    path = f"{FILES_PREFIX}/{session_id}/{filename}"
    rejected = s3_rejection(call, backend.ctx.signer, path)
    if rejected is not None:
        return rejected
    session = backend.sessions.get(session_id)
    content = _file(backend, session, filename, call.now()) if session is not None else None
    return s3_missing(path) if content is None else Reply(content)


HANDLERS = {
    "getSessions": get_sessions,
    "getSessionDetails": get_session_details,
    "getSessionParticipants": get_session_participants,
    "getSessionParticipantDetails": get_session_participant_details,
    "getSessionChat": get_session_chat,
    "getSessionTranscripts": get_session_transcripts,
    "getSessionSummary": get_session_summary,
    "generateSummaryOfTranscripts": generate_summary,
    "getParticipantDataFromPeerId": get_peer_report,
}

ADMIN_HANDLERS = {"downloadRealtimeKitFile": download_file}

