"""A seeded baseline kept from an earlier run (its index too) answers byte for byte as building it again does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.app import create_app
from simulator.core import cachedir
from simulator.testing.server import ThreadedServer
from simulator.vendors.vonage import population
from tests.support import make_settings
from tests.vendors.vonage.helpers import EU, US, search

WINDOWS = (("2024-10-22", "2024-12-20"), ("2024-12-21", "2025-01-20"))
RUNNING = {"must": [{"term": {"status": "in_progress"}}]}
QUERIES: tuple[dict[str, Any], ...] = (
    {"page_size": 300, "sort_by": "session_start_time:asc"},
    {"page_size": 50, "sort_by": "channel_data.duration:desc", "filter_by": {"must": [{"term": {"channel": "voice"}}]}},
    {"page_size": 20, "filter_by": {"must": [{"term": {"tags_list.tag": "dog"}},
                                             {"match": {"flow_path.context.user_input": "dog"}}]}},
)


def _world(monkeypatch: pytest.MonkeyPatch, cache: str) -> list[bytes]:
    """What a fresh process answers: searches of both accounts, and again once the running calls ended."""
    monkeypatch.setenv(cachedir.CACHE_ENV, cache)
    population._kept.clear()  # as in a fresh process
    answers = []
    with ThreadedServer(create_app(make_settings())) as server:
        for account in (US, EU):
            with httpx.Client(base_url=server.url, headers={"X-Vgai-Key": account["api_key"]}, timeout=30) as api:
                for start, end in WINDOWS:
                    for query in QUERIES:
                        found = search(api, start, end, **query)
                        assert found.status_code == 200 and found.json()["hits"], found.text
                        answers.append(found.content)
                answers.append(search(api, *WINDOWS[1], filter_by=RUNNING).content)
        assert httpx.post(f"{server.url}/_sim/clock/advance", json={"seconds": 3600}).status_code == 200
        with httpx.Client(base_url=server.url, headers={"X-Vgai-Key": US["api_key"]}, timeout=30) as api:
            answers.append(search(api, *WINDOWS[1], page_size=300, sort_by="session_start_time:asc").content)
    return answers


def _refuse(*_: Any) -> Any:
    raise AssertionError("built the baseline again instead of reading the kept one")


def test_a_kept_baseline_answers_as_building_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = _world(monkeypatch, "off")
    cache = str(tmp_path / "cache")
    assert _world(monkeypatch, cache) == built  # built and kept
    assert len(list((tmp_path / "cache" / "baselines").glob("vonage-*.marshal"))) == 2  # one per account
    monkeypatch.setattr(population, "sessions_for", _refuse)
    monkeypatch.setattr(population, "build", _refuse)
    assert _world(monkeypatch, cache) == built  # read back
