"""GET /_sim/journal/stream: the namespace journal as server-sent events, live and bounded."""

from __future__ import annotations

from collections.abc import Iterator
from time import sleep
from typing import Any

import httpx
import orjson
import pytest

from simulator.admin import journal_stream
from simulator.app import create_app
from simulator.core.clock import monotonic
from simulator.testing.server import ThreadedServer
from tests.support import make_settings, prevail_token


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    with ThreadedServer(create_app(make_settings())) as running:
        yield running


def _events(lines: Iterator[str], count: int) -> list[dict[str, Any]]:
    """The next ``count`` entry events (id checked against the entry's seq)."""
    found: list[dict[str, Any]] = []
    event_id = None
    for line in lines:
        if line.startswith("id: "):
            event_id = int(line[4:])
        elif line.startswith("data: "):
            entry = orjson.loads(line[6:])
            assert entry["seq"] == event_id
            found.append(entry)
            if len(found) == count:
                return found
    raise AssertionError(f"the stream ended after {found}")


def test_entries_are_streamed_as_they_are_recorded(server: ThreadedServer) -> None:
    prevail = {"Authorization": f"Bearer {prevail_token()}", "X-Sim-Namespace": "live"}
    assert httpx.get(f"{server.url}/api/v1/sessions", headers=prevail).status_code == 200  # journaled before
    with httpx.stream("GET", f"{server.url}/_sim/journal/stream", headers={"X-Sim-Namespace": "live"},
                      timeout=10) as stream:
        assert stream.status_code == 200 and stream.headers["content-type"] == "text/event-stream"
        lines = stream.iter_lines()
        assert _events(lines, 1)[0]["operation_id"] == "listSessions"
        # Other requests are answered while the stream is open, and show up in it
        invalid = httpx.post(f"{server.url}/api/v1/session_requests", headers=prevail, json={"session_request": {}})
        assert invalid.status_code == 422
        entry = _events(lines, 1)[0]
        assert entry["operation_id"] == "createSessionRequest" and entry["status"] == 422 and entry["violations"]
    # Each event is the entry as GET /_sim/journal shows it (an answer the server checks against the spec)
    journal = httpx.get(f"{server.url}/_sim/journal", headers={"X-Sim-Namespace": "live"}).json()["entries"]
    assert next(item for item in journal if item["seq"] == entry["seq"]) == entry
    with httpx.stream("GET", f"{server.url}/_sim/journal/stream", params={"after": entry["seq"]},
                      headers={"X-Sim-Namespace": "live"}, timeout=10) as later:
        assert _events(later.iter_lines(), 1)[0]["operation_id"] == "streamJournal"  # the first stream, ended


def test_a_bad_after_is_a_400(server: ThreadedServer) -> None:
    answer = httpx.get(f"{server.url}/_sim/journal/stream", params={"after": "-1"})
    assert answer.status_code == 400 and "after" in answer.text


def test_streams_are_bounded_and_a_closed_one_frees_its_place(server: ThreadedServer,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_stream, "MAX_STREAMS", 1)
    url = f"{server.url}/_sim/journal/stream"
    with httpx.stream("GET", url, timeout=10) as first:
        assert first.status_code == 200
        refused = httpx.get(url, timeout=10)
        assert refused.status_code == 429 and "journal streams are open" in refused.json()["error"]["message"]
        assert httpx.get(f"{server.url}/_sim/clock").status_code == 200  # the rest of the API is not held up
    deadline = monotonic() + 10
    while True:  # the server notices the client went within a poll
        with httpx.stream("GET", url, timeout=10) as again:
            if again.status_code == 200:
                break
        assert monotonic() < deadline, "the closed stream kept its place"
        sleep(0.1)
