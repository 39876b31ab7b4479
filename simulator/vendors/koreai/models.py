"""Kore.ai SmartAssist's entities and rules: apps, their bots, voice calls and the calls' recordings.

A call's status is a function of its times and the namespace clock: ``call_in_progress`` until it
ends, ``media_in_progress`` for the media delay after that, then ``success`` with its recordings (or
``media_unavailable`` for a call recorded without media, or whose recordings were deleted). Nothing
waits in the due queue: reading the status on the clock is the transition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.core.auth import TokenTime, verify_hs256
from simulator.core.blobs import Blob
from simulator.core.clock import to_datetime
from simulator.core.errors import Conflict, Forbidden, NotFound, Unauthorized
from simulator.core.rand import SeededSource
from simulator.core.signing import Query
from simulator.core.store import VendorContext
from simulator.vendors.koreai.media import wav_blob

SUCCESS = "success"
MEDIA_UNAVAILABLE = "media_unavailable"
CALL_IN_PROGRESS = "call_in_progress"
MEDIA_IN_PROGRESS = "media_in_progress"
MEDIA_ROOT = "/api/getMediaStream/smartassistrecording"
DEFAULT_SEGMENTS = 1  # recording files of a started call, unless asked otherwise


@dataclass(frozen=True)
class App:
    client_id: str
    client_secret: str
    name: str
    account_id: str
    bot_ids: tuple[str, ...]


@dataclass(frozen=True)
class Recording:
    file_id: str  # f-<uuid>, the stored file
    file_hash: str  # 32 hex digits, the name the API shows
    seconds: float  # audio served, after the per-file cap

    @property
    def file_name(self) -> str:
        return f"{self.file_hash}-merged.wav"


@dataclass(frozen=True)
class Link:
    """A recording as the API lists it: its file name and its signed ``path?query`` on this server."""

    file_name: str
    target: str


@dataclass
class VoiceCall:
    session_id: str
    bot_id: str
    app_id: str
    user_id: str
    started_at: float
    ends_at: float | None  # None: runs until hung up
    has_media: bool
    file_ids: tuple[str, ...]  # one per recording segment; empty without media
    file_hashes: tuple[str, ...]
    weights: tuple[int, ...]  # relative lengths of the segments
    deleted: bool = False

    @property
    def duration(self) -> float | None:
        return None if self.ends_at is None else self.ends_at - self.started_at

    def ended(self, now: float) -> bool:
        return self.ends_at is not None and now >= self.ends_at

    def media_ready_at(self, delay: float) -> float | None:
        if self.ends_at is None or not self.has_media or self.deleted:
            return None
        return self.ends_at + delay

    def status(self, now: float, delay: float) -> str:
        if self.deleted:
            return MEDIA_UNAVAILABLE
        if not self.ended(now):
            return CALL_IN_PROGRESS
        if not self.has_media:
            return MEDIA_UNAVAILABLE
        ready = self.media_ready_at(delay)
        return MEDIA_IN_PROGRESS if ready is None or now < ready else SUCCESS


@dataclass(frozen=True)
class CallSummary:
    """A call with what the clock makes of it now (the admin API's view)."""

    call: VoiceCall
    status: str
    media_ready_at: float | None


@dataclass(frozen=True)
class Options:
    media_delay: float
    url_ttl: int
    max_recording: float
    environment: str


class KoreaiBackend:
    """All Kore.ai state of one namespace."""

    def __init__(self, ctx: VendorContext):
        """An empty backend: the fixtures' apps and options, no calls (the seeder fills it)."""
        self.ctx = ctx
        fixtures = ctx.fixtures
        self.apps = {
            app["client_id"]: App(app["client_id"], app["client_secret"], app.get("name", app["client_id"]),
                                  app["account_id"], tuple(app.get("bot_ids", [])))
            for app in fixtures.get("apps", [])
        }
        self.bot_apps = {bot: app for app in self.apps.values() for bot in app.bot_ids}
        self.options = Options(
            media_delay=float(fixtures.get("media_delay_seconds", 120)),
            url_ttl=int(fixtures.get("media_url_ttl_seconds", 86400)),
            max_recording=float(fixtures.get("max_recording_seconds", 600)),
            environment=str(fixtures.get("media_environment", "PROD")),
        )
        self.calls: dict[str, VoiceCall] = {}
        self.files: dict[str, str] = {}  # file id -> session id
        self.generated = 0  # session ids generated so far: the next one derives from it

    # identity -------------------------------------------------------------------------------------
    def secret_for(self, app_id: Any) -> str | None:
        app = self.apps.get(app_id) if isinstance(app_id, str) else None
        return app.client_secret if app else None

    def app_of_token(self, token: str, at: TokenTime) -> App:
        """The app whose client secret signed ``token``: an HS256 JWT with claims ``appId`` and ``sub``."""

        def secret(claims: dict[str, Any]) -> str:
            found = self.secret_for(claims.get("appId"))
            if found is None:
                raise Unauthorized(f"Token appId {claims.get('appId')!r} is the client id of no app", "unknown_app")
            return found

        claims = verify_hs256(token, secret, at, require=("appId", "sub"), require_exp=False)
        return self.apps[claims["appId"]]

    def bot_of(self, app: App, bot_id: str) -> str:
        """The bot, if the caller's app owns it: 404 for a bot no app has, 403 for another app's."""
        owner = self.bot_apps.get(bot_id)
        if owner is None:
            raise NotFound(f"Bot {bot_id!r} not found", "bot_not_found")
        if owner.client_id != app.client_id:
            raise Forbidden(f"Bot {bot_id!r} does not belong to app {app.client_id!r}: use a token of the app "
                            "that owns it", "bot_of_another_app")
        return bot_id

    # reads ----------------------------------------------------------------------------------------
    def status(self, call: VoiceCall) -> str:
        return call.status(self.ctx.now(), self.options.media_delay)

    def call_of(self, bot_id: str, session_id: str) -> VoiceCall | None:
        """The bot's call of that session; another bot's session is no call of this bot."""
        call = self.calls.get(session_id)
        return call if call is not None and call.bot_id == bot_id else None

    def recordings(self, call: VoiceCall) -> list[Recording]:
        """The call's recordings once it is ``success``: segments that add up to the call's duration."""
        if self.status(call) != SUCCESS or call.duration is None:
            return []
        total, weight_sum = call.duration, sum(call.weights)
        lengths: list[float] = []
        for weight in call.weights[:-1]:
            lengths.append(round(total * weight / weight_sum, 3))
        lengths.append(max(total - sum(lengths), 0.0))
        return [
            Recording(file_id, file_hash, min(length, self.options.max_recording))
            for file_id, file_hash, length in zip(call.file_ids, call.file_hashes, lengths, strict=True)
        ]

    def media_path(self, call: VoiceCall, recording: Recording) -> str:
        """Where the recording's file lives, as the page's sample lays it out (day as DD-MM-YYYY, UTC)."""
        day = to_datetime(call.started_at)
        account = self.apps[call.app_id].account_id
        return (f"{MEDIA_ROOT}/{self.options.environment}/{account}/{call.bot_id}/"
                f"{day:%Y}/{day:%d-%m-%Y}/{recording.file_id}.wav")

    def recording_file(self, file_id: str) -> tuple[VoiceCall, Recording] | None:
        """A stored recording file, while it exists (ready and not deleted)."""
        session_id = self.files.get(file_id)
        call = self.calls.get(session_id) if session_id else None
        if call is None:
            return None
        found = next((r for r in self.recordings(call) if r.file_id == file_id), None)
        return (call, found) if found else None

    def nonce(self, file_id: str, now: float) -> str:
        return self.ctx.source.child(f"nonce:{file_id}:{int(now)}").digits(10)

    def fetch_recordings(self, app: App, bot_id: str, session_id: str, namespace: str) -> tuple[str, list[Link]]:
        """The session's status and, once ``success``, each recording's file name and signed ``path?query``.

        A session the bot has no call of is ``media_unavailable``, as the vendor answers for a session it
        has no recording of.
        """
        call = self.call_of(self.bot_of(app, bot_id), session_id)
        if call is None:
            return MEDIA_UNAVAILABLE, []
        status = self.status(call)
        if status != SUCCESS:
            return status, []
        now = self.ctx.now()
        links = []
        for recording in self.recordings(call):
            path = self.media_path(call, recording)
            query = self.ctx.signer.ens_query(path, namespace, int(now) + self.options.url_ttl,
                                              self.nonce(recording.file_id, now))
            links.append(Link(recording.file_name, f"{path}?{query}"))
        return status, links

    def media(self, path: str, namespace: str, query: Query, file_name: str) -> Blob:
        """A recording's WAV behind its signed URL: 403 once expired or altered, 404 once deleted."""
        self.ctx.signer.verify_ens(path, namespace, query, self.ctx.now(), ttl=self.options.url_ttl)
        found = self.recording_file(file_name.removesuffix(".wav"))
        if found is None or self.media_path(*found) != path:
            raise NotFound(f"Recording file {file_name!r} does not exist (deleted?)", "media_not_found")
        recording = found[1]
        return wav_blob(self.ctx.source.child(f"audio:{recording.file_id}"), recording.seconds, recording.file_name)

    def summary(self, call: VoiceCall) -> CallSummary:
        return CallSummary(call, self.status(call), call.media_ready_at(self.options.media_delay))

    def calls_of(self, bot_id: str | None) -> list[CallSummary]:
        found = [c for c in self.calls.values() if bot_id is None or c.bot_id == bot_id]
        return [self.summary(c) for c in sorted(found, key=lambda c: (-c.started_at, c.session_id))]

    # writes ---------------------------------------------------------------------------------------
    def add_call(self, session_id: str, bot_id: str, user_id: str | None, started_at: float,
                 ends_at: float | None, has_media: bool, segments: int) -> VoiceCall:
        """Store a call; its files, names and segment lengths derive from its session id alone."""
        app = self.bot_apps.get(bot_id)
        if app is None:
            raise NotFound(f"Bot {bot_id!r} not found: it is in no app of the fixtures", "bot_not_found")
        if session_id in self.calls:
            raise Conflict(f"A call with session id {session_id!r} already exists", "session_exists")
        source = self.ctx.source.child(f"call:{session_id}")
        count = segments if has_media else 0
        file_ids = tuple(f"f-{source.uuid()}" for _ in range(count))
        call = VoiceCall(
            session_id=session_id, bot_id=bot_id, app_id=app.client_id,
            user_id=user_id or caller_number(source.child("caller")), started_at=started_at, ends_at=ends_at,
            has_media=has_media, file_ids=file_ids, file_hashes=tuple(source.hex(32) for _ in range(count)),
            weights=tuple(source.integer(2, 9) for _ in range(count)),
        )
        self.store(call)
        return call

    def store(self, call: VoiceCall) -> None:
        self.calls[call.session_id] = call
        for file_id in call.file_ids:
            self.files[file_id] = call.session_id

    def refusal(self, call: VoiceCall) -> str | None:
        """Why a call given as data (a loaded state document) cannot be stored beside the stored ones, if so."""
        owner = self.bot_apps.get(call.bot_id)
        if owner is None:
            return f"bot {call.bot_id!r} is in no app of the fixtures"
        if owner.client_id != call.app_id:
            return f"app_id {call.app_id!r} does not own bot {call.bot_id!r} (app {owner.client_id!r} does)"
        if call.session_id in self.calls:
            return f"session id {call.session_id!r} is stored twice"
        if call.ends_at is not None and call.ends_at < call.started_at:
            return f"ends_at {call.ends_at} is before started_at {call.started_at}"
        if not len(call.file_ids) == len(call.file_hashes) == len(call.weights):
            return "file_ids, file_hashes and weights must have one entry per recording each"
        if call.has_media != bool(call.file_ids):
            return ("a call with media needs at least one recording file" if call.has_media
                    else "a call without media has no recording files")
        taken = next((f for f in call.file_ids if f in self.files), None)
        if taken is not None:
            return f"file id {taken!r} belongs to call {self.files[taken]!r} too"
        return None

    def start_call(self, bot_id: str, session_id: str | None, user_id: str | None, duration: float | None,
                   has_media: bool | None, segments: int | None) -> CallSummary:
        """A call starting now: recorded (one file) unless asked otherwise, open-ended without a duration."""
        now = self.ctx.now()
        call = self.add_call(session_id or self._new_session_id(bot_id), bot_id, user_id, now,
                             None if duration is None else now + duration, True if has_media is None else has_media,
                             DEFAULT_SEGMENTS if segments is None else segments)
        return self.summary(call)

    def _new_session_id(self, bot_id: str) -> str:
        while True:
            self.generated += 1
            candidate = self.ctx.source.child(f"session:{bot_id}:{self.generated}").hex(24)
            if candidate not in self.calls:
                return candidate

    def end_call(self, session_id: str) -> CallSummary:
        call = self.calls.get(session_id)
        if call is None:
            raise NotFound(f"No Kore.ai call with session id {session_id!r}", "call_not_found")
        now = self.ctx.now()
        if call.ended(now):
            raise Conflict(f"VoiceCall {session_id!r} has already ended", "call_ended")
        call.ends_at = now
        return self.summary(call)

    def delete_recordings(self, app: App, bot_id: str, session_id: str) -> tuple[str, int]:
        """(status, how many deleted). Idempotent; refused while the call or its media is in progress."""
        call = self.call_of(self.bot_of(app, bot_id), session_id)
        if call is None:
            return MEDIA_UNAVAILABLE, 0
        status = self.status(call)
        if status in (CALL_IN_PROGRESS, MEDIA_IN_PROGRESS):
            raise Conflict(f"The recordings of session {session_id!r} cannot be deleted yet: status is {status}",
                           "recording_not_ready")
        if status != SUCCESS:
            return MEDIA_UNAVAILABLE, 0
        call.deleted = True
        return SUCCESS, len(call.file_ids)


def caller_number(source: SeededSource) -> str:
    """A North American number in the 555-01xx range, reserved for fiction."""
    return f"+1{source.integer(201, 989)}55501{source.digits(2)}"
