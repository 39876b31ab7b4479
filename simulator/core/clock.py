"""Virtual clocks. The only module that reads the wall clock.

Every namespace owns one :class:`Clock`. It either runs with the wall clock plus an offset, or is
frozen at an instant. Tests freeze, set and advance it; all expiries and lifecycle transitions are
computed from it, so advancing 25 hours expires a 24-hour URL without waiting.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

WallSource = Callable[[], float]


def wall_time() -> float:
    """Seconds since the epoch from the machine's clock."""
    return time.time()


def monotonic() -> float:
    """A monotonic reading for measuring latencies (never for simulated time)."""
    return time.perf_counter()


def to_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


_INSTANT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$"
)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 / RFC 3339 instant or date; no offset means UTC. Raises ValueError.

    Accepts what clients send: ``Z`` or ``+00:00``, any number of fraction digits, a leap second
    (``23:59:60`` is the next second), a bare date (its midnight).
    """
    match = _INSTANT.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an ISO 8601 instant")
    year, month, day, hour, minute, second, fraction, _zulu, sign, off_h, off_m = match.groups()
    leap = second == "60"
    moment = datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), 59 if leap else int(second or 0),
        int((fraction or "0")[:6].ljust(6, "0")), tzinfo=UTC,
    )
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        if offset >= timedelta(hours=24):
            raise ValueError(f"{text!r} has an offset of a day or more")
        moment -= offset if sign == "+" else -offset
    return moment + timedelta(seconds=1) if leap else moment


def isoformat(moment: datetime) -> str:
    """UTC ISO 8601 with a `Z` suffix and millisecond precision."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Clock:
    """A clock that runs at wall speed from a chosen start, or stands still when frozen."""

    def __init__(self, start: float | None = None, frozen: bool = False, wall: WallSource = wall_time):
        self._wall = wall
        begin = wall() if start is None else start
        self.start = begin
        self.start_chosen = start is not None  # else every clock starts at its own moment of creation
        self._offset = begin - wall()
        self._frozen_at: float | None = begin if frozen else None

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def timestamp(self) -> float:
        if self._frozen_at is not None:
            return self._frozen_at
        return self._wall() + self._offset

    def now(self) -> datetime:
        return to_datetime(self.timestamp())

    def set(self, moment: float) -> None:
        if self._frozen_at is not None:
            self._frozen_at = moment
        else:
            self._offset = moment - self._wall()

    def freeze(self) -> None:
        if self._frozen_at is None:
            self._frozen_at = self.timestamp()

    def unfreeze(self) -> None:
        if self._frozen_at is not None:
            self._offset = self._frozen_at - self._wall()
            self._frozen_at = None

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        self.set(self.timestamp() + seconds)
