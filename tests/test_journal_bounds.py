from __future__ import annotations

import httpx

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import make_settings


def test_journal_memory_stays_bounded_under_load() -> None:
    app = create_app(make_settings(journal_size=50))
    with ThreadedServer(app) as server, httpx.Client(base_url=server.url) as client:
        for _ in range(400):
            client.get("/_sim/clock")
        body = client.get("/_sim/journal").json()
        assert body["capacity"] == 50 and len(body["entries"]) == 50
        assert body["entries"][-1]["seq"] == 400  # the newest are kept, oldest dropped


def test_pagy_overflow_setting() -> None:
    from tests.support import prevail_token

    headers = {"Authorization": f"Bearer {prevail_token()}"}
    for mode, status, page in (("exception", 400, None), ("last_page", 200, 4)):
        with ThreadedServer(create_app(make_settings(pagy_overflow=mode))) as server:
            response = httpx.get(f"{server.url}/api/v1/session_requests?page=9", headers=headers)
            assert response.status_code == status
            if page:
                assert response.json()["pagy"]["page"] == page
            else:
                assert "past the last page" in response.json()["error"]
