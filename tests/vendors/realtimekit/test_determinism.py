"""The same seed and clock start give byte-identical answers, in any namespace and whatever was read first."""

from __future__ import annotations

import httpx

from simulator.testing.server import ThreadedServer
from tests.vendors.realtimekit.helpers import NORTHWIND_TOKEN, SUPPORT, sessions_path

HEADERS = {"Authorization": f"Bearer {NORTHWIND_TOKEN}"}


def _answers(base: str, support_first: bool) -> list[bytes]:
    with httpx.Client(base_url=base, headers=HEADERS) as http:
        paths = [sessions_path(app_id=SUPPORT), sessions_path()] if support_first else [sessions_path(),
                                                                                         sessions_path(app_id=SUPPORT)]
        listings = {path: http.get(path, params={"per_page": 100}) for path in paths}
        webinars = listings[sessions_path()]
        first = webinars.json()["data"]["sessions"][0]["id"]
        participants = http.get(f"{sessions_path()}/{first}/participants", params={"include_peer_events": "true"})
        peer = participants.json()["data"]["participants"][-1]["id"]
        report = http.get(f"{sessions_path()}/peer-report/{peer}")
        return [webinars.content, listings[sessions_path(app_id=SUPPORT)].content, participants.content,
                report.content]


def test_two_namespaces_answer_the_same_bytes(server: ThreadedServer) -> None:
    assert _answers(f"{server.url}/_ns/same-a", False) == _answers(f"{server.url}/_ns/same-b", True)


def test_a_signed_url_is_bound_to_its_namespace(server: ThreadedServer) -> None:
    with httpx.Client(base_url=f"{server.url}/_ns/bound-a", headers=HEADERS) as http:
        first = http.get(sessions_path()).json()["data"]["sessions"][0]["id"]
        url = http.get(f"{sessions_path()}/{first}/chat").json()["data"]["chat_download_url"]
    assert httpx.get(url).status_code == 200
    assert httpx.get(url.replace("/_ns/bound-a/", "/_ns/bound-b/")).status_code == 403
