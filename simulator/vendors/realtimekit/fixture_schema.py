"""What the ``realtimekit`` section of a fixtures file may hold (read by ``models`` and ``seed``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.core.fixturerules import YEAR, FixtureProblem, Integer, ListOf, Number, Record, Text

MAX_SEED_MEETINGS = 1000  # per app; each has one to four sessions of up to twenty participants

APP = Record(
    {"app_id": Text(), "name": Text(), "seed_meetings": Integer(0, MAX_SEED_MEETINGS),
     "live_meetings": Integer(0, MAX_SEED_MEETINGS)},
    required=("app_id",),
)
ACCOUNT = Record(
    {"account_id": Text(), "name": Text(), "apps": ListOf(APP, unique=("app_id",))},
    required=("account_id",),
)
API_TOKEN = Record(
    {"api_token": Text(), "account_ids": ListOf(Text(), unique=(".",))},
    required=("api_token",),
)
API_KEY = Record(
    {"email": Text(), "api_key": Text(), "account_ids": ListOf(Text(), unique=(".",))},
    required=("email", "api_key"),
)


def _credentials_name_known_accounts(section: Mapping[str, Any], path: str) -> None:
    """A credential's account that is in no ``accounts`` entry is a typo: the credential would see nothing."""
    known = {account["account_id"] for account in section.get("accounts", [])}
    for kind in ("api_tokens", "api_keys"):
        for number, credential in enumerate(section.get(kind, [])):
            for index, account_id in enumerate(credential.get("account_ids", [])):
                if account_id not in known:
                    raise FixtureProblem(f"{path}.{kind}[{number}].account_ids[{index}]",
                                         f"{account_id!r} is in no entry of {path}.accounts")


def _app_ids_unique_across_accounts(section: Mapping[str, Any], path: str) -> None:
    seen: dict[str, str] = {}
    for number, account in enumerate(section.get("accounts", [])):
        for index, app in enumerate(account.get("apps", [])):
            here = f"{path}.accounts[{number}].apps[{index}].app_id"
            if app["app_id"] in seen:
                raise FixtureProblem(here, f"{app['app_id']!r} is already used at {seen[app['app_id']]}")
            seen[app["app_id"]] = here


SCHEMA = Record(
    {
        "summary_delay_seconds": Number(0, 10 * YEAR),
        "download_ttl_seconds": Integer(1, 10 * YEAR),
        "accounts": ListOf(ACCOUNT, unique=("account_id",)),
        "api_tokens": ListOf(API_TOKEN, unique=("api_token",)),
        "api_keys": ListOf(API_KEY),
    },
    checks=(_credentials_name_known_accounts, _app_ids_unique_across_accounts),
)
