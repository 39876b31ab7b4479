"""Deterministic Prevail data: requests, sessions and recordings around the namespace clock's start.

Records are laid out relative to the start of the UTC day of the namespace clock's start (the
anchor), so the same seed and the same day (or ``--clock-start``) give byte-identical data. Nothing
drawn depends on the anchor itself, only times relative to it: a baseline generated for one day fits
any other shifted by whole days (:mod:`baseline`), so Faker runs once per process and seed.
"""

from __future__ import annotations

from typing import Any

from simulator.core.rand import SeededSource
from simulator.core.store import VendorContext
from simulator.vendors.prevail import baseline, timezones
from simulator.vendors.prevail.baseline import DAY, Baseline
from simulator.vendors.prevail.models import SESSION_URL, PrevailBackend, Session, SessionRequest

SEED_ZONES = ("Eastern Time (US & Canada)", "Central Time (US & Canada)", "Mountain Time (US & Canada)",
              "Pacific Time (US & Canada)", "EST", "Alaska", "Hawaii")
SESSION_TYPES = ("remote_deposition", "remote_deposition", "remote_deposition", "remote_call", "webinar")
INTERPRETERS = ("German", "Spanish", "French", "Japanese", "Korean", "Italian")


def seeded(ctx: VendorContext) -> PrevailBackend:
    """The backend a namespace starts with (the plugin's factory): the seeded records, shared read-only
    with every namespace of the same seed and fixtures, or none for an empty namespace."""
    backend = PrevailBackend(ctx)
    if not ctx.empty:
        shared = baseline.shared(ctx, generate)
        backend.hold(shared.requests, shared.sessions, shared.next_id)
    return backend


def generate(ctx: VendorContext, anchor: float) -> Baseline:
    """Seed from scratch (Faker): the records of ``ctx``'s seed and fixtures around ``anchor``."""
    backend = PrevailBackend(ctx)
    source = ctx.source
    drafts: list[tuple[float, str, SeededSource]] = []
    for org in ctx.fixtures.get("organisations", []):
        count = int(org.get("seed_requests", 0))
        for index in range(count):
            child = source.child(f"request:{org['slug']}:{index}")
            created = anchor - child.integer(1, 120) * DAY + child.integer(0, DAY - 1)
            drafts.append((created, org["slug"], child))
    drafts.sort(key=lambda draft: (draft[0], draft[1]))
    for created, slug, child in drafts:
        request = _request(backend, slug, child, created, anchor)
        if request.state in ("scheduled", "ready"):
            request = _with_session(backend, request, child)
        backend.add_request(request)
    return Baseline(anchor, backend.requests, backend.sessions, backend.next_id)


def _request(backend: PrevailBackend, slug: str, source: SeededSource, created: float, anchor: float) -> SessionRequest:
    fake = source.fake
    zone_name = source.choice(SEED_ZONES)
    zone = timezones.resolve(zone_name)
    assert zone is not None
    starts = created + source.integer(1, 45) * DAY
    starts -= starts % 1800  # sessions start on the half hour
    start_date, start_time = timezones.local_parts(starts, zone)
    session_type = source.choice(SESSION_TYPES)
    deponent_name = f"{fake.first_name()} {fake.last_name()}"
    deponent_email = _email(deponent_name, fake.free_email_domain())
    # Counsel are invited by firm email, so transcripts can name them; sometimes the deponent is invited too.
    counsel = [_email(f"{fake.first_name()} {fake.last_name()}", f"{fake.last_name().lower()}-law.com")
               for _ in range(source.integer(1, 3))]
    invite_emails = [deponent_email, *counsel] if source.chance(0.5) else counsel
    details: dict[str, Any] = {"language": "en-US"}
    if source.chance(0.25):
        details["interpreter"] = source.choice(INTERPRETERS)
    if source.chance(0.4):
        details["additional_details"] = fake.sentence(nb_words=8)
    details.update({"preferred_manager": fake.name(), "video_provider": "chime", "session_type": session_type})
    self_service = backend.organisations[slug].self_service
    if starts < anchor:
        state = "canceled" if source.chance(0.08) else ("ready" if self_service else "scheduled")
    else:
        state = "ready" if self_service else source.choice(("initial", "scheduled", "scheduled"))
    return SessionRequest(
        id=backend.allocate_id(),
        organisation=slug,
        state=state,
        session_request={
            "session_type": session_type,
            "deponent": {"name": deponent_name, "email": deponent_email,
                         "role": source.choice(("deponent", "deponent", "witness"))},
            "invite_emails": invite_emails,
            "participants": None,
        },
        remote_session={
            "title": f"{fake.last_name()} v. {fake.last_name()}",
            "case": f"{source.integer(100, 999)}-case-{fake.word()}",
            "file_number": None,
            "start_date": start_date,
            "start_time": start_time,
            "time_zone": zone_name,
        },
        session_details=details,
        postback_url=None,
        starts_at=starts,
        created_at=created,
        cancelation_requested=True if state == "canceled" else None,
    )


def _email(name: str, domain: str) -> str:
    return ".".join(part.lower() for part in name.split() if part.isalpha()) + "@" + domain


def _with_session(backend: PrevailBackend, request: SessionRequest, source: SeededSource) -> SessionRequest:
    remote_id = source.uuid()
    request.remote_session_id = remote_id  # not stored yet: still ours to change
    request.session_url = SESSION_URL.format(id=remote_id)
    remote = request.remote_session
    session = Session(
        remote_session_id=remote_id, organisation=request.organisation, request_id=request.id,
        title=remote["title"], case=remote["case"], start_date=remote["start_date"],
        start_time=remote["start_time"], time_zone=remote["time_zone"], starts_at=request.starts_at,
        estimated_duration=source.choice((1.5, 2.0, 3.0, 4.0, 6.0)),
        invite_emails=list(request.session_request["invite_emails"]), session_url=request.session_url,
    )
    backend.requests[request.id] = request  # the cast reads the request's deponent
    backend.add_session(session, source.child("recordings"))
    return request
