from __future__ import annotations

import json

import pytest
from cloudflare import Cloudflare

from simulator.cli import main
from simulator.testing.server import ThreadedServer
from tests.support import Sim
from tests.vendors.realtimekit.helpers import (
    HARBOR,
    HARBOR_TOKEN,
    KEY,
    NORTHWIND,
    NORTHWIND_TOKEN,
    SUPPORT,
    TELEHEALTH,
    WEBINARS,
)


def test_credentials_list_each_token_with_its_account_and_apps(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["credentials", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)["realtimekit"]
    assert found == [
        {"api_token": NORTHWIND_TOKEN, "account_id": NORTHWIND, "app_ids": [WEBINARS, SUPPORT]},
        {"api_token": HARBOR_TOKEN, "account_id": HARBOR, "app_ids": [TELEHEALTH]},
        {"api_email": KEY["email"], "api_key": KEY["api_key"], "account_id": NORTHWIND, "app_ids": [WEBINARS, SUPPORT]},
        {"api_email": KEY["email"], "api_key": KEY["api_key"], "account_id": HARBOR, "app_ids": [TELEHEALTH]},
    ]


def test_the_listed_key_pair_opens_its_accounts(server: ThreadedServer, sim: Sim,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["credentials", "--json"]) == 0
    pairs = [c for c in json.loads(capsys.readouterr().out)["realtimekit"] if "api_email" in c]
    assert pairs
    for pair in pairs:
        with Cloudflare(api_email=pair["api_email"], api_key=pair["api_key"], max_retries=0,
                        base_url=f"{server.url}/_ns/{sim.namespace}/client/v4") as cf:
            listing = cf.realtime_kit.sessions.get_sessions(pair["app_ids"][0], account_id=pair["account_id"])
            assert listing.data is not None and listing.data.sessions


def test_credentials_text_shows_the_key_pair(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["credentials"]) == 0
    text = capsys.readouterr().out
    assert f"api_email: {KEY['email']}" in text and f"api_key: {KEY['api_key']}" in text
