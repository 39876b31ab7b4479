"""Prevail operations: parse, one backend call, shape the response as the pages show it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core.auth import bearer_token, verify_hs256
from simulator.core.dispatch import Call, Reply
from simulator.core.downloads import s3_missing, s3_rejection, s3_url
from simulator.core.errors import Unauthorized
from simulator.core.render import rendered_all
from simulator.vendors.prevail import handmade, timezones
from simulator.vendors.prevail.models import (
    AUTO_SCHEDULE,
    Organisation,
    PrevailBackend,
    Session,
    SessionRequest,
    Window,
)

Prevail = Call[PrevailBackend]
RECORDING_TTL = 24 * 3600


def authenticate(call: Prevail) -> Organisation:
    """Bearer JWT, or the ``jwt_payload`` query or body field, signed with the organisation's key."""
    token = bearer_token(call.headers.get("authorization")) or call.query.get("jwt_payload")
    if token is None and isinstance(call.body, dict) and isinstance(call.body.get("jwt_payload"), str):
        token = call.body["jwt_payload"]
    if not token:
        raise Unauthorized("Missing credentials: send 'Authorization: Bearer <JWT>' signed with your API key",
                           "missing_token")
    claims = verify_hs256(token, lambda c: call.backend.key_for(c.get("slug")), call.token_time(),
                          require=("slug",))
    return call.backend.organisation(claims["slug"])


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


def _window(call: Prevail) -> Window:
    start, end = call.params.get("start_time"), call.params.get("end_time")
    return Window(int(start) if start is not None else None, int(end) if end is not None else None)


def create_session_request(call: Prevail) -> Reply:
    request, warning = call.backend.create(call.principal, call.body["session_request"], call.now())
    if warning:
        call.warn(warning)
    return Reply({"requests": [created_view(request)]}, status=201)


def list_session_requests(call: Prevail) -> Reply:
    page, found = call.backend.request_page(call.principal.slug, _window(call), call.params.get("page"),
                                            call.params.get("items"))
    return Reply({"pagy": page.as_dict(), "requests": rendered_all(found, listed_view)})


def list_sessions(call: Prevail) -> Reply:
    page, found = call.backend.session_page(call.principal.slug, _window(call), call.params.get("page"),
                                            call.params.get("items"))
    return Reply({"pagy": page.as_dict(), "sessions": [session_view(call.backend, s) for s in found]})


def _file_path(session: Session, index: int, filename: str) -> str:
    return f"/_sim/files/prevail/{session.remote_session_id}-{index}/{filename}"


def session_recordings(call: Prevail) -> Reply:
    session, recordings = call.backend.recordings_of(call.principal.slug, call.params["remote_session_id"])
    return Reply({"recordings": [{
        "filename": recording.filename,
        "type": "audio",
        "size": f"{recording.size} bytes",
        "user": recording.user,
        "presigned_url": s3_url(call, call.backend.ctx.signer, _file_path(session, index, recording.filename),
                                call.now(), RECORDING_TTL),
        "created_at": timezones.server_timestamp(recording.created_at),
    } for index, recording in enumerate(recordings)]})


def session_transcript(call: Prevail) -> Reply:
    return Reply({"transcript": call.backend.finished_transcript(call.principal.slug,
                                                                 call.params["remote_session_id"])})


def download_file(call: Prevail) -> Reply:
    """A recording behind its presigned URL: 403 with S3's XML once expired or tampered with."""
    object_id, filename = call.params["object_id"], call.params["filename"]
    path = f"/_sim/files/prevail/{object_id}/{filename}"
    rejected = s3_rejection(call, call.backend.ctx.signer, path)
    if rejected is not None:
        return rejected
    blob = call.backend.recording_file(object_id, filename)
    return s3_missing(path) if blob is None else Reply(blob)


def schedule_request(call: Prevail) -> Reply:
    return Reply({"requests": [listed_view(call.backend.schedule(call.params["id"]))]})


def store_session_requests(call: Prevail) -> Reply:
    """Hand-made records (the admin seed operation): all stored, or none."""
    records = call.body if isinstance(call.body, list) else []
    stored = handmade.store(call.backend, records, call.now())
    return Reply({"requests": [listed_view(request) for request in stored]}, status=201)


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
    "storePrevailSessionRequests": store_session_requests,
}


def auto_schedule(backend: PrevailBackend, args: Mapping[str, Any]) -> None:
    backend.auto_schedule(int(args["request_id"]))


EFFECTS = {  # timed effects the backend queues, fired by the namespace when due
    AUTO_SCHEDULE: auto_schedule,
}
