"""Hand-made Prevail records: session requests (with their sessions) stored as an admin sends them.

``POST /_sim/prevail/session_requests`` takes a list of records with chosen ids, organisation, state and
times. The spec bounds every field; the rules a schema cannot say (a known organisation - else 404, as an
unknown account is for Vonage - and time zone, a real start, ids not taken) are checked here for the
whole batch before anything is stored, so a bad record stores none. A ``scheduled`` or ``ready`` record
gets its session (recordings and transcript follow from its times, as for seeded ones); ``initial`` ones
stay initial until the admin schedule trigger.
"""

from __future__ import annotations

from typing import Any

from simulator.core.clock import parse_instant
from simulator.core.errors import Conflict, InvalidRequest, NotFound, Violation
from simulator.vendors.prevail import timezones
from simulator.vendors.prevail.models import SESSION_URL, PrevailBackend, Session, SessionRequest

RULE = "#/paths/~1_sim~1prevail~1session_requests/post/requestBody/content/application~1json/schema/items/properties"
WITH_SESSION = ("scheduled", "ready")


def store(backend: PrevailBackend, records: list[dict[str, Any]], now: float) -> list[SessionRequest]:
    """Store every record (already checked against the spec) or, when one breaks a rule, none."""
    drafts = [_draft(backend, record, index, now) for index, record in enumerate(records)]
    _check_unique(backend, drafts)
    for request, duration in drafts:
        _store(backend, request, duration)
    return [backend.requests[request.id] for request, _ in drafts]


def _invalid(index: int, name: str, message: str) -> InvalidRequest:
    return InvalidRequest([Violation(f"body.{index}.{name}", f"{RULE}/{name}", message)])


def _draft(backend: PrevailBackend, record: dict[str, Any], index: int, now: float) -> tuple[SessionRequest, float]:
    """The request a record describes, not yet stored; InvalidRequest naming the field otherwise."""
    org = record["organisation"]
    if org not in backend.organisations:
        raise NotFound(f"body.{index}.organisation: no organisation {org!r} in the fixtures; known: "
                       f"{', '.join(sorted(backend.organisations))}", "unknown_organisation")
    zone = timezones.resolve(record["time_zone"])
    if zone is None:
        raise _invalid(index, "time_zone", f"unknown time zone {record['time_zone']!r}")
    try:
        starts_at = timezones.local_start(record["start_date"], record["start_time"], zone)
    except ValueError:
        raise _invalid(index, "start_date", f"{record['start_date']!r} is not a calendar date") from None
    created_at = now
    if "created_at" in record:
        try:
            created_at = parse_instant(record["created_at"]).timestamp()
        except (ValueError, OverflowError):
            raise _invalid(index, "created_at", f"{record['created_at']!r} is not an ISO 8601 instant") from None
    state = record.get("state", "initial")
    remote_id = record.get("remote_session_id")
    if remote_id is not None and state not in WITH_SESSION:
        raise _invalid(index, "remote_session_id", f"a {state} request has no session; only scheduled and "
                       f"ready ones do")
    if state in WITH_SESSION and remote_id is None:
        label = f"handmade-session:{record.get('id')}:{index}:{len(backend.sessions)}"
        remote_id = backend.ctx.source.child(label).uuid()
    details = {"language": "en-US", **record.get("session_details", {})}
    details.setdefault("video_provider", "chime")
    session_type = details.setdefault("session_type", "remote_deposition")
    request = SessionRequest(
        id=record.get("id", 0),
        organisation=org,
        state=state,
        session_request={"session_type": session_type, "deponent": record.get("deponent"),
                         "invite_emails": list(record.get("invite_emails", [])), "participants": None},
        remote_session={"title": record["title"], "case": record["case"], "file_number": record.get("file_number"),
                        "start_date": record["start_date"], "start_time": record["start_time"],
                        "time_zone": record["time_zone"]},
        session_details=details,
        postback_url=record.get("postback_url"),
        starts_at=starts_at,
        created_at=created_at,
        remote_session_id=remote_id,
        session_url=SESSION_URL.format(id=remote_id) if remote_id else None,
        cancelation_requested=record.get("cancelation_requested", True if state == "canceled" else None),
    )
    return request, float(record.get("estimated_duration_hours", backend.options.estimated_duration))


def _check_unique(backend: PrevailBackend, drafts: list[tuple[SessionRequest, float]]) -> None:
    """409 on an id or session id already stored or given twice; then ids for records without one."""
    ids: set[int] = set()
    remote_ids: set[str] = set()
    for request, _ in drafts:
        if request.id and (request.id in backend.requests or request.id in ids):
            raise Conflict(f"Session request {request.id} already exists", "duplicate_id")
        ids.add(request.id)
        remote = request.remote_session_id
        if remote and (remote in backend.sessions or remote in remote_ids):
            raise Conflict(f"Session {remote!r} already exists", "duplicate_remote_session_id")
        if remote:
            remote_ids.add(remote)
    highest = max(ids, default=0)
    backend.next_id = max(backend.next_id, highest + 1)
    for request, _ in drafts:
        if not request.id:
            request.id = backend.allocate_id()


def _store(backend: PrevailBackend, request: SessionRequest, duration: float) -> None:
    backend.add_request(request)
    if request.remote_session_id is None:
        return
    remote = request.remote_session
    backend.add_session(Session(
        remote_session_id=request.remote_session_id, organisation=request.organisation, request_id=request.id,
        title=remote["title"], case=remote["case"], start_date=remote["start_date"],
        start_time=remote["start_time"], time_zone=remote["time_zone"], starts_at=request.starts_at,
        estimated_duration=duration, invite_emails=list(request.session_request["invite_emails"]),
        session_url=SESSION_URL.format(id=request.remote_session_id),
    ))
