"""RealtimeKit session operations: parse, one backend call, shape the response as the SDK models it."""

from __future__ import annotations

from typing import Any

from simulator.core.auth import bearer_token
from simulator.core.clock import parse_instant
from simulator.core.dispatch import Call, Reply
from simulator.core.downloads import s3_missing, s3_rejection, s3_url
from simulator.core.errors import InvalidRequest, Violation
from simulator.core.pagination import OffsetPage, offset_page
from simulator.core.rand import SeededSource
from simulator.core.signing import s3_ttl
from simulator.vendors.realtimekit import materials, reports
from simulator.vendors.realtimekit.models import (
    DEFAULT_PER_PAGE,
    AppRef,
    ParticipantQuery,
    Principal,
    RealtimeKitBackend,
    SessionQuery,
)
from simulator.vendors.realtimekit.sessions import Session
from simulator.vendors.realtimekit.views import participant_view, session_details, session_view, stamp

FILES_PREFIX = "/_sim/files/realtimekit"
RealtimeKitCall = Call[RealtimeKitBackend]


def authenticate(call: RealtimeKitCall) -> Principal:
    """An API token as ``Authorization: Bearer``, or ``X-Auth-Email`` with ``X-Auth-Key``."""
    headers = call.headers
    return call.backend.principal(bearer_token(headers.get("authorization")), headers.get("x-auth-email"),
                                  headers.get("x-auth-key"))


def _ref(call: RealtimeKitCall) -> AppRef:
    return AppRef(call.principal, call.params["account_id"], call.params["app_id"])


def _instant(call: RealtimeKitCall, name: str) -> float | None:
    raw = call.params.get(name)
    if raw is None:
        return None
    try:
        return parse_instant(raw).timestamp()
    except (ValueError, OverflowError) as error:
        pointer = next(p.pointer for p in call.operation.parameters if p.name == name)
        raise InvalidRequest([Violation(f"query.{name}", pointer, f"is not a valid instant ({error})")]) from None


def _page(call: RealtimeKitCall, total: int) -> OffsetPage:
    return offset_page(total, call.params.get("page_no") or 1, call.params.get("per_page") or DEFAULT_PER_PAGE)


def get_sessions(call: RealtimeKitCall) -> Reply:
    params = call.params
    query = SessionQuery(
        status=params.get("status"), start=_instant(call, "start_time"), end=_instant(call, "end_time"),
        search=params.get("search"), associated_id=params.get("associated_id"),
        participants=params.get("participants"), sort_by=params.get("sort_by", "createdAt"),
        descending=params.get("sort_order", "DESC") == "DESC",
    )
    found = call.backend.app_sessions(_ref(call), query)
    page = _page(call, len(found))
    now = call.now()
    return Reply({"success": True, "data": {"sessions": [session_view(s, now) for s in page.slice(found)]},
                  "paging": page.paging()})


def get_session_details(call: RealtimeKitCall) -> Reply:
    session = call.backend.session(_ref(call), call.params["session_id"])
    details = session_details(session, call.now(), bool(call.params.get("include_breakout_rooms")))
    return Reply({"success": True, "data": details})


def get_session_participants(call: RealtimeKitCall) -> Reply:
    params = call.params
    query = ParticipantQuery(search=params.get("search"), sort_by=params.get("sort_by", "joinedAt"),
                             descending=params.get("sort_order", "ASC") == "DESC",
                             consolidated=params.get("view") == "consolidated")
    session, found = call.backend.session_participants(_ref(call), params["session_id"], query)
    page = _page(call, len(found))
    now, events = call.now(), _events(call)
    views = [participant_view(session, p, now, consolidated=query.consolidated, events=events)
             for p in page.slice(found)]
    return Reply({"success": True, "data": {"participants": views, "paging": page.paging()}})


def get_session_participant_details(call: RealtimeKitCall) -> Reply:
    params = call.params
    session, participant = call.backend.session_participant(_ref(call), params["session_id"],
                                                            params["participant_id"])
    view = participant_view(session, participant, call.now(), events=_events(call))
    return Reply({"success": True, "data": {"participant": view}})


def get_peer_report(call: RealtimeKitCall) -> Reply:
    session, participant = call.backend.peer(_ref(call), call.params["peer_id"])
    now = call.now()
    view: dict[str, Any] = participant_view(session, participant, now, events=_events(call))
    view["role"] = participant.preset_name
    view["session_id"] = session.id
    view["peer_report"] = reports.peer_report(call.backend.source, participant, now, call.params.get("filters"))
    return Reply({"success": True, "data": {"participant": view}})


def _events(call: RealtimeKitCall) -> SeededSource | None:
    """The stream peer events are drawn from, when the request asks for them."""
    return call.backend.source if call.params.get("include_peer_events") else None


def _download_url(call: RealtimeKitCall, session: Session, filename: str) -> tuple[str, str]:
    """A signed URL to the simulator's copy of the file, and the instant it expires."""
    path = f"{FILES_PREFIX}/{session.id}/{filename}"
    signed_at, ttl = int(call.now()), s3_ttl(call.backend.download_ttl)  # S3 URLs live a week at most
    url = s3_url(call, call.backend.signer, path, signed_at, ttl)
    return url, stamp(signed_at + ttl)


def get_session_chat(call: RealtimeKitCall) -> Reply:
    session = call.backend.session(_ref(call), call.params["session_id"])
    url, expiry = _download_url(call, session, materials.CHAT_FILE[0])
    return Reply({"success": True, "data": {"chat_download_url": url, "chat_download_url_expiry": expiry}})


def get_session_transcripts(call: RealtimeKitCall) -> Reply:
    session = call.backend.transcript_session(_ref(call), call.params["session_id"])
    filename, _media = materials.TRANSCRIPT_FORMATS[call.params.get("format", "CSV")]
    url, expiry = _download_url(call, session, filename)
    return Reply({"success": True, "data": {"sessionId": session.id, "transcript_download_url": url,
                                            "transcript_download_url_expiry": expiry}})


def get_session_summary(call: RealtimeKitCall) -> Reply:
    session = call.backend.summary_session(_ref(call), call.params["session_id"])
    url, expiry = _download_url(call, session, materials.SUMMARY_FILE[0])
    return Reply({"success": True, "data": {"sessionId": session.id, "summaryDownloadUrl": url,
                                            "summaryDownloadUrlExpiry": expiry}})


def generate_summary(call: RealtimeKitCall) -> Reply:
    session, status = call.backend.generate_summary(_ref(call), call.params["session_id"])
    return Reply({"success": True, "data": {"session_id": session.id, "status": status}})


def download_file(call: RealtimeKitCall) -> Reply:
    """A chat, transcript or summary behind its signed URL: S3's 403 XML once expired or altered."""
    session_id, filename = call.params["session_id"], call.params["filename"]
    path = f"{FILES_PREFIX}/{session_id}/{filename}"
    rejected = s3_rejection(call, call.backend.signer, path)
    if rejected is not None:
        return rejected
    content = call.backend.file(session_id, filename)
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

