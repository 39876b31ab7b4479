"""The `auth` header: an HS256 JWT of the app's client secret; bots belong to one app."""

from __future__ import annotations

import base64

import jwt
import orjson
import pytest

from simulator.core.auth import sign_hs256
from tests.support import Sim
from tests.vendors.koreai.helpers import (
    CONTOSO,
    CONTOSO_BOT,
    NORTHWIND,
    NORTHWIND_BOT,
    README_SESSION,
    Koreai,
    koreai_fixtures,
    koreai_token,
    recordings_path,
)

SECRET = "koreai-dev-secret-northwind-7Qm2Xv9LpR4sT8wZ"
QUERY = {"sessionId": README_SESSION}


def _get(sim: Sim, headers: dict[str, str], bot_id: str = NORTHWIND_BOT) -> tuple[int, str]:
    response = sim.http.get(recordings_path(bot_id), params=QUERY, headers=headers)
    errors = response.json()["errors"] if response.status_code >= 400 else [{"msg": "", "code": 200}]
    assert errors[0]["code"] == response.status_code, "each error entry carries the HTTP status"
    return response.status_code, str(errors[0]["msg"])


def _unsigned(claims: dict[str, object]) -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def test_a_token_of_the_bots_app_is_accepted(sim: Sim, kore: Koreai) -> None:
    assert kore.status(README_SESSION) == "success"


def test_missing_auth_is_401_in_the_vendor_shape(sim: Sim) -> None:
    status, message = _get(sim, {})
    assert status == 401 and "auth: <JWT>" in message


def test_a_bearer_header_is_not_how_kore_takes_it(sim: Sim) -> None:
    status, message = _get(sim, {"Authorization": f"Bearer {koreai_token()}"})
    assert status == 401 and "Authorization: Bearer" in message


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (sign_hs256({"sub": "me", "appId": NORTHWIND}, "not-the-secret"), "signature"),
        (sign_hs256({"sub": "me", "appId": "cs-nobody"}, SECRET), "cs-nobody"),
        (sign_hs256({"sub": "me"}, SECRET), "appId"),
        (sign_hs256({"appId": NORTHWIND}, SECRET), "sub"),
        (_unsigned({"sub": "me", "appId": NORTHWIND}), "HS256"),
        ("not-a-jwt", "three"),
    ],
    ids=["wrong-secret", "unknown-app", "no-appId", "no-sub", "alg-none", "garbage"],
)
def test_invalid_tokens_are_401_naming_the_reason(sim: Sim, token: str, reason: str) -> None:
    status, message = _get(sim, {"auth": token})
    assert status == 401 and reason in message


def test_exp_is_optional_and_judged_on_the_namespace_clock_when_asked(sim: Sim) -> None:
    assert sim.http.put("/_sim/clock", json={"token_clock": "namespace"}).json()["token_clock"] == "namespace"
    without_exp = sign_hs256({"sub": "me", "appId": NORTHWIND}, SECRET)
    short = koreai_token(ttl=60)
    assert _get(sim, {"auth": without_exp})[0] == 200
    assert _get(sim, {"auth": short})[0] == 200
    sim.advance(61)
    status, message = _get(sim, {"auth": short})
    assert status == 401 and "expired 1 s ago by the namespace clock" in message
    assert _get(sim, {"auth": without_exp})[0] == 200


def test_a_bot_of_another_app_is_403(sim: Sim) -> None:
    status, message = _get(sim, {"auth": koreai_token(NORTHWIND)}, bot_id=CONTOSO_BOT)
    assert status == 403 and CONTOSO_BOT in message and NORTHWIND in message
    assert _get(sim, {"auth": koreai_token(CONTOSO)}, bot_id=CONTOSO_BOT)[0] == 200


def test_an_unknown_bot_is_404_and_a_bad_token_wins_over_it(sim: Sim) -> None:
    status, message = _get(sim, {"auth": koreai_token()}, bot_id="st-00000000-0000-0000-0000-000000000000")
    assert status == 404 and "not found" in message
    assert _get(sim, {}, bot_id="st-00000000-0000-0000-0000-000000000000")[0] == 401


def test_delete_checks_the_same_way(sim: Sim) -> None:
    assert sim.http.delete(recordings_path(), params=QUERY).status_code == 401
    other = sim.http.delete(recordings_path(CONTOSO_BOT), params=QUERY, headers={"auth": koreai_token()})
    assert other.status_code == 403
    unknown = sim.http.delete(recordings_path("st-nobody"), params=QUERY, headers={"auth": koreai_token()})
    assert unknown.status_code == 404


def test_development_tokens_carry_app_id_and_sub() -> None:
    fixtures = koreai_fixtures()
    claims = jwt.decode(koreai_token(CONTOSO), fixtures["apps"][1]["client_secret"], algorithms=["HS256"])
    assert claims["appId"] == CONTOSO and claims["sub"]
