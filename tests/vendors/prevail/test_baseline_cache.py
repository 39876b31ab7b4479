"""A seeded baseline kept from an earlier run answers byte for byte as drawing it again does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from simulator.app import create_app
from simulator.core import cachedir, statedoc
from simulator.core.clock import parse_instant
from simulator.testing.server import ThreadedServer
from simulator.vendors.prevail import baseline, seed
from tests.support import CLOCK_START, make_settings, prevail_token

START = parse_instant(CLOCK_START).timestamp()
DAY = 86400
READS = ("/api/v1/session_requests", "/api/v1/session_requests?page=2", "/api/v1/sessions")


def _world(monkeypatch: pytest.MonkeyPatch, cache: str, start: float = START) -> list[bytes]:
    """What a fresh process serving from ``start`` answers, and its namespace document."""
    monkeypatch.setenv(cachedir.CACHE_ENV, cache)
    baseline.forget()  # as in a fresh process
    app = create_app(make_settings(clock_start=start))
    with ThreadedServer(app) as server:
        answers = []
        for slug in ("acme-legal", "brightline-reporting"):
            headers = {"Authorization": f"Bearer {prevail_token(slug, now=start)}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=10) as api:
                for path in READS:
                    response = api.get(path)
                    assert response.status_code == 200 and response.json()["pagy"]["count"] > 0, response.text
                    answers.append(response.content)
        document = statedoc.dump(app.state.registry.get("default"))
    return [*answers, orjson.dumps(document, option=orjson.OPT_SORT_KEYS)]


def _refuse(*_: Any) -> Any:
    raise AssertionError("drew the baseline again instead of reading the kept one")


def test_a_kept_baseline_answers_as_drawing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = _world(monkeypatch, "off")
    cache = str(tmp_path / "cache")
    assert _world(monkeypatch, cache) == drawn  # drawn and kept
    assert list((tmp_path / "cache" / "baselines").glob("prevail-*.marshal"))
    monkeypatch.setattr(seed, "generate", _refuse)
    assert _world(monkeypatch, cache) == drawn  # read back


@pytest.mark.parametrize("days", [1, 45, -170])  # 45 and -170 cross DST changes
def test_a_baseline_kept_on_one_day_fits_another(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, days: int) -> None:
    later = START + days * DAY
    drawn = _world(monkeypatch, "off", later)
    cache = str(tmp_path / "cache")
    _world(monkeypatch, cache)
    monkeypatch.setattr(seed, "generate", _refuse)
    assert _world(monkeypatch, cache, later) == drawn
