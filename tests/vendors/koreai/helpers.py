"""Kore.ai test helpers: the fixture apps, tokens, and calls driven through the admin API."""

from __future__ import annotations

from typing import Any

import httpx

from simulator.app import load_fixtures
from simulator.core.clock import parse_instant
from simulator.settings import Settings
from simulator.vendors import koreai
from tests.support import CLOCK_START, Sim

NORTHWIND = "cs-6a1f9c2e-3b7d-5e48-9a0c-2d4f6b8e1a73"
CONTOSO = "cs-2d8b4f6a-9e1c-5a73-8b0d-4f6e2a9c1d35"
NORTHWIND_BOT = "st-9c3e7a1d-2f4b-5d86-a0e1-7b9c2d4f6a81"
NORTHWIND_OTHER_BOT = "st-1e5a9d3c-7b2f-54e8-9c0a-3d6f8b1e2a47"
CONTOSO_BOT = "st-5b7d9f1a-3c6e-5e28-8d4a-6f1b3d5e7a92"
README_SESSION = "65a1f0c2e4b0a1b2c3d4e5f6"
MEDIA_DELAY = 120
URL_TTL = 86400
MAX_RECORDING = 600


def koreai_fixtures() -> dict[str, Any]:
    return dict(load_fixtures(Settings().fixtures)["koreai"])


def koreai_token(client_id: str = NORTHWIND, ttl: int | None = None) -> str:
    return koreai.token(koreai_fixtures(), client_id, ttl, parse_instant(CLOCK_START).timestamp())


def recordings_path(bot_id: str = NORTHWIND_BOT) -> str:
    return f"/api/public/bot/{bot_id}/v2/recordings"


class Koreai:
    """A Kore.ai client of one namespace, with the admin calls that drive a call's lifecycle."""

    def __init__(self, sim: Sim, client_id: str = NORTHWIND):
        self.sim = sim
        self.http = httpx.Client(base_url=sim.base, timeout=10, headers={"auth": koreai_token(client_id)})

    def recordings(self, session_id: str, bot_id: str = NORTHWIND_BOT, **params: str) -> httpx.Response:
        return self.http.get(recordings_path(bot_id), params={"sessionId": session_id, **params})

    def status(self, session_id: str, bot_id: str = NORTHWIND_BOT) -> str:
        response = self.recordings(session_id, bot_id)
        assert response.status_code == 200, response.text
        return str(response.json()["status"])

    def delete(self, session_id: str, bot_id: str = NORTHWIND_BOT) -> httpx.Response:
        return self.http.delete(recordings_path(bot_id), params={"sessionId": session_id})

    def start_call(self, bot_id: str = NORTHWIND_BOT, **fields: Any) -> dict[str, Any]:
        response = self.sim.http.post("/_sim/koreai/calls", json={"bot_id": bot_id, **fields})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def end_call(self, session_id: str) -> dict[str, Any]:
        response = self.sim.http.post(f"/_sim/koreai/calls/{session_id}/end")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def finished_call(self, seconds: float, **fields: Any) -> dict[str, Any]:
        """A call of `seconds` whose recordings are ready."""
        created = self.start_call(duration_seconds=seconds, **fields)
        self.sim.advance(seconds + MEDIA_DELAY)
        return created

    def file_urls(self, session_id: str, bot_id: str = NORTHWIND_BOT) -> list[str]:
        body = self.recordings(session_id, bot_id).json()
        assert body["status"] == "success", body
        return [recording["fileUrl"] for recording in body["recording"]]

    def close(self) -> None:
        self.http.close()
