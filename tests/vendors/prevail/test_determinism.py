from __future__ import annotations

import httpx

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import make_settings, prevail_token

PATHS = ["/api/v1/session_requests?items=100", "/api/v1/sessions?items=100&page=1"]


def _answers(seed: int) -> list[bytes]:
    headers = {"Authorization": f"Bearer {prevail_token()}"}
    with ThreadedServer(create_app(make_settings(seed=seed))) as server:
        bodies = [httpx.get(server.url + path, headers=headers).content for path in PATHS]
        sessions = httpx.get(server.url + PATHS[1], headers=headers).json()["sessions"]
        done = next(s for s in sessions if s["state"] == "completed")
        for material in ("recordings", "transcripts"):
            bodies.append(httpx.get(f"{server.url}/api/v1/sessions/{done['remote_session_id']}/{material}",
                                    headers=headers).content)
        # Presigned URLs name the host the client used; each server here has its own port.
        return [body.replace(server.url.encode(), b"http://simulator") for body in bodies]


def test_same_seed_and_clock_start_give_byte_identical_answers() -> None:
    first, second = _answers(seed=11), _answers(seed=11)
    assert first == second
    assert all(len(body) > 100 for body in first)


def test_another_seed_gives_other_data() -> None:
    assert _answers(seed=11)[0] != _answers(seed=12)[0]
