"""Elasticsearch dates: ``strict_date_optional_time||epoch_millis`` with date math, in epoch milliseconds.

Dates are kept to the millisecond, as a ``date`` field does. A date that leaves out components is
filled in like Elasticsearch does: from the start of the period when rounding down (``gte``, ``lt``),
and as month 01, day 01, 23:59:59.999 when rounding up (``gt``, ``lte``), so ``lte: "2020-10-08"``
takes in the whole day. Date math: ``now-1d/d``, ``2020-01-01||+1M/d``; rounding up moves to the last
millisecond of the unit. ``now`` is the caller's clock.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_DATE = re.compile(
    r"^([+-]?\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?)?)?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_EPOCH_MILLIS = re.compile(r"^-?\d{5,}$")
_MATH = re.compile(r"([+-])(\d+)([yMwdhHms])|/([yMwdhHms])")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A date with nanoseconds and a zone is 35 characters; date math adds a few steps. Longer text is no
# date, and refusing it up front keeps date math (one step at a time) from running long.
MAX_DATE_CHARS = 128
_MS = timedelta(milliseconds=1)


class DateError(ValueError):
    pass


def to_millis(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_millis(millis: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=millis)


def parse_date(text: str, round_up: bool = False, now_ms: int | None = None) -> int:
    """Epoch milliseconds of a date, an epoch-millis string or a date-math expression."""
    if len(text) > MAX_DATE_CHARS:
        raise DateError(f"a date is at most {MAX_DATE_CHARS} characters, got {len(text)}")
    anchor, _, math = text.partition("||")
    if text.startswith("now"):
        if now_ms is None:
            raise DateError(f"{text!r}: 'now' is not allowed here")
        anchor, math = "now", text[3:]
        moment = from_millis(now_ms)
    elif "||" in text:
        moment = _parse_anchor(anchor, False)
    else:
        return to_millis(_parse_anchor(text, round_up))
    return to_millis(_apply_math(moment, math, round_up, text))


def _parse_anchor(text: str, round_up: bool) -> datetime:
    if _EPOCH_MILLIS.match(text):
        return _checked(lambda: from_millis(int(text)), text)
    match = _DATE.match(text)
    if not match:
        raise DateError(f"{text!r} is not a date (expected an ISO 8601 date or date-time, or epoch milliseconds)")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    filler = (1, 1, 23, 59, 59, 999_999) if round_up else (1, 1, 0, 0, 0, 0)
    micros = int(fraction[:6].ljust(6, "0")) if fraction is not None else filler[5]

    def build() -> datetime:
        moment = datetime(int(year), int(month or filler[0]), int(day or filler[1]),
                          int(hour if hour is not None else filler[2]),
                          int(minute if minute is not None else filler[3]),
                          int(second if second is not None else filler[4]), micros, tzinfo=UTC)
        return moment - _offset(zone) if zone else moment

    return _checked(build, text)


def _offset(zone: str) -> timedelta:
    if zone == "Z":
        return timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 18 or minutes > 59:
        raise DateError(f"offset {zone!r} is out of range")
    return sign * timedelta(hours=hours, minutes=minutes)


def _checked(build: Callable[[], datetime], text: str) -> datetime:
    try:
        return build()
    except (ValueError, OverflowError) as error:
        raise DateError(f"{text!r} is not a valid date ({error})") from None


def _apply_math(moment: datetime, math: str, round_up: bool, text: str) -> datetime:
    position = 0
    while position < len(math):
        match = _MATH.match(math, position)
        if not match:
            raise DateError(f"{text!r}: cannot read date math at {math[position:]!r}")
        sign, amount, unit, rounding = match.groups()
        try:
            if rounding:
                moment = _round(moment, rounding, round_up)
            else:
                moment = _add(moment, int(amount) * (1 if sign == "+" else -1), unit)
        except (ValueError, OverflowError) as error:
            raise DateError(f"{text!r}: date math leaves the supported years ({error})") from None
        position = match.end()
    return moment


def _add(moment: datetime, amount: int, unit: str) -> datetime:
    if unit in ("y", "M"):
        months = moment.month - 1 + amount * (12 if unit == "y" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)
    seconds = {"w": 604_800, "d": 86_400, "h": 3_600, "H": 3_600, "m": 60, "s": 1}[unit]
    return moment + timedelta(seconds=amount * seconds)


def _round(moment: datetime, unit: str, round_up: bool) -> datetime:
    if unit == "y":
        start = moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "M":
        start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "w":
        start = (moment - timedelta(days=moment.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    elif unit == "d":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    elif unit in ("h", "H"):
        start = moment.replace(minute=0, second=0, microsecond=0)
    elif unit == "m":
        start = moment.replace(second=0, microsecond=0)
    else:
        start = moment.replace(microsecond=0)
    if not round_up:
        return start
    return _add(start, 1, unit) - _MS if unit in ("y", "M") else start + _unit_length(unit) - _MS


def _unit_length(unit: str) -> timedelta:
    return timedelta(seconds={"w": 604_800, "d": 86_400, "h": 3_600, "H": 3_600, "m": 60, "s": 1}[unit])
