"""Kore.ai operations: parse, one backend call, shape the response as the page shows it."""

from __future__ import annotations

from typing import Any

from simulator.core.auth import verify_hs256
from simulator.core.clock import isoformat, to_datetime
from simulator.core.dispatch import Call, Reply
from simulator.core.downloads import query_items
from simulator.core.errors import NotFound, Unauthorized
from simulator.vendors.koreai import media
from simulator.vendors.koreai.models import SUCCESS, App, KoreaiBackend, Recording, VoiceCall


def authenticate(call: Call[Any]) -> App:
    """The ``auth`` header: an HS256 JWT signed with the app's client secret, claims ``appId`` and ``sub``."""
    backend: KoreaiBackend = call.backend
    token = (call.headers.get("auth") or "").strip()
    if not token:
        hint = " ('Authorization: Bearer' is not how Kore.ai takes it)" if "authorization" in call.headers else ""
        raise Unauthorized("Missing credentials: send the header 'auth: <JWT>' signed with your app's client "
                           f"secret{hint}", "missing_token")

    def secret(claims: dict[str, Any]) -> str:
        found = backend.secret_for(claims.get("appId"))
        if found is None:
            raise Unauthorized(f"Token appId {claims.get('appId')!r} is the client id of no app", "unknown_app")
        return found

    claims = verify_hs256(token, secret, call.token_time(), require=("appId", "sub"), require_exp=False)
    return backend.apps[claims["appId"]]


def _recording_view(call: Call[Any], backend: KoreaiBackend, voice_call: VoiceCall,
                    recording: Recording) -> dict[str, str]:
    path = backend.media_path(voice_call, recording)
    now = call.now()
    query = backend.ctx.signer.ens_query(path, call.namespace_name, int(now) + backend.options.url_ttl,
                                         backend.nonce(recording.file_id, now))
    return {"fileName": recording.file_name, "fileUrl": f"{call.base_url}{path}?{query}"}


def _session_id(call: Call[Any]) -> str:
    """The sessionId; absent only when a lenient server serves a request that lacks it."""
    return str(call.params.get("sessionId", ""))


def get_recordings(call: Call[Any]) -> Reply:
    backend: KoreaiBackend = call.backend
    bot_id = backend.bot_of(call.principal, call.params["botId"])
    voice_call = backend.call_of(bot_id, _session_id(call))
    if voice_call is None:  # as the vendor answers for a session it has no recording of
        return Reply({"status": "media_unavailable"})
    status = backend.status(voice_call)
    if status != SUCCESS:
        return Reply({"status": status})
    recordings = [_recording_view(call, backend, voice_call, r) for r in backend.recordings(voice_call)]
    return Reply({"status": status, "recording": recordings})


def delete_recordings(call: Call[Any]) -> Reply:
    backend: KoreaiBackend = call.backend
    bot_id = backend.bot_of(call.principal, call.params["botId"])
    status, deleted = backend.delete_recordings(bot_id, _session_id(call))
    return Reply({"status": status, "sessionId": _session_id(call), "deletedRecordings": deleted})


def media_stream(call: Call[Any]) -> Reply:
    """A recording's WAV behind its signed URL: 403 once expired or altered, 404 once deleted."""
    backend: KoreaiBackend = call.backend
    backend.ctx.signer.verify_ens(call.path, call.namespace_name, query_items(call), call.now(),
                                  ttl=backend.options.url_ttl)
    file_id = call.params["fileName"].removesuffix(".wav")
    found = backend.recording_file(file_id)
    if found is None or backend.media_path(*found) != call.path:
        raise NotFound(f"Recording file {call.params['fileName']!r} does not exist (deleted?)", "media_not_found")
    recording = found[1]
    source = backend.ctx.source.child(f"audio:{recording.file_id}")
    return Reply(media.wav_blob(source, recording.seconds, recording.file_name))


# admin ------------------------------------------------------------------------------------------

def _instant(epoch: float | None) -> str | None:
    return None if epoch is None else isoformat(to_datetime(epoch))


def call_view(backend: KoreaiBackend, voice_call: VoiceCall) -> dict[str, Any]:
    return {
        "session_id": voice_call.session_id,
        "bot_id": voice_call.bot_id,
        "app_id": voice_call.app_id,
        "user_id": voice_call.user_id,
        "status": backend.status(voice_call),
        "started_at": _instant(voice_call.started_at),
        "ended_at": _instant(voice_call.ends_at),
        "media_ready_at": _instant(voice_call.media_ready_at(backend.options.media_delay)),
        "duration_seconds": voice_call.duration,
        "has_media": voice_call.has_media,
        "recordings": 0 if voice_call.deleted else len(voice_call.file_ids),
        "deleted": voice_call.deleted,
    }


def create_call(call: Call[Any]) -> Reply:
    backend: KoreaiBackend = call.backend
    body = call.body if isinstance(call.body, dict) else {}  # a lenient server passes what came
    voice_call = backend.start_call(
        str(body.get("bot_id", "")), body.get("session_id"), body.get("user_id"), body.get("duration_seconds"),
        bool(body.get("has_media", True)), int(body.get("recordings", 1)),
    )
    return Reply(call_view(backend, voice_call), status=201)


def end_call(call: Call[Any]) -> Reply:
    backend: KoreaiBackend = call.backend
    return Reply(call_view(backend, backend.end_call(call.params["session_id"])))


def list_calls(call: Call[Any]) -> Reply:
    backend: KoreaiBackend = call.backend
    return Reply({"calls": [call_view(backend, c) for c in backend.calls_of(call.params.get("bot_id"))]})


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
