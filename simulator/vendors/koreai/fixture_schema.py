"""What the ``koreai`` section of a fixtures file may hold (read by ``models`` and ``seed``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core.fixturerules import YEAR, Boolean, FixtureProblem, Integer, ListOf, Nullable, Number, Record, Text

DAY = 86400
MAX_SEED_CALLS = 1000  # per bot

# As the admin API's createKoreaiCall takes them (specs/admin.yaml), so a fixture call is one it could store.
CALL = Record(
    {
        "session_id": Text(128, r"[A-Za-z0-9._:-]+", "letters, digits, '.', '_', ':' or '-'"),
        "bot_id": Text(),
        "user_id": Text(),
        "started_seconds_before_start": Number(0, 10 * YEAR),
        "duration_seconds": Nullable(Number(0, DAY)),  # null: still in progress at the clock's start
        "has_media": Boolean(),
        "recordings": Integer(1, 5),
    },
    required=("session_id", "bot_id"),
)


def _calls_use_the_apps_bots(app: Mapping[str, Any], path: str) -> None:
    bots = set(app.get("bot_ids", []))
    for index, call in enumerate(app.get("calls", [])):
        if call["bot_id"] not in bots:
            raise FixtureProblem(f"{path}.calls[{index}].bot_id",
                                 f"{call['bot_id']!r} is not one of this app's bot_ids")


APP = Record(
    {
        "client_id": Text(),
        "client_secret": Text(),  # the HS256 secret of the app's JWTs
        "name": Text(),
        "account_id": Text(),
        "bot_ids": ListOf(Text(), unique=(".",)),
        "seed_calls_per_bot": Integer(0, MAX_SEED_CALLS),
        "calls": ListOf(CALL, unique=("session_id",)),
    },
    required=("client_id", "client_secret", "account_id"),
    checks=(_calls_use_the_apps_bots,),
)


def _ids_unique_across_apps(section: Mapping[str, Any], path: str) -> None:
    """A bot or a call belongs to one app: a second one would silently replace (or clash with) the first."""
    seen: dict[tuple[str, str], str] = {}
    for number, app in enumerate(section.get("apps", [])):
        named = [("bot_ids", f"[{index}]", bot) for index, bot in enumerate(app.get("bot_ids", []))]
        named += [("calls", f"[{index}].session_id", call["session_id"])
                  for index, call in enumerate(app.get("calls", []))]
        for kind, where, value in named:
            here = f"{path}.apps[{number}].{kind}{where}"
            if (kind, value) in seen:
                raise FixtureProblem(here, f"{value!r} is already used at {seen[kind, value]}")
            seen[kind, value] = here


SCHEMA = Record(
    {
        "media_delay_seconds": Number(0, 10 * YEAR),
        "media_url_ttl_seconds": Integer(1, 10 * YEAR),
        "max_recording_seconds": Number(1, DAY),
        "media_environment": Text(32, r"[A-Za-z0-9_-]+", "letters, digits, '_' or '-' (a URL path segment)"),
        "apps": ListOf(APP, unique=("client_id",)),
    },
    checks=(_ids_unique_across_apps,),
)
