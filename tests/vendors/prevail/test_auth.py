from __future__ import annotations

import base64

import httpx
import pytest

from simulator.core.auth import sign_hs256
from tests.support import Sim, prevail_token
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


def test_expiry_follows_the_namespace_clock(sim: Sim) -> None:
    token = prevail_token(ttl=3600)
    headers = {"Authorization": f"Bearer {token}"}
    assert sim.http.get("/api/v1/sessions", headers=headers).status_code == 200
    sim.advance(3600)
    assert sim.http.get("/api/v1/sessions", headers=headers).status_code == 401


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
