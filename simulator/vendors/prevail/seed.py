"""Deterministic Prevail data: requests, sessions and recordings around the namespace clock's start.

Records are laid out relative to the start of the UTC day of the namespace clock's start, so the
same seed and the same day (or ``--clock-start``) give byte-identical data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.core.rand import SeededSource
from simulator.vendors.prevail import timezones
from simulator.vendors.prevail.models import SESSION_URL, Recording, Session, SessionRequest

if TYPE_CHECKING:
    from simulator.vendors.prevail.models import PrevailBackend

DAY = 86400
SEED_ZONES = ("Eastern Time (US & Canada)", "Central Time (US & Canada)", "Mountain Time (US & Canada)",
              "Pacific Time (US & Canada)", "EST", "Alaska", "Hawaii")
SESSION_TYPES = ("remote_deposition", "remote_deposition", "remote_deposition", "remote_call", "webinar")
INTERPRETERS = ("German", "Spanish", "French", "Japanese", "Korean", "Italian")


def populate(backend: PrevailBackend, fixtures: dict[str, Any] | Any) -> None:
    source = backend.ctx.source
    anchor = backend.ctx.clock.start - backend.ctx.clock.start % DAY
    drafts: list[tuple[float, str, SeededSource]] = []
    for org in fixtures.get("organisations", []):
        count = int(org.get("seed_requests", 0))
        for index in range(count):
            child = source.child(f"request:{org['slug']}:{index}")
            created = anchor - child.integer(1, 120) * DAY + child.integer(0, DAY - 1)
            drafts.append((created, org["slug"], child))
    drafts.sort(key=lambda draft: (draft[0], draft[1]))
    for created, slug, child in drafts:
        request = _request(backend, slug, child, created, anchor)
        backend.add_request(request)
        if request.state in ("scheduled", "ready"):
            _attach_session(backend, request, child)


def _request(backend: PrevailBackend, slug: str, source: SeededSource, created: float, anchor: float) -> SessionRequest:
    fake = source.fake
    zone_name = source.choice(SEED_ZONES)
    zone = timezones.resolve(zone_name)
    assert zone is not None
    starts = created + source.integer(1, 45) * DAY
    starts -= starts % 1800  # sessions start on the half hour
    start_date, start_time = timezones.local_parts(starts, zone)
    session_type = source.choice(SESSION_TYPES)
    deponent_name = fake.name()
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
            "deponent": {"name": deponent_name, "email": fake.email(),
                         "role": source.choice(("deponent", "deponent", "witness"))},
            "invite_emails": [fake.email() for _ in range(source.integer(1, 4))],
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


def _attach_session(backend: PrevailBackend, request: SessionRequest, source: SeededSource) -> None:
    remote_id = source.uuid()
    request.remote_session_id = remote_id
    request.session_url = SESSION_URL.format(id=remote_id)
    remote = request.remote_session
    session = Session(
        remote_session_id=remote_id, organisation=request.organisation, request_id=request.id,
        title=remote["title"], case=remote["case"], start_date=remote["start_date"],
        start_time=remote["start_time"], time_zone=remote["time_zone"], starts_at=request.starts_at,
        estimated_duration=source.choice((1.5, 2.0, 3.0, 4.0, 6.0)),
        invite_emails=list(request.session_request["invite_emails"]), session_url=request.session_url,
    )
    session.recordings = recordings_for(source.child("recordings"), session)
    backend.sessions[remote_id] = session


def recordings_for(source: SeededSource, session: Session) -> list[Recording]:
    """The combined session audio, sometimes with per-speaker tracks."""
    made = session.ends_at + source.integer(60, 900)
    recordings = [Recording("complete-session-audio.mp4", "Recording", source.integer(150_000, 2_500_000), made)]
    for index in range(source.choice((0, 0, 1, 2))):
        speaker = source.fake.first_name().lower()
        recordings.append(Recording(f"{speaker}-track-{index + 1}.mp4", speaker.capitalize(),
                                    source.integer(80_000, 1_200_000), made + index + 1))
    return recordings


def transcript_for(source: SeededSource) -> str:
    """Turns ``NAME: text`` separated by blank lines, as 000 shows."""
    fake = source.fake
    speakers = [f"{fake.first_name()} {fake.last_name()}".upper() for _ in range(source.integer(2, 4))]
    turns = [f"{speakers[0]}: Good morning, everyone. We are now on the record."]
    for index in range(source.integer(6, 24)):
        speaker = speakers[(index + 1) % len(speakers)] if source.chance(0.7) else source.choice(speakers)
        turns.append(f"{speaker}: {fake.sentence(nb_words=source.integer(3, 18))}")
    turns.append(f"{speakers[0]}: We are now off the record.")
    return "\n\n".join(turns)
