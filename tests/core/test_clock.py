from __future__ import annotations

import pytest

from simulator.core.clock import Clock, isoformat, parse_instant


class FakeWall:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_running_clock_follows_the_wall_from_its_start() -> None:
    wall = FakeWall(1000.0)
    clock = Clock(start=5000.0, wall=wall)
    assert clock.timestamp() == 5000.0
    wall.now += 10
    assert clock.timestamp() == 5010.0


def test_frozen_clock_stands_still_until_advanced() -> None:
    wall = FakeWall(1000.0)
    clock = Clock(start=5000.0, frozen=True, wall=wall)
    wall.now += 60
    assert clock.timestamp() == 5000.0
    clock.advance(90000)
    assert clock.timestamp() == 95000.0


def test_freeze_set_and_unfreeze_keep_the_instant() -> None:
    wall = FakeWall(0.0)
    clock = Clock(start=100.0, wall=wall)
    wall.now = 5
    clock.freeze()
    assert clock.frozen and clock.timestamp() == 105.0
    clock.set(200.0)
    wall.now = 50
    assert clock.timestamp() == 200.0
    clock.unfreeze()
    wall.now = 53
    assert not clock.frozen and clock.timestamp() == 203.0


def test_advancing_backwards_is_refused() -> None:
    with pytest.raises(ValueError):
        Clock(start=0.0, frozen=True).advance(-1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-20T15:00:00Z", "2025-01-20T15:00:00.000Z"),
        ("2025-01-20T15:00:00+00:00", "2025-01-20T15:00:00.000Z"),
        ("2025-01-20T16:30:00+01:30", "2025-01-20T15:00:00.000Z"),
        ("2025-01-20t15:00:00.123456789z", "2025-01-20T15:00:00.123Z"),
        ("2025-01-20", "2025-01-20T00:00:00.000Z"),
        ("2016-12-31T23:59:60Z", "2017-01-01T00:00:00.000Z"),
        ("2025-01-20T15:00:00", "2025-01-20T15:00:00.000Z"),
    ],
)
def test_parse_instant_accepts_what_clients_send(text: str, expected: str) -> None:
    assert isoformat(parse_instant(text)) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2025-13-01", "2025-01-20T25:00:00Z", "2025-01-20T10:00:00+24:00"])
def test_parse_instant_rejects_junk(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text)
