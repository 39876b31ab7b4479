"""Prevail (a Rails app) takes Rails time zone names, optionally behind a GMT offset, a few US
abbreviations, and - as its page points at the IANA Time Zone Database - IANA names such as
``America/New_York``. Each maps to an IANA zone so start times become instants on the clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

RAILS_ZONES: dict[str, str] = {
    "International Date Line West": "Etc/GMT+12", "American Samoa": "Pacific/Pago_Pago",
    "Midway Island": "Pacific/Midway", "Hawaii": "Pacific/Honolulu", "Alaska": "America/Juneau",
    "Pacific Time (US & Canada)": "America/Los_Angeles", "Tijuana": "America/Tijuana",
    "Arizona": "America/Phoenix", "Mazatlan": "America/Mazatlan",
    "Mountain Time (US & Canada)": "America/Denver", "Central America": "America/Guatemala",
    "Central Time (US & Canada)": "America/Chicago", "Chihuahua": "America/Chihuahua",
    "Guadalajara": "America/Mexico_City", "Mexico City": "America/Mexico_City",
    "Monterrey": "America/Monterrey", "Saskatchewan": "America/Regina", "Bogota": "America/Bogota",
    "Eastern Time (US & Canada)": "America/New_York", "Indiana (East)": "America/Indiana/Indianapolis",
    "Lima": "America/Lima", "Quito": "America/Lima", "Atlantic Time (Canada)": "America/Halifax",
    "Caracas": "America/Caracas", "Georgetown": "America/Guyana", "La Paz": "America/La_Paz",
    "Puerto Rico": "America/Puerto_Rico", "Santiago": "America/Santiago", "Newfoundland": "America/St_Johns",
    "Brasilia": "America/Sao_Paulo", "Buenos Aires": "America/Argentina/Buenos_Aires",
    "Montevideo": "America/Montevideo", "Greenland": "America/Nuuk", "Mid-Atlantic": "Atlantic/South_Georgia",
    "Azores": "Atlantic/Azores", "Cape Verde Is.": "Atlantic/Cape_Verde", "Edinburgh": "Europe/London",
    "Lisbon": "Europe/Lisbon", "London": "Europe/London", "Monrovia": "Africa/Monrovia", "UTC": "Etc/UTC",
    "Amsterdam": "Europe/Amsterdam", "Belgrade": "Europe/Belgrade", "Berlin": "Europe/Berlin",
    "Bern": "Europe/Zurich", "Bratislava": "Europe/Bratislava", "Brussels": "Europe/Brussels",
    "Budapest": "Europe/Budapest", "Casablanca": "Africa/Casablanca", "Copenhagen": "Europe/Copenhagen",
    "Dublin": "Europe/Dublin", "Ljubljana": "Europe/Ljubljana", "Madrid": "Europe/Madrid",
    "Paris": "Europe/Paris", "Prague": "Europe/Prague", "Rome": "Europe/Rome", "Sarajevo": "Europe/Sarajevo",
    "Skopje": "Europe/Skopje", "Stockholm": "Europe/Stockholm", "Vienna": "Europe/Vienna",
    "Warsaw": "Europe/Warsaw", "West Central Africa": "Africa/Algiers", "Zagreb": "Europe/Zagreb",
    "Zurich": "Europe/Zurich", "Athens": "Europe/Athens", "Bucharest": "Europe/Bucharest",
    "Cairo": "Africa/Cairo", "Harare": "Africa/Harare", "Helsinki": "Europe/Helsinki",
    "Jerusalem": "Asia/Jerusalem", "Kaliningrad": "Europe/Kaliningrad", "Kyiv": "Europe/Kyiv",
    "Pretoria": "Africa/Johannesburg", "Riga": "Europe/Riga", "Sofia": "Europe/Sofia",
    "Tallinn": "Europe/Tallinn", "Vilnius": "Europe/Vilnius", "Baghdad": "Asia/Baghdad",
    "Istanbul": "Europe/Istanbul", "Kuwait": "Asia/Kuwait", "Minsk": "Europe/Minsk", "Moscow": "Europe/Moscow",
    "Nairobi": "Africa/Nairobi", "Riyadh": "Asia/Riyadh", "St. Petersburg": "Europe/Moscow",
    "Volgograd": "Europe/Volgograd", "Tehran": "Asia/Tehran", "Abu Dhabi": "Asia/Muscat", "Baku": "Asia/Baku",
    "Muscat": "Asia/Muscat", "Samara": "Europe/Samara", "Tbilisi": "Asia/Tbilisi", "Yerevan": "Asia/Yerevan",
    "Kabul": "Asia/Kabul", "Ekaterinburg": "Asia/Yekaterinburg", "Islamabad": "Asia/Karachi",
    "Karachi": "Asia/Karachi", "Tashkent": "Asia/Tashkent", "Chennai": "Asia/Kolkata", "Kolkata": "Asia/Kolkata",
    "Mumbai": "Asia/Kolkata", "New Delhi": "Asia/Kolkata", "Sri Jayawardenepura": "Asia/Colombo",
    "Kathmandu": "Asia/Kathmandu", "Almaty": "Asia/Almaty", "Astana": "Asia/Dhaka", "Dhaka": "Asia/Dhaka",
    "Urumqi": "Asia/Urumqi", "Rangoon": "Asia/Yangon", "Bangkok": "Asia/Bangkok", "Hanoi": "Asia/Bangkok",
    "Jakarta": "Asia/Jakarta", "Krasnoyarsk": "Asia/Krasnoyarsk", "Novosibirsk": "Asia/Novosibirsk",
    "Beijing": "Asia/Shanghai", "Chongqing": "Asia/Chongqing", "Hong Kong": "Asia/Hong_Kong",
    "Irkutsk": "Asia/Irkutsk", "Kuala Lumpur": "Asia/Kuala_Lumpur", "Perth": "Australia/Perth",
    "Singapore": "Asia/Singapore", "Taipei": "Asia/Taipei", "Ulaanbaatar": "Asia/Ulaanbaatar",
    "Osaka": "Asia/Tokyo", "Sapporo": "Asia/Tokyo", "Seoul": "Asia/Seoul", "Tokyo": "Asia/Tokyo",
    "Yakutsk": "Asia/Yakutsk", "Adelaide": "Australia/Adelaide", "Darwin": "Australia/Darwin",
    "Brisbane": "Australia/Brisbane", "Canberra": "Australia/Canberra", "Guam": "Pacific/Guam",
    "Hobart": "Australia/Hobart", "Melbourne": "Australia/Melbourne", "Port Moresby": "Pacific/Port_Moresby",
    "Sydney": "Australia/Sydney", "Vladivostok": "Asia/Vladivostok", "Magadan": "Asia/Magadan",
    "New Caledonia": "Pacific/Noumea", "Solomon Is.": "Pacific/Guadalcanal", "Srednekolymsk": "Asia/Srednekolymsk",
    "Auckland": "Pacific/Auckland", "Fiji": "Pacific/Fiji", "Kamchatka": "Asia/Kamchatka",
    "Marshall Is.": "Pacific/Majuro", "Wellington": "Pacific/Auckland", "Chatham Is.": "Pacific/Chatham",
    "Nuku'alofa": "Pacific/Tongatapu", "Samoa": "Pacific/Apia", "Tokelau Is.": "Pacific/Fakaofo",
}

ABBREVIATIONS: dict[str, str] = {
    "EST": "America/New_York", "EDT": "America/New_York", "CST": "America/Chicago", "CDT": "America/Chicago",
    "MST": "America/Denver", "MDT": "America/Denver", "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles", "AKST": "America/Anchorage", "HST": "Pacific/Honolulu", "GMT": "Etc/UTC",
}

GMT_PREFIX = re.compile(r"^\(GMT([+-])(\d{2}):(\d{2})\) (.+)$")

# Prevail reports recording times in its own (US Central) zone, as "Jan 17 2025 01:22:06 PM CST".
SERVER_ZONE = ZoneInfo("America/Chicago")


def resolve(name: str) -> tzinfo | None:
    """The zone a Prevail ``time_zone`` names, or None when it names none."""
    match = GMT_PREFIX.match(name)
    if match:
        sign, hours, minutes, region = match.groups()
        if region in RAILS_ZONES:
            return ZoneInfo(RAILS_ZONES[region])
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        return timezone(offset if sign == "+" else -offset)
    iana = RAILS_ZONES.get(name) or ABBREVIATIONS.get(name)
    if iana is None and name in iana_names():
        iana = name
    return ZoneInfo(iana) if iana else None


@cache
def iana_names() -> frozenset[str]:
    """The IANA zone names the installed tz database knows (read once: it walks the database's files),
    without its ``Factory`` placeholder and the system's ``localtime`` alias, which name no place."""
    return frozenset(available_timezones()) - {"Factory", "localtime"}


def local_start(start_date: str, start_time: str, zone: tzinfo) -> float:
    """Epoch seconds of ``2025-01-28`` + ``01:30 AM`` in ``zone``. Raises ValueError."""
    moment = datetime.strptime(f"{start_date} {start_time}", "%Y-%m-%d %I:%M %p")  # noqa: DTZ007 - zone set below
    return moment.replace(tzinfo=zone).timestamp()


def local_parts(epoch: float, zone: tzinfo) -> tuple[str, str]:
    moment = datetime.fromtimestamp(epoch, tz=UTC).astimezone(zone)
    return moment.strftime("%Y-%m-%d"), moment.strftime("%I:%M %p")


def server_timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).astimezone(SERVER_ZONE).strftime("%b %d %Y %I:%M:%S %p %Z")
