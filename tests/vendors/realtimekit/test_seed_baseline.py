"""One seeded baseline per process: every namespace gets its own copy, shifted to its clock's start."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from simulator.app import build_pipeline
from simulator.core import cachedir
from simulator.core.clock import parse_instant
from simulator.core.store import Registry
from simulator.vendors.realtimekit import seed
from simulator.vendors.realtimekit.records import RECORDS
from tests.support import CLOCK_START, Sim, make_settings
from tests.vendors.realtimekit.helpers import NORTHWIND_TOKEN, sessions_path

INSTANTS = ("created_at", "started_at", "joined_at", "left_at", "opens_at", "closes_at", "summary_ready_at")


def _registry(clock_start: float, seed_value: int = 7) -> Registry:
    return build_pipeline(make_settings(clock_start=clock_start, seed=seed_value)).registry


def _sessions(registry: Registry, namespace: str) -> dict[str, Any]:
    return dict(RECORDS.dump(registry.get(namespace).state("realtimekit"))["sessions"])


def _shift(value: Any, delta: int) -> Any:
    if isinstance(value, dict):
        return {key: (item + delta if key in INSTANTS and item is not None else _shift(item, delta))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_shift(item, delta) for item in value]
    return value


def test_a_later_start_the_same_day_moves_every_seeded_instant_by_the_same_amount() -> None:
    start = parse_instant(CLOCK_START).timestamp()  # 15:00 UTC
    delta = 12_345  # 18:25:45 the same UTC day
    early, late = _sessions(_registry(start), "a"), _sessions(_registry(start + delta), "a")
    assert late == _shift(early, delta)


def test_namespaces_draw_the_baseline_once_and_share_no_record(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[int] = []
    draw = seed._draw

    def counting(*args: Any) -> Any:
        drawn.append(1)
        return draw(*args)

    monkeypatch.setattr(seed, "_draw", counting)
    monkeypatch.setenv(cachedir.CACHE_ENV, "off")  # count draws, not reads of a baseline kept from an earlier run
    registry = _registry(parse_instant(CLOCK_START).timestamp(), seed_value=1234)  # a seed no other test uses
    backends = [registry.get(f"n{index}").state("realtimekit") for index in range(3)]
    assert drawn == [1]
    first, second = backends[0], backends[1]
    assert first.sessions.keys() == second.sessions.keys()
    for session_id, session in first.sessions.items():
        other = second.sessions[session_id]
        assert session is not other and session.participants is not other.participants
        assert not {id(p) for p in session.participants} & {id(p) for p in other.participants}
        assert not {id(r) for r in session.breakout_rooms} & {id(r) for r in other.breakout_rooms}


def test_a_write_in_one_namespace_is_not_seen_in_another(sim: Sim) -> None:
    other = f"{sim.namespace}-other"
    headers = {"Authorization": f"Bearer {NORTHWIND_TOKEN}"}
    with httpx.Client(base_url=sim.base, headers=headers, timeout=10) as mine, \
            httpx.Client(base_url=sim.base.replace(sim.namespace, other), headers=headers, timeout=10) as theirs:
        theirs.get(sessions_path())  # both seeded before the write
        listed = mine.get(sessions_path(), params={"status": "ENDED"}).json()["data"]["sessions"]
        summary = f"{sessions_path()}/{listed[0]['id']}/summary"
        assert mine.post(summary).json()["data"]["status"] == "IN_PROGRESS"
        sim.advance(600)
        assert mine.get(summary).status_code == 200
        theirs.post("/_sim/clock/advance", json={"seconds": 600})
        assert theirs.get(summary).json()["errors"][0]["message"].startswith("No summary has been generated")
        later = sim.base.replace(sim.namespace, f"{sim.namespace}-later")
        with httpx.Client(base_url=later, headers=headers, timeout=10) as fresh:  # seeded after the write
            fresh.post("/_sim/clock/advance", json={"seconds": 600})
            assert fresh.get(summary).status_code == 404
