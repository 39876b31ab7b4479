"""Prevail's records as data: session requests, sessions (with their recordings) and the id counter.

Tables: ``session_requests`` (key: the id), ``sessions`` (key: the remote session id) and ``meta``
(one record, ``counters``, holding the next request id). Organisations and options come from the
fixtures and are not saved; each organisation's request list is rebuilt from the requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core.records import StateError, Tables, from_data, to_data
from simulator.core.store import VendorContext
from simulator.vendors.prevail import timezones
from simulator.vendors.prevail.models import PrevailBackend, Session, SessionRequest

MAX_ID = 9223372036854775807
WITH_SESSION = ("scheduled", "ready")
_TEXT = {"type": "string", "maxLength": 10000}
_NAME = {"type": "string", "maxLength": 255}
_SHORT = {"type": "string", "maxLength": 128}
_EPOCH = {"type": "number", "minimum": 0, "maximum": 253402300799}
_EMAILS = {"type": "array", "maxItems": 100, "items": {"type": "string", "maxLength": 254}}
_URL = {"type": "string", "maxLength": 2048}
_NULLABLE_URL = {"type": ["string", "null"], "maxLength": 2048}
_REMOTE_ID = {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"}


def _record(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": list(properties) if required is None else required}


_DEPONENT = {"oneOf": [{"type": "null"}, _record({"name": _NAME, "email": _NAME, "role": _SHORT}, [])]}
_REQUEST = _record({
    "id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "organisation": _SHORT,
    "state": {"enum": ["initial", "scheduled", "ready", "canceled"]},
    "session_request": _record({
        "session_type": _SHORT, "deponent": _DEPONENT, "invite_emails": _EMAILS, "participants": {"type": "null"},
    }),
    "remote_session": _record({
        "title": _NAME, "case": _NAME, "file_number": {"type": ["string", "null"], "maxLength": 255},
        "start_date": _SHORT, "start_time": _SHORT, "time_zone": _SHORT,
    }),
    "session_details": _record({
        "language": _SHORT, "interpreter": _NAME, "additional_details": _TEXT, "preferred_manager": _NAME,
        "video_provider": _SHORT, "session_type": _SHORT,
    }, ["language", "video_provider", "session_type"]),
    "postback_url": _NULLABLE_URL,
    "starts_at": _EPOCH,
    "created_at": _EPOCH,
    "remote_session_id": {"oneOf": [{"type": "null"}, _REMOTE_ID]},
    "session_url": _NULLABLE_URL,
    "cancelation_requested": {"type": ["boolean", "null"]},
}, ["id", "organisation", "state", "session_request", "remote_session", "session_details", "postback_url",
    "starts_at", "created_at"])
_RECORDING = _record({
    "filename": _NAME, "user": _NAME, "size": {"type": "integer", "minimum": 0, "maximum": 10**12},
    "created_at": _EPOCH,
})
_SESSION = _record({
    "remote_session_id": _REMOTE_ID, "organisation": _SHORT,
    "request_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "title": _NAME, "case": _NAME, "start_date": _SHORT, "start_time": _SHORT, "time_zone": _SHORT,
    "starts_at": _EPOCH, "estimated_duration": {"type": "number", "exclusiveMinimum": 0, "maximum": 24 * 7},
    "invite_emails": _EMAILS, "session_url": _URL,
    "recordings": {"type": "array", "maxItems": 16, "items": _RECORDING},
})
_COUNTERS = _record({"next_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID}})

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Prevail records",
    "type": "object",
    "additionalProperties": False,
    "required": ["session_requests", "sessions", "meta"],
    "properties": {
        "session_requests": {"type": "object", "propertyNames": {"pattern": "^[1-9][0-9]{0,18}$"},
                             "additionalProperties": _REQUEST},
        "sessions": {"type": "object", "propertyNames": {"pattern": "^[A-Za-z0-9-]{1,64}$"},
                     "additionalProperties": _SESSION},
        "meta": _record({"counters": _COUNTERS}),
    },
}


class PrevailRecords:
    """The :class:`simulator.core.records.RecordCodec` of Prevail."""

    @property
    def schema(self) -> Mapping[str, Any]:
        return SCHEMA

    def dump(self, backend: PrevailBackend) -> Tables:
        return {
            "session_requests": {str(key): self.dump_request(request) for key, request in backend.requests.items()},
            "sessions": {key: self.dump_session(session) for key, session in backend.sessions.items()},
            "meta": {"counters": {"next_id": backend.next_id}},
        }

    def dump_request(self, request: SessionRequest) -> dict[str, Any]:
        return dict(to_data(request))

    def dump_session(self, session: Session) -> dict[str, Any]:
        return dict(to_data(session))

    def load(self, ctx: VendorContext, tables: Mapping[str, Mapping[str, Any]]) -> PrevailBackend:
        backend = PrevailBackend(ctx)
        requests = {int(key): _request(backend, key, data) for key, data in tables["session_requests"].items()}
        sessions = {key: _session(backend, key, data) for key, data in tables["sessions"].items()}
        _check_links(requests, sessions)
        next_id = int(tables["meta"]["counters"]["next_id"])
        if requests and next_id <= max(requests):
            raise StateError(f"prevail.meta.counters: next_id {next_id} is not above the highest request id "
                             f"{max(requests)}")
        backend.hold(requests, sessions, next_id)
        return backend


def _request(backend: PrevailBackend, key: str, data: Mapping[str, Any]) -> SessionRequest:
    where = f"prevail.session_requests.{key}"
    request = from_data(SessionRequest, data)
    if str(request.id) != key:
        raise StateError(f"{where}: its id is {request.id}, not the key {key}")
    _known(backend, where, request.organisation)
    if timezones.resolve(request.remote_session["time_zone"]) is None:
        raise StateError(f"{where}: unknown time zone {request.remote_session['time_zone']!r}")
    if (request.remote_session_id is not None) != (request.state in WITH_SESSION):
        raise StateError(f"{where}: a {request.state} request "
                         f"{'has no' if request.state not in WITH_SESSION else 'needs a'} remote_session_id")
    return request


def _session(backend: PrevailBackend, key: str, data: Mapping[str, Any]) -> Session:
    where = f"prevail.sessions.{key}"
    session = from_data(Session, data)
    if session.remote_session_id != key:
        raise StateError(f"{where}: its remote_session_id is {session.remote_session_id!r}, not the key")
    _known(backend, where, session.organisation)
    if timezones.resolve(session.time_zone) is None:
        raise StateError(f"{where}: unknown time zone {session.time_zone!r}")
    return session


def _known(backend: PrevailBackend, where: str, organisation: str) -> None:
    if organisation not in backend.organisations:
        raise StateError(f"{where}: organisation {organisation!r} is not in the fixtures")


def _check_links(requests: Mapping[int, SessionRequest], sessions: Mapping[str, Session]) -> None:
    """Every scheduled request has its session and every session belongs to the request naming it."""
    for request in requests.values():
        if request.remote_session_id is not None and request.remote_session_id not in sessions:
            raise StateError(f"prevail.session_requests.{request.id}: session {request.remote_session_id!r} "
                             f"is not in prevail.sessions")
    for key, session in sessions.items():
        owner = requests.get(session.request_id)
        if owner is None or owner.remote_session_id != key or owner.organisation != session.organisation:
            raise StateError(f"prevail.sessions.{key}: request {session.request_id} of "
                             f"{session.organisation!r} does not name this session")


RECORDS = PrevailRecords()
