"""With an admin token, the admin API asks for it; health, signed downloads and vendors do not."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import make_settings, prevail_token

TOKEN = "admin-secret-for-tests"


@pytest.fixture(scope="module")
def guarded() -> Iterator[ThreadedServer]:
    with ThreadedServer(create_app(make_settings(admin_token=TOKEN))) as running:
        yield running


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/_sim/journal"), ("POST", "/_sim/reset"), ("GET", "/_sim/clock"), ("GET", "/_sim/namespaces"),
    ("DELETE", "/_sim/namespaces/default"), ("POST", "/_sim/koreai/calls"), ("GET", "/_sim/coverage"),
])
def test_admin_operations_need_the_token(guarded: ThreadedServer, method: str, path: str) -> None:
    missing = httpx.request(method, guarded.url + path, json={}, timeout=10)
    assert missing.status_code == 401, missing.text
    assert missing.json()["error"]["code"] == "admin_token_required"
    assert "X-Sim-Admin-Token" in missing.json()["error"]["message"]
    wrong = httpx.request(method, guarded.url + path, json={}, headers={"X-Sim-Admin-Token": "nope"}, timeout=10)
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "admin_token_invalid"


def test_the_token_opens_them_as_a_header_or_a_bearer(guarded: ThreadedServer) -> None:
    by_header = httpx.get(f"{guarded.url}/_ns/tok/_sim/clock", headers={"X-Sim-Admin-Token": TOKEN}, timeout=10)
    by_bearer = httpx.get(f"{guarded.url}/_ns/tok/_sim/clock", headers={"Authorization": f"Bearer {TOKEN}"},
                          timeout=10)
    assert by_header.status_code == by_bearer.status_code == 200


def test_a_refused_caller_creates_no_namespace(guarded: ThreadedServer) -> None:
    assert httpx.get(f"{guarded.url}/_ns/intruder/_sim/clock", timeout=10).status_code == 401
    listed = httpx.get(f"{guarded.url}/_sim/namespaces", headers={"X-Sim-Admin-Token": TOKEN}, timeout=10)
    assert "intruder" not in listed.json()["namespaces"]


def test_health_vendors_and_signed_downloads_stay_open(guarded: ThreadedServer) -> None:
    assert httpx.get(f"{guarded.url}/_sim/health", timeout=10).status_code == 200
    api = httpx.Client(base_url=guarded.url, headers={"Authorization": f"Bearer {prevail_token()}"}, timeout=10)
    sessions = api.get("/api/v1/sessions", params={"items": 100}).json()["sessions"]
    assert sessions
    done = next(s for s in sessions if s["state"] == "completed")
    recordings = api.get(f"/api/v1/sessions/{done['remote_session_id']}/recordings")
    assert recordings.status_code == 200, recordings.text
    url = recordings.json()["recordings"][0]["presigned_url"]
    download = httpx.get(url, headers={"Range": "bytes=0-15"}, timeout=10)  # no admin token: the URL is signed
    assert download.status_code == 206
