"""Kore.ai operations: parse, one backend call, shape the response as the page shows it."""

from __future__ import annotations

from typing import Any

from simulator.core.clock import isoformat, to_datetime
from simulator.core.dispatch import Call, Reply
from simulator.core.downloads import query_items
from simulator.core.errors import Unauthorized
from simulator.vendors.koreai.models import SUCCESS, App, CallSummary, KoreaiBackend


def authenticate(call: Call[KoreaiBackend]) -> App:
    """The ``auth`` header: an HS256 JWT signed with the app's client secret, claims ``appId`` and ``sub``."""
    token = (call.headers.get("auth") or "").strip()
    if not token:
        hint = " ('Authorization: Bearer' is not how Kore.ai takes it)" if "authorization" in call.headers else ""
        raise Unauthorized("Missing credentials: send the header 'auth: <JWT>' signed with your app's client "
                           f"secret{hint}", "missing_token")
    return call.backend.app_of_token(token, call.token_time())


def _session_id(call: Call[KoreaiBackend]) -> str:
    """The sessionId; absent only when a lenient server serves a request that lacks it."""
    return str(call.params.get("sessionId", ""))


def get_recordings(call: Call[KoreaiBackend]) -> Reply:
    status, links = call.backend.fetch_recordings(call.principal, call.params["botId"], _session_id(call),
                                                  call.namespace_name)
    if status != SUCCESS:
        return Reply({"status": status})
    recordings = [{"fileName": link.file_name, "fileUrl": f"{call.base_url}{link.target}"} for link in links]
    return Reply({"status": status, "recording": recordings})


def delete_recordings(call: Call[KoreaiBackend]) -> Reply:
    status, deleted = call.backend.delete_recordings(call.principal, call.params["botId"], _session_id(call))
    return Reply({"status": status, "sessionId": _session_id(call), "deletedRecordings": deleted})


def media_stream(call: Call[KoreaiBackend]) -> Reply:
    """A recording's WAV behind its signed URL: 403 once expired or altered, 404 once deleted."""
    return Reply(call.backend.media(call.path, call.namespace_name, query_items(call), call.params["fileName"]))


# admin ------------------------------------------------------------------------------------------

def _instant(epoch: float | None) -> str | None:
    return None if epoch is None else isoformat(to_datetime(epoch))


def call_view(summary: CallSummary) -> dict[str, Any]:
    voice_call = summary.call
    return {
        "session_id": voice_call.session_id,
        "bot_id": voice_call.bot_id,
        "app_id": voice_call.app_id,
        "user_id": voice_call.user_id,
        "status": summary.status,
        "started_at": _instant(voice_call.started_at),
        "ended_at": _instant(voice_call.ends_at),
        "media_ready_at": _instant(summary.media_ready_at),
        "duration_seconds": voice_call.duration,
        "has_media": voice_call.has_media,
        "recordings": 0 if voice_call.deleted else len(voice_call.file_ids),
        "deleted": voice_call.deleted,
    }


def create_call(call: Call[KoreaiBackend]) -> Reply:
    body = call.body if isinstance(call.body, dict) else {}  # a lenient server passes what came
    has_media, recordings = body.get("has_media"), body.get("recordings")
    summary = call.backend.start_call(
        str(body.get("bot_id", "")), body.get("session_id"), body.get("user_id"), body.get("duration_seconds"),
        None if has_media is None else bool(has_media), None if recordings is None else int(recordings),
    )
    return Reply(call_view(summary), status=201)


def end_call(call: Call[KoreaiBackend]) -> Reply:
    return Reply(call_view(call.backend.end_call(call.params["session_id"])))


def list_calls(call: Call[KoreaiBackend]) -> Reply:
    return Reply({"calls": [call_view(summary) for summary in call.backend.calls_of(call.params.get("bot_id"))]})


HANDLERS = {
    "getCallRecordings": get_recordings,
    "deleteCallRecordings": delete_recordings,
    "getMediaStream": media_stream,
}

ADMIN_HANDLERS = {
    "createKoreaiCall": create_call,
    "endKoreaiCall": end_call,
    "listKoreaiCalls": list_calls,
}
