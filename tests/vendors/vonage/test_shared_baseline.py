"""Namespaces share one seeded baseline moved to their clock's start, and answer exactly as documents
generated at that start would."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from simulator.app import create_app
from simulator.core.clock import parse_instant
from simulator.core.store import Registry
from simulator.testing.server import ThreadedServer
from simulator.vendors.vonage import population
from tests.support import CLOCK_START, make_settings
from tests.vendors.vonage.helpers import EU, US, conversation, search

ODD_START = parse_instant(CLOCK_START).timestamp() + 4321.987654  # not on a second, nor a millisecond
WINDOWS = (("2024-10-20", "2024-12-18"), ("2024-12-19", "2025-01-21"))


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[ThreadedServer, Registry]]:
    app = create_app(make_settings(clock_start=ODD_START))
    registry: Registry = app.state.registry
    registry.get("shared").state("vonage")
    direct = registry.get("direct")  # generated at its own start: nothing moved
    backend = population.populated(direct.context("vonage"), math.floor(direct.clock.start * 1000))
    direct.install({"vonage": backend}, direct.queue.effects())
    with ThreadedServer(app) as server:
        yield server, registry


def _api(server: ThreadedServer, namespace: str, account: dict[str, Any] = US) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/_ns/{namespace}", timeout=30,
                        headers={"X-Vgai-Key": account["api_key"]})


def _reads(server: ThreadedServer, namespace: str) -> list[tuple[int, bytes]]:
    api = _api(server, namespace)
    answers = []
    for account in (US, EU):
        for start, end in WINDOWS:
            for sort in ("session_start_time:asc", "session_start_time:desc", "agent_information:asc", ""):
                response = search(_api(server, namespace, account), start, end, page_size=1000,
                                  **({"sort_by": sort} if sort else {}))
                answers.append((response.status_code, response.content))
    bounds = [{"range": {"session_start_time": {"gte": "2025-01-10T03:04:05.678", "lt": "2025-01-19T21:00:00.001"}}},
              {"range": {"session_start_time": {"gt": "now-3d/d", "lte": "now-1h"}}},
              {"term": {"status": "in_progress"}}]
    for clause in bounds:
        response = search(api, *WINDOWS[1], page_size=1000, filter_by={"must": [clause]})
        answers.append((response.status_code, response.content))
    hits = search(api, *WINDOWS[1], page_size=40, sort_by="session_start_time:desc").json()["hits"]
    for hit in hits:
        day = hit["session_start_time"][:10]
        answers.append(_answer(api.get(f"/insights/sessions/{hit['id']}/parameters",
                                       params={"session_start_time": day})))
        answers.append(_answer(api.get(f"/insights/sessions/{hit['id']}")))
        if "audio_url" in hit["channel_data"]:
            answers.append(_answer(httpx.get(f"{server.url}/_ns/{namespace}/_sim/files/vonage/"
                                             f"{hit['channel_data']['audio_url']}")))
    return answers


def _answer(response: httpx.Response) -> tuple[int, bytes]:
    return response.status_code, response.content


def test_a_moved_baseline_answers_as_documents_generated_at_that_start(
        running: tuple[ThreadedServer, Registry]) -> None:
    server, registry = running
    shared, direct = registry.get("shared").state("vonage"), registry.get("direct").state("vonage")
    assert all(sessions.index.shift != 0 for sessions in shared.sessions.values())
    assert all(sessions.index.shift == 0 for sessions in direct.sessions.values())
    answers = _reads(server, "shared")
    assert answers == _reads(server, "direct")
    assert all(status == 200 for status, _ in answers) and len(answers) > 60


def test_writes_and_calls_ending_keep_them_the_same(running: tuple[ThreadedServer, Registry]) -> None:
    server, registry = running
    due = [[(e.name, dict(e.args), e.due) for e in registry.get(name).queue.effects()]
           for name in ("shared", "direct")]
    assert due[0] == due[1] and due[0]
    for namespace in ("shared", "direct"):
        api = _api(server, namespace)
        oldest = search(api, *WINDOWS[0], page_size=1, sort_by="session_start_time:asc").json()["hits"][0]
        day = oldest["session_start_time"][:10]
        assert api.delete(f"/insights/sessions/{oldest['id']}", params={"session_start_time": day}).status_code == 200
        newest = search(api, *WINDOWS[1], page_size=1).json()["hits"][0]
        admin = httpx.Client(base_url=f"{server.url}/_ns/{namespace}", timeout=30)
        stored = [conversation("by-hand", start="2025-01-02T10:00:00"), {**newest, "channel": "http"}]
        assert admin.post("/_sim/vonage/sessions", json=stored).status_code == 201
        assert admin.post("/_sim/clock/advance", json={"seconds": 3600}).status_code == 200
    assert _reads(server, "shared") == _reads(server, "direct")
    assert not registry.get("shared").queue.effects()


def test_a_snapshot_shares_the_baseline_and_restores_the_namespace_layer(
        running: tuple[ThreadedServer, Registry]) -> None:
    server, registry = running
    namespace = registry.get("snapshot")
    backend = namespace.state("vonage")
    api = _api(server, "snapshot")
    before = search(api, *WINDOWS[1], page_size=1000).content
    snapshot = namespace.snapshot()
    for account_id, sessions in snapshot.states["vonage"].sessions.items():
        assert sessions.index.base is backend.sessions[account_id].index.base
    newest = search(api, *WINDOWS[1], page_size=1).json()["hits"][0]
    day = newest["session_start_time"][:10]
    assert api.delete(f"/insights/sessions/{newest['id']}", params={"session_start_time": day}).status_code == 200
    assert search(api, *WINDOWS[1], page_size=1000).content != before
    namespace.restore(snapshot)
    assert search(api, *WINDOWS[1], page_size=1000).content == before
