from __future__ import annotations

import base64
import os
import re
import subprocess
import sys

import httpx
import pytest

from simulator.app import create_app
from simulator.core.auth import sign_hs256
from simulator.core.clock import isoformat, to_datetime, wall_time
from simulator.testing.server import ThreadedServer
from tests.support import Sim, make_settings, prevail_token
from tests.vendors.prevail.helpers import new_request

KEY = "prevail-dev-key-acme-legal-4f9c2a7e1b"


def _alg_none() -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    return part(b'{"alg":"none","typ":"JWT"}') + "." + part(b'{"slug":"acme-legal","exp":4102444800}') + "."


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "Missing credentials"),
        ("Bearer not-a-jwt", "Malformed token"),
        ("Bearer " + sign_hs256({"slug": "acme-legal", "exp": 4102444800}, "wrong-key-wrong-key-wrong-key-123"),
         "signature does not match"),
        ("Bearer " + sign_hs256({"slug": "acme-legal", "exp": 1737385000}, KEY), "expired"),
        ("Bearer " + sign_hs256({"slug": "acme-legal"}, KEY), "'exp'"),
        ("Bearer " + sign_hs256({"exp": 4102444800}, KEY), "'slug'"),
        ("Bearer " + _alg_none(), "'none'"),
        ("Basic dXNlcjpwYXNz", "Missing credentials"),
    ],
    ids=["missing", "malformed", "wrong-key", "expired", "no-exp", "no-slug", "alg-none", "basic"],
)
def test_bad_credentials_get_401_with_a_reason(sim: Sim, authorization: str | None, message: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = sim.http.get("/api/v1/session_requests", headers=headers)
    assert response.status_code == 401
    assert message in response.json()["error"]
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_expiry_follows_the_namespace_clock_when_asked(sim: Sim) -> None:
    assert sim.http.put("/_sim/clock", json={"token_clock": "namespace"}).status_code == 200
    token = prevail_token(ttl=3600)
    headers = {"Authorization": f"Bearer {token}"}
    assert sim.http.get("/api/v1/sessions", headers=headers).status_code == 200
    sim.advance(3600)
    refused = sim.http.get("/api/v1/sessions", headers=headers)
    assert refused.status_code == 401 and "expired 0 s ago by the namespace clock" in refused.json()["error"]


def test_token_as_jwt_payload_query_or_body_field(sim: Sim) -> None:
    token = prevail_token()
    assert sim.http.get("/api/v1/session_requests", params={"jwt_payload": token}).status_code == 200
    body = {**new_request(), "jwt_payload": token}
    assert sim.http.post("/api/v1/session_requests", json=body).status_code == 201


def test_rejected_request_stores_nothing(sim: Sim) -> None:
    before = sim.prevail().get("/api/v1/session_requests").json()["pagy"]["count"]
    bad = httpx.post(f"{sim.base}/api/v1/session_requests", json=new_request(),
                     headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert sim.prevail().get("/api/v1/session_requests").json()["pagy"]["count"] == before


def _run_like_the_readme(sim: Sim) -> None:
    """The namespace clock starts at the wall's now (as `simulator serve` without --clock-start), then the
    README's advance."""
    assert sim.http.put("/_sim/clock", json={"now": isoformat(to_datetime(wall_time()))}).status_code == 200
    sim.advance(90000)


def test_tokens_are_judged_by_the_wall_clock_so_a_clock_advance_expires_none(sim: Sim) -> None:
    _run_like_the_readme(sim)
    minted = prevail_token(ttl=600, now=wall_time())  # as clients mint exp: from wall time
    assert sim.http.get("/api/v1/sessions", headers={"Authorization": f"Bearer {minted}"}).status_code == 200
    fresh = subprocess.run([sys.executable, "-m", "simulator", "token", "prevail", "--ttl", "600"],
                           capture_output=True, text=True, check=True, env=os.environ).stdout.strip()
    assert sim.http.get("/api/v1/sessions", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    assert sim.http.get("/_sim/clock").json()["token_clock"] == "wall"


def test_an_expired_token_says_which_clock_judged_it(sim: Sim) -> None:
    stale = prevail_token(ttl=600, now=wall_time() - 1800)
    refused = sim.http.get("/api/v1/sessions", headers={"Authorization": f"Bearer {stale}"})
    assert refused.status_code == 401
    assert re.search(r"expired 1[12]\d\d s ago by the wall clock", refused.json()["error"])


@pytest.mark.parametrize(("claim", "code"), [("nbf", "not valid yet"), ("iat", "issued in the future")])
def test_a_token_from_the_future_gets_401_naming_the_claim(sim: Sim, claim: str, code: str) -> None:
    now = int(wall_time())
    ahead = sign_hs256({"slug": "acme-legal", "exp": now + 3600, claim: now + 120}, KEY)
    refused = sim.http.get("/api/v1/sessions", headers={"Authorization": f"Bearer {ahead}"})
    assert refused.status_code == 401 and code in refused.json()["error"]
    assert f"'{claim}' is 1" in refused.json()["error"] and "wall clock" in refused.json()["error"]
    skewed = sign_hs256({"slug": "acme-legal", "exp": now + 3600, claim: now + 2}, KEY)  # within the leeway
    assert sim.http.get("/api/v1/sessions", headers={"Authorization": f"Bearer {skewed}"}).status_code == 200


def test_reset_returns_to_the_servers_token_clock(sim: Sim) -> None:
    assert sim.http.put("/_sim/clock", json={"token_clock": "namespace"}).json()["token_clock"] == "namespace"
    assert sim.http.get(f"/_sim/namespaces/{sim.namespace}").json()["token_clock"] == "namespace"
    assert sim.http.post("/_sim/reset").status_code == 200
    assert sim.http.get("/_sim/clock").json()["token_clock"] == "wall"
    refused = sim.http.put("/_sim/clock", json={"token_clock": "sundial"})
    assert refused.status_code == 400 and "token_clock" in refused.text


def test_the_server_can_judge_by_namespace_clocks_by_default() -> None:
    with ThreadedServer(create_app(make_settings(token_clock="namespace"))) as running:
        http = httpx.Client(base_url=running.url, timeout=10)
        assert http.get("/_sim/clock").json()["token_clock"] == "namespace"
        token = prevail_token(ttl=60)  # minted from the namespace clock's start
        assert http.get("/api/v1/sessions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert http.post("/_sim/clock/advance", json={"seconds": 60}).status_code == 200
        refused = http.get("/api/v1/sessions", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401 and "by the namespace clock" in refused.json()["error"]
        http.close()
