"""What the ``prevail`` section of a fixtures file may hold (read by ``models`` and ``seed``)."""

from __future__ import annotations

from simulator.core.fixturerules import YEAR, Boolean, Integer, ListOf, Number, Record, Text

MAX_SEED_REQUESTS = 10_000  # per organisation: generated session requests, each with Faker text

ORGANISATION = Record(
    {
        "slug": Text(128),
        "name": Text(),
        "api_key": Text(),  # the HS256 secret of the organisation's JWTs
        "self_service": Boolean(),
        "seed_requests": Integer(0, MAX_SEED_REQUESTS),
    },
    required=("slug", "api_key"),
)

SCHEMA = Record({
    "schedule_delay_seconds": Number(0, 10 * YEAR),
    "estimated_duration_hours": Number(0, 24 * 365),
    "transcript_delay_seconds": Number(0, 10 * YEAR),
    "organisations": ListOf(ORGANISATION, unique=("slug", "api_key")),
})
