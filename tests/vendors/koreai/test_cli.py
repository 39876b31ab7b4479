from __future__ import annotations

import json

import jwt
import pytest

from simulator.cli import main
from simulator.core.clock import wall_time
from tests.vendors.koreai.helpers import CONTOSO, CONTOSO_BOT, NORTHWIND, NORTHWIND_BOT


def test_credentials_list_every_app_with_its_bots_and_a_ready_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["credentials", "--json"]) == 0
    apps = json.loads(capsys.readouterr().out)["koreai"]
    assert [app["client_id"] for app in apps] == [NORTHWIND, CONTOSO]
    assert NORTHWIND_BOT in apps[0]["bot_ids"] and apps[1]["bot_ids"] == [CONTOSO_BOT]
    for app in apps:
        claims = jwt.decode(app["token"], app["client_secret"], algorithms=["HS256"])
        assert claims["appId"] == app["client_id"] and claims["sub"]
        assert claims["exp"] > wall_time() + 10 * 365 * 86400


def test_token_koreai_for_a_chosen_app_and_ttl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "koreai", "--tenant", CONTOSO, "--ttl", "120"]) == 0
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, "koreai-dev-secret-contoso-3Hk8Ny5BwD2gJ6vF", algorithms=["HS256"])
    assert claims["appId"] == CONTOSO and 0 < claims["exp"] - wall_time() <= 121


def test_token_koreai_defaults_to_the_first_app(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "koreai"]) == 0
    assert jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})["appId"] == NORTHWIND


def test_token_koreai_for_an_unknown_app_fails_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "koreai", "--tenant", "cs-nobody"]) == 2
    assert "cs-nobody" in capsys.readouterr().err
