"""A seeded baseline kept from an earlier run answers byte for byte as drawing it again does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from simulator.app import create_app
from simulator.core import cachedir, statedoc
from simulator.testing.server import ThreadedServer
from simulator.vendors.realtimekit import seed
from tests.support import make_settings
from tests.vendors.realtimekit.helpers import HARBOR, HARBOR_TOKEN, NORTHWIND_TOKEN, SUPPORT, TELEHEALTH, sessions_path

PATHS = ((NORTHWIND_TOKEN, sessions_path()), (NORTHWIND_TOKEN, sessions_path(app_id=SUPPORT)),
         (HARBOR_TOKEN, sessions_path(HARBOR, TELEHEALTH)))


def _world(monkeypatch: pytest.MonkeyPatch, cache: str) -> list[bytes]:
    """What a fresh process answers (session lists and their participants), and its namespace document."""
    monkeypatch.setenv(cachedir.CACHE_ENV, cache)
    seed._baselines.clear()  # as in a fresh process
    app = create_app(make_settings())
    answers = []
    with ThreadedServer(app) as server:
        for token, path in PATHS:
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as api:
                listed = api.get(path, params={"per_page": 100})
                assert listed.status_code == 200 and listed.json()["data"]["sessions"], listed.text
                answers.append(listed.content)
                for session in listed.json()["data"]["sessions"][:3]:
                    participants = api.get(f"{path}/{session['id']}/participants")
                    assert participants.status_code == 200, participants.text
                    answers.append(participants.content)
        document = statedoc.dump(app.state.registry.get("default"))
    return [*answers, orjson.dumps(document, option=orjson.OPT_SORT_KEYS)]


def _refuse(*_: Any) -> Any:
    raise AssertionError("drew the baseline again instead of reading the kept one")


def test_a_kept_baseline_answers_as_drawing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = _world(monkeypatch, "off")
    cache = str(tmp_path / "cache")
    assert _world(monkeypatch, cache) == drawn  # drawn and kept
    assert list((tmp_path / "cache" / "baselines").glob("realtimekit-*.marshal"))
    monkeypatch.setattr(seed, "_draw", _refuse)
    assert _world(monkeypatch, cache) == drawn  # read back
