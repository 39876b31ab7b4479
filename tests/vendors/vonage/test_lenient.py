"""A lenient server serves requests that break the spec: the Vonage operations still answer 4xx, never 5xx."""

from __future__ import annotations

import httpx

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import make_settings
from tests.vendors.vonage.helpers import US


def test_lenient_server_answers_broken_requests_with_the_vendors_errors() -> None:
    with ThreadedServer(create_app(make_settings(lenient=True))) as server:
        api = httpx.Client(base_url=server.url, headers={"X-Vgai-Key": US["api_key"]}, timeout=30)
        missing_dates = api.get("/insights/sessions")
        assert missing_dates.status_code == 401 and "from_date" in missing_dates.json()["detail"]
        bad_page = api.get("/insights/sessions", params={"from_date": "2025-01-01", "to_date": "2025-01-02",
                                                         "page_size": "many"})
        assert bad_page.status_code == 200 and bad_page.json()["page_size"] == "many"  # served with the default
        assert api.get("/insights/sessions/x/parameters").status_code == 401
        assert api.delete("/insights/sessions/x").status_code == 401
        for body in ({"id": "x"}, [1, 2], [{"account_id": ["us"]}]):
            stored = httpx.post(f"{server.url}/_sim/vonage/sessions", json=body)
            assert stored.status_code in (400, 404), (body, stored.text)
