"""Prevail operations: parse, one backend call, shape the response as the pages show it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core.auth import bearer_token, verify_hs256
from simulator.core.dispatch import Call, Reply
from simulator.core.downloads import s3_missing, s3_rejection, s3_url
from simulator.core.errors import InvalidRequest, Unauthorized, Violation
from simulator.core.pagination import pagy
from simulator.core.render import rendered
from simulator.vendors.prevail import languages, materials, timezones
from simulator.vendors.prevail.models import (
    AUTO_SCHEDULE,
    Organisation,
    PrevailBackend,
    Session,
    SessionRequest,
    Window,
)

RECORDING_TTL = 24 * 3600
_BODY = "#/components/schemas/RemoteSessionInput/properties"


def authenticate(call: Call[Any]) -> Organisation:
    """Bearer JWT, or the ``jwt_payload`` query or body field, signed with the organisation's key."""
    backend: PrevailBackend = call.backend
    token = bearer_token(call.headers.get("authorization")) or call.query.get("jwt_payload")
    if token is None and isinstance(call.body, dict) and isinstance(call.body.get("jwt_payload"), str):
        token = call.body["jwt_payload"]
    if not token:
        raise Unauthorized("Missing credentials: send 'Authorization: Bearer <JWT>' signed with your API key",
                           "missing_token")
    claims = verify_hs256(token, lambda c: backend.key_for(c.get("slug")), call.token_time(),
                          require=("slug",))
    return backend.organisations[claims["slug"]]


def listed_view(request: SessionRequest) -> dict[str, Any]:
    """A stored request as the list page's example shows it (``file_number``, ``participants``)."""
    return {
        "id": request.id,
        "session_state": request.state,
        "session_url": request.session_url,
        "remote_session_id": request.remote_session_id,
        "session_request": request.session_request,
        "remote_session": request.remote_session,
        "session_details": request.session_details,
        "notice": None,
        "cancelation_requested": request.cancelation_requested,
    }


def created_view(request: SessionRequest) -> dict[str, Any]:
    """The create page's example answer: the same record without the list-only ``file_number`` and
    ``participants`` (which it leaves out)."""
    view = listed_view(request)
    view["session_request"] = {k: v for k, v in request.session_request.items() if k != "participants"}
    view["remote_session"] = {k: v for k, v in request.remote_session.items() if k != "file_number"}
    return view


def session_view(backend: PrevailBackend, session: Session) -> dict[str, Any]:
    return {**backend.webhook_session(session), "case": session.case, "session_url": session.session_url}


def _window(call: Call[Any]) -> Window:
    start, end = call.params.get("start_time"), call.params.get("end_time")
    return Window(int(start) if start is not None else None, int(end) if end is not None else None)


_DEPONENT_FIELDS = ("name", "email", "role")
_DETAIL_FIELDS = ("interpreter", "additional_details", "preferred_manager")


def _deponent(given: dict[str, Any] | None) -> dict[str, Any] | None:
    """Only the deponent fields the page documents are stored (as Rails' strong parameters keep them)."""
    if given is None:
        return None
    return {key: given[key] for key in _DEPONENT_FIELDS if key in given}


def create_session_request(call: Call[Any]) -> Reply:
    backend: PrevailBackend = call.backend
    org: Organisation = call.principal
    body = call.body["session_request"]
    remote = body["remote_session"]
    zone = timezones.resolve(remote["time_zone"])
    if zone is None:
        raise InvalidRequest([Violation("body.session_request.remote_session.time_zone", f"{_BODY}/time_zone",
                                        f"unknown time zone {remote['time_zone']!r}: not a Rails zone name, "
                                        f"GMT-offset form, US abbreviation or IANA zone name")])
    starts_at = timezones.local_start(remote["start_date"], remote["start_time"], zone)
    details_in = body.get("session_details") or {}
    warning = languages.unlisted_interpreter(details_in.get("interpreter"))
    if warning:
        call.warn(warning)
    details: dict[str, Any] = {"language": languages.language_code(details_in.get("languages"))}
    for key in _DETAIL_FIELDS:
        if details_in.get(key):
            details[key] = details_in[key]
    details["video_provider"] = details_in.get("video_provider", "chime")
    details["session_type"] = details_in.get("session_type", "remote_deposition")
    request = SessionRequest(
        id=backend.allocate_id(),
        organisation=org.slug,
        state="initial",
        session_request={
            "session_type": details["session_type"],
            "deponent": _deponent(body.get("deponent")),
            "invite_emails": list(body.get("invite_emails") or []),
            "participants": None,
        },
        remote_session={
            "title": remote["title"], "case": remote["case"], "file_number": None,
            "start_date": remote["start_date"], "start_time": remote["start_time"], "time_zone": remote["time_zone"],
        },
        session_details=details,
        postback_url=body["postback_url"],
        starts_at=starts_at,
        created_at=call.now(),
    )
    request = backend.submit(org.slug, request)
    return Reply({"requests": [created_view(request)]}, status=201)


def list_session_requests(call: Call[Any]) -> Reply:
    backend: PrevailBackend = call.backend
    found = backend.requests_of(call.principal.slug, _window(call))
    page = pagy(len(found), call.params.get("page"), call.params.get("items"),
                overflow=backend.options.pagy_overflow)
    return Reply({"pagy": page.as_dict(), "requests": [rendered(r, listed_view) for r in page.slice(found)]})


def list_sessions(call: Call[Any]) -> Reply:
    backend: PrevailBackend = call.backend
    found = backend.sessions_of(call.principal.slug, _window(call))
    page = pagy(len(found), call.params.get("page"), call.params.get("items"),
                overflow=backend.options.pagy_overflow)
    return Reply({"pagy": page.as_dict(), "sessions": [session_view(backend, s) for s in page.slice(found)]})


def _file_path(session: Session, index: int, filename: str) -> str:
    return f"/_sim/files/prevail/{session.remote_session_id}-{index}/{filename}"


def session_recordings(call: Call[Any]) -> Reply:
    backend: PrevailBackend = call.backend
    session = backend.session_of(call.principal.slug, call.params["remote_session_id"])
    views = []
    for index, recording in enumerate(backend.recordings(session)):
        path = _file_path(session, index, recording.filename)
        views.append({
            "filename": recording.filename,
            "type": "audio",
            "size": f"{recording.size} bytes",
            "user": recording.user,
            "presigned_url": s3_url(call, backend.ctx.signer, path, call.now(), RECORDING_TTL),
            "created_at": timezones.server_timestamp(recording.created_at),
        })
    return Reply({"recordings": views})


def session_transcript(call: Call[Any]) -> Reply:
    backend: PrevailBackend = call.backend
    session = backend.session_of(call.principal.slug, call.params["remote_session_id"])
    if backend.transcript_status(session) != "completed":
        from simulator.core.errors import NotFound

        raise NotFound(f"The transcript of session {session.remote_session_id!r} is not available yet "
                       f"(transcript_status in_progress)", "transcript_not_ready")
    return Reply({"transcript": backend.transcript(session)})


def download_file(call: Call[Any]) -> Reply:
    """A recording behind its presigned URL: 403 with S3's XML once expired or tampered with."""
    backend: PrevailBackend = call.backend
    object_id, filename = call.params["object_id"], call.params["filename"]
    path = f"/_sim/files/prevail/{object_id}/{filename}"
    rejected = s3_rejection(call, backend.ctx.signer, path)
    if rejected is not None:
        return rejected
    remote_id, _, index = object_id.rpartition("-")
    session = backend.sessions.get(remote_id)
    recordings = backend.recordings(session) if session else []
    if not index.isdigit() or int(index) >= len(recordings) or recordings[int(index)].filename != filename:
        return s3_missing(path)
    recording = recordings[int(index)]
    return Reply(materials.recording_blob(f"{backend.ctx.source.seed}:{object_id}", recording.size, filename))


def schedule_request(call: Call[Any]) -> Reply:
    backend: PrevailBackend = call.backend
    return Reply({"requests": [listed_view(backend.schedule(call.params["id"]))]})


HANDLERS = {
    "createSessionRequest": create_session_request,
    "listSessionRequests": list_session_requests,
    "listSessions": list_sessions,
    "getSessionRecordings": session_recordings,
    "getSessionTranscript": session_transcript,
}

ADMIN_HANDLERS = {
    "schedulePrevailSessionRequest": schedule_request,
    "downloadPrevailFile": download_file,
}


def auto_schedule(backend: PrevailBackend, args: Mapping[str, Any]) -> None:
    backend.auto_schedule(int(args["request_id"]))


EFFECTS = {  # timed effects the backend queues, fired by the namespace when due
    AUTO_SCHEDULE: auto_schedule,
}
