"""RealtimeKit IDs as clients send them: any shape that names nothing is 404 in Cloudflare's envelope,
as an unknown UUID is; only the length is bounded."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import Sim
from tests.vendors.realtimekit.helpers import NORTHWIND_TOKEN, sessions_path

AUTH = {"Authorization": f"Bearer {NORTHWIND_TOKEN}"}
ODD_IDS = ["not-a-uuid", "12345", "00000000-0000-4000-8000-00000000000Z", "ÄÖÜ", "a" * 128]


def _get(sim: Sim, path: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{sim.base}{sessions_path()}{path}", headers=AUTH, params=params, timeout=10)


def _a_session_id(sim: Sim) -> str:
    return str(_get(sim, "").json()["data"]["sessions"][0]["id"])


@pytest.mark.parametrize("odd", ODD_IDS, ids=["words", "digits", "near-uuid", "non-ascii", "128-chars"])
def test_an_id_of_any_shape_that_names_nothing_is_404(sim: Sim, odd: str) -> None:
    session = _a_session_id(sim)
    for path in (f"/{odd}", f"/{odd}/participants", f"/{odd}/chat", f"/{odd}/transcript", f"/{odd}/summary",
                 f"/{session}/participants/{odd}", f"/peer-report/{odd}"):
        response = _get(sim, path)
        assert response.status_code == 404, (path, response.text[:300])
        body = response.json()
        assert body["success"] is False and body["result"] is None
        assert body["errors"][0]["code"] == 404 and "not found" in body["errors"][0]["message"]


def test_an_id_past_the_length_bound_is_422_naming_it(sim: Sim) -> None:
    session = _a_session_id(sim)
    for path, name in ((f"/{'a' * 129}", "session_id"), (f"/{session}/participants/{'b' * 129}", "participant_id"),
                       (f"/peer-report/{'c' * 129}", "peer_id")):
        response = _get(sim, path)
        assert response.status_code == 422, (path, response.text[:300])
        assert f"path.{name}" in response.text and "128" in response.text


def test_a_meeting_id_of_any_shape_filters_and_a_long_one_is_refused(sim: Sim) -> None:
    listed = _get(sim, "", associated_id="meeting-that-does-not-exist")
    assert listed.status_code == 200 and listed.json()["data"]["sessions"] == []
    refused = _get(sim, "", associated_id="m" * 129)
    assert refused.status_code == 422 and "query.associated_id" in refused.text
