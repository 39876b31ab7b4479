from __future__ import annotations

import httpx

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import make_settings
from tests.vendors.koreai.helpers import NORTHWIND_BOT, README_SESSION, koreai_token, recordings_path


def _answers(seed: int) -> list[bytes]:
    headers = {"auth": koreai_token()}
    with ThreadedServer(create_app(make_settings(seed=seed))) as server:
        listing = httpx.get(f"{server.url}/_sim/koreai/calls")
        done = [c["session_id"] for c in listing.json()["calls"]
                if c["status"] == "success" and c["bot_id"] == NORTHWIND_BOT]
        bodies = [listing.content]
        for session in [README_SESSION, *done[:2]]:
            found = httpx.get(server.url + recordings_path(), params={"sessionId": session}, headers=headers)
            bodies.append(found.content)
            bodies.append(httpx.get(found.json()["recording"][0]["fileUrl"]).content)
        # Signed URLs name the host the client used; each server here has its own port.
        return [body.replace(server.url.encode(), b"http://simulator") for body in bodies]


def test_same_seed_and_clock_start_give_byte_identical_answers() -> None:
    first, second = _answers(seed=11), _answers(seed=11)
    assert first == second
    assert len(first) == 7 and all(len(body) > 100 for body in first)


def test_another_seed_gives_other_calls_and_other_audio() -> None:
    first, other = _answers(seed=11), _answers(seed=12)
    assert first[0] != other[0]
    assert first[2] != other[2], "the hand-picked call keeps its id but its audio follows the seed"
