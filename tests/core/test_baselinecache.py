"""Seeded baselines kept between runs: read back equal, keyed by every input, never trusted blindly."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faker
import pytest

from simulator.core import baselinecache, cachedir
from simulator.core.baselinecache import fields_of, record_from
from simulator.core.rand import SeededSource

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Item:
    name: str
    at: float
    tags: list[str]


class Drawer:
    """A baseline drawn from a seed, counting its draws."""

    def __init__(self) -> None:
        self.draws = 0

    def __call__(self, source: SeededSource) -> list[Item]:
        self.draws += 1
        return [Item(source.hex(8), source.uniform(0, 1e9), [source.hex(4)]) for _ in range(5)]


def _plain(items: list[Item]) -> list[dict[str, Any]]:
    return [fields_of(item) for item in items]


def _items(data: list[Any]) -> list[Item]:
    return [record_from(Item, fields) for fields in data]


@pytest.fixture
def sources(tmp_path: Path) -> tuple[Path, ...]:
    code = tmp_path / "src" / "seed.py"
    code.parent.mkdir()
    code.write_text("DRAW = 1\n")
    return (code,)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cachedir.CACHE_ENV, str(folder))
    return folder


def _get(drawer: Drawer, sources: tuple[Path, ...], seed: int = 7, fixtures: dict[str, Any] | None = None,
         vendor: str = "demo") -> list[Item]:
    source = SeededSource(seed, vendor)
    return baselinecache.cached(vendor, source, fixtures or {"size": 5}, sources, lambda: drawer(source),
                                _plain, _items)


def test_a_baseline_is_drawn_once_and_read_back_equal(cache: Path, sources: tuple[Path, ...]) -> None:
    drawer = Drawer()
    drawn = _get(drawer, sources)
    [entry] = (cache / "baselines").iterdir()
    assert entry.name.startswith("demo-") and entry.suffix == ".marshal"
    again = _get(drawer, sources)
    assert drawer.draws == 1
    assert again == drawn and again is not drawn
    assert [type(item.at) for item in again] == [float] * 5


def test_every_input_names_its_own_entry(cache: Path, sources: tuple[Path, ...]) -> None:
    drawer = Drawer()
    first = _get(drawer, sources)
    assert _get(drawer, sources, seed=8) != first
    _get(drawer, sources, fixtures={"size": 6})
    _get(drawer, sources, vendor="other")
    sources[0].write_text("DRAW = 2\n")  # the seeding code changed
    baselinecache.sources_digest.cache_clear()
    _get(drawer, sources)
    assert drawer.draws == 5
    assert len(list((cache / "baselines").iterdir())) == 5


def test_fixture_key_order_does_not_matter(cache: Path, sources: tuple[Path, ...]) -> None:
    drawer = Drawer()
    _get(drawer, sources, fixtures={"a": 1, "b": [1, 2]})
    _get(drawer, sources, fixtures={"b": [1, 2], "a": 1})
    assert drawer.draws == 1


@pytest.mark.parametrize("content", [b"", b"not marshal at all", None])
def test_a_damaged_or_foreign_entry_is_drawn_again(cache: Path, sources: tuple[Path, ...],
                                                   content: bytes | None) -> None:
    drawer = Drawer()
    drawn = _get(drawer, sources)
    [entry] = (cache / "baselines").iterdir()
    # None: well-formed marshal data of the right format, but another key's and another shape.
    entry.write_bytes(marshal.dumps((baselinecache.FORMAT, "0" * 32, [{"x": 1}])) if content is None else content)
    assert _get(drawer, sources) == drawn
    assert drawer.draws == 2
    assert _get(drawer, sources) == drawn  # the entry was written again
    assert drawer.draws == 2


def test_a_wrong_shape_under_the_right_key_is_drawn_again(cache: Path, sources: tuple[Path, ...]) -> None:
    drawer = Drawer()
    drawn = _get(drawer, sources)
    [entry] = (cache / "baselines").iterdir()
    _, key, _ = marshal.loads(entry.read_bytes())
    entry.write_bytes(marshal.dumps((baselinecache.FORMAT, key, [{"name": "x", "unknown": 1}])))
    assert _get(drawer, sources) == drawn
    assert drawer.draws == 2


def test_off_or_unwritable_draws_every_time(tmp_path: Path, sources: tuple[Path, ...],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder would be")
    for setting in (str(blocker / "cache"), "off"):
        monkeypatch.setenv(cachedir.CACHE_ENV, setting)
        drawer = Drawer()
        assert _get(drawer, sources) == _get(drawer, sources)
        assert drawer.draws == 2


def test_fixtures_that_are_not_json_are_drawn_every_time(cache: Path, sources: tuple[Path, ...]) -> None:
    drawer = Drawer()
    _get(drawer, sources, fixtures={"when": object()})
    _get(drawer, sources, fixtures={"when": object()})
    assert drawer.draws == 2
    assert not (cache / "baselines").exists()


def test_the_faker_version_is_read_without_importing_faker() -> None:
    script = ("import sys\nfrom simulator.core import baselinecache\n"
              "print(baselinecache.faker_version(), 'faker' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.split() == [faker.VERSION, "False"], done.stderr


def test_a_second_run_seeds_every_vendor_without_faker(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from simulator.app import create_app\n"
        "from simulator.settings import Settings\n"
        "registry = create_app(Settings(seed=3)).state.registry\n"
        "for vendor in ('prevail', 'koreai', 'vonage', 'realtimekit'):\n"
        "    registry.get('n').state(vendor)\n"
        "print('faker' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), cachedir.CACHE_ENV: str(tmp_path / "cache")}
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT,
                           env=env) for _ in range(2)]
    assert [run.stdout.split() for run in runs] == [["True"], ["False"]], [run.stderr for run in runs]
