from __future__ import annotations

import json

import pytest

from simulator.cli import main


def test_credentials_list_the_vonage_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["credentials", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)["vonage"]
    assert [set(entry) for entry in found] == [{"api_key", "account_id", "region"}] * 2
    assert {entry["region"] for entry in found} == {"us", "eu"}
