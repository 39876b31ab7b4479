"""The seeded records, built once per process and shared read-only by every namespace that seeds them.

Seeding with Faker takes tens of milliseconds; a namespace's first touch should not. Seeded data is
laid out relative to the anchor (the UTC day of the namespace clock's start) and nothing drawn
depends on the anchor itself, so one generated baseline fits every day: for another day its epochs
move by whole days and the local dates and times shown are read again from the moved epochs in each
record's time zone (which is exactly what seeding that day computes, across DST changes too).

Namespaces hold the baseline's records themselves, not copies: records are never changed in place
(a write stores a changed copy, see :mod:`models`), so a write in one namespace is never seen in
another and a fresh namespace always starts from the baseline.

Between runs the first baseline of a seed and fixtures is kept as plain data
(:mod:`simulator.core.baselinecache`), so a fresh process reads it back instead of running Faker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from simulator.core import baselinecache
from simulator.core.baselinecache import fields_of, record_from
from simulator.core.store import VendorContext
from simulator.vendors.prevail import timezones
from simulator.vendors.prevail.models import Recording, Session, SessionRequest

DAY = 86400
SOURCES = baselinecache.package_sources(__file__)  # what shapes the seeded records
KEEP_DAYS = 8  # days kept per seed and fixtures (a long-running server moves to a new day now and then)
KEEP_WORLDS = 16  # seeds x fixtures kept


@dataclass(frozen=True)
class Baseline:
    """The seeded records around ``anchor`` (never changed once built)."""

    anchor: float
    requests: Mapping[int, SessionRequest]
    sessions: Mapping[str, Session]
    next_id: int


Generate = Callable[[VendorContext, float], Baseline]
_lock = threading.Lock()
_worlds: dict[tuple[int, str], dict[float, Baseline]] = {}  # (seed, fixtures) -> anchor -> baseline


def anchor_of(ctx: VendorContext) -> float:
    start = ctx.clock.start
    return start - start % DAY


def shared(ctx: VendorContext, generate: Generate) -> Baseline:
    """The baseline of ``ctx``'s seed, fixtures and anchor: generated once, then shared (or shifted)."""
    anchor = anchor_of(ctx)
    key = (ctx.source.seed, _fingerprint(ctx.fixtures))
    with _lock:
        days = _worlds.pop(key, None)
        if days is None:
            origin = kept(ctx, anchor, generate)
            days = {origin.anchor: origin}
        if anchor not in days:
            origin = next(iter(days.values()))
            days[anchor] = shifted(origin, anchor)
            while len(days) > KEEP_DAYS:
                del days[next(iter(days))]
        _worlds[key] = days  # most recently used last
        while len(_worlds) > KEEP_WORLDS:
            del _worlds[next(iter(_worlds))]
        return days[anchor]


def kept(ctx: VendorContext, anchor: float, generate: Generate) -> Baseline:
    """The baseline generated around ``anchor``, or one generated in an earlier run around another day."""
    return baselinecache.cached("prevail", ctx.source, ctx.fixtures, SOURCES, lambda: generate(ctx, anchor),
                                to_plain, from_plain)


def to_plain(base: Baseline) -> dict[str, Any]:
    """``base`` as plain data, records in their order."""
    return {
        "anchor": base.anchor, "next_id": base.next_id,
        "requests": [fields_of(request) for request in base.requests.values()],
        "sessions": [{**fields_of(session), "recordings": [fields_of(recording) for recording in session.recordings]}
                     for session in base.sessions.values()],
    }


def from_plain(data: Mapping[str, Any]) -> Baseline:
    requests = [record_from(SessionRequest, fields) for fields in data["requests"]]
    sessions = [record_from(Session, {**fields, "recordings": [record_from(Recording, recording)
                                                               for recording in fields["recordings"]]})
                for fields in data["sessions"]]
    return Baseline(float(data["anchor"]), {request.id: request for request in requests},
                    {session.remote_session_id: session for session in sessions}, int(data["next_id"]))


def shifted(base: Baseline, anchor: float) -> Baseline:
    """``base`` moved to ``anchor`` (whole days away): what seeding on that day gives."""
    delta = anchor - base.anchor
    requests = {key: _shift_request(request, delta) for key, request in base.requests.items()}
    sessions = {key: _shift_session(session, delta) for key, session in base.sessions.items()}
    return Baseline(anchor, requests, sessions, base.next_id)


def _local(epoch: float, time_zone: str) -> tuple[str, str]:
    zone = timezones.resolve(time_zone)
    if zone is None:  # seeded zones all resolve
        raise ValueError(f"unknown seeded time zone {time_zone!r}")
    return timezones.local_parts(epoch, zone)


def _shift_request(request: SessionRequest, delta: float) -> SessionRequest:
    starts_at = request.starts_at + delta
    start_date, start_time = _local(starts_at, request.remote_session["time_zone"])
    remote = {**request.remote_session, "start_date": start_date, "start_time": start_time}
    return replace(request, starts_at=starts_at, created_at=request.created_at + delta, remote_session=remote)


def _shift_session(session: Session, delta: float) -> Session:
    starts_at = session.starts_at + delta
    start_date, start_time = _local(starts_at, session.time_zone)
    recordings = [replace(recording, created_at=recording.created_at + delta) for recording in session.recordings]
    return replace(session, starts_at=starts_at, start_date=start_date, start_time=start_time, recordings=recordings)


def _fingerprint(fixtures: Mapping[str, Any]) -> str:
    """The fixtures section as text, so equal fixtures share a baseline whatever object holds them."""
    return repr(_plain(fixtures))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return sorted((str(key), _plain(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def forget() -> None:
    """Drop every baseline (tests that count generations start from none)."""
    with _lock:
        _worlds.clear()
