"""Deterministic Kore.ai calls around the namespace clock's start.

Every value of a seeded call comes from a source named after its bot and index, so the same seed
gives the same session ids, callers and recordings; times are laid out relative to the clock's start
(to the second), so the same seed and clock start give byte-identical answers. Per bot, the first
call is still running at the start and the second is generating its media; the others ended during
the week before, a few of them without media.
"""

from __future__ import annotations

from typing import Any

from simulator.core.store import VendorContext
from simulator.vendors.koreai.models import KoreaiBackend

DAY = 86400
SEGMENTS = (1, 1, 1, 1, 2, 3)  # most calls have one merged recording; transferred calls have more


def seeded(ctx: VendorContext) -> KoreaiBackend:
    """The namespace's Kore.ai backend: the fixtures' apps, and their calls unless the namespace asks for none."""
    backend = KoreaiBackend(ctx)
    if not ctx.empty:
        populate(backend, ctx.fixtures)
    return backend


def populate(backend: KoreaiBackend, fixtures: Any) -> None:
    source = backend.ctx.source
    anchor = float(int(backend.ctx.clock.start))
    delay = int(backend.options.media_delay)
    for app in fixtures.get("apps", []):
        for bot_id in app.get("bot_ids", []):
            for index in range(int(app.get("seed_calls_per_bot", 0))):
                child = source.child(f"seed-call:{bot_id}:{index}")
                session_id = child.hex(24)
                if index == 0:  # answered a few minutes ago, still talking
                    started = anchor - child.integer(60, 600)
                    ends = started + child.integer(900, 2400)
                elif index == 1:  # just hung up: the recording is being generated
                    ends = anchor - child.integer(0, max(delay - 1, 0))
                    started = ends - child.integer(60, 900)
                else:
                    ends = anchor - child.integer(3600, 7 * DAY)
                    started = ends - child.integer(30, 900)
                has_media = index < 2 or not child.chance(0.15)
                backend.add_call(session_id, bot_id, None, started, ends, has_media, child.choice(SEGMENTS))
        for picked in app.get("calls", []):
            started = anchor - float(picked.get("started_seconds_before_start", 0))
            duration = picked.get("duration_seconds")
            backend.add_call(
                str(picked["session_id"]), str(picked["bot_id"]), picked.get("user_id"), started,
                None if duration is None else started + float(duration), bool(picked.get("has_media", True)),
                int(picked.get("recordings", 1)),
            )
