from __future__ import annotations

import json

import pytest

from simulator.cli import main
from tests.vendors.realtimekit.helpers import (
    HARBOR,
    HARBOR_TOKEN,
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
    ]
