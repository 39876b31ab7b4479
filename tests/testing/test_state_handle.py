"""The plugin's ``save_state`` / ``load_state``: a test starts from a world another test saved."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")

SAVED_THEN_LOADED = """
import json

import pytest

CALLS = "/api/public/bot/st-1/v2/recordings"


def test_save(simulator, tmp_path_factory):
    simulator.clock.set("2031-05-01T12:00:00Z", frozen=True)
    simulator.faults.add(match={"vendor": "koreai"}, when={"first": 3}, effect={"status": 429})
    simulator.http.get(CALLS)
    simulator.rate_limit("prevail", capacity=2, refill_per_second=0.5)
    path = simulator.save_state(tmp_path_factory.getbasetemp() / "world.json")
    assert json.loads(path.read_text())["clock"]["frozen"] is True


def test_load(simulator, tmp_path_factory):
    loaded = simulator.load_state(tmp_path_factory.getbasetemp() / "world.json")
    assert loaded["namespace"] == simulator.namespace
    assert simulator.clock.now().isoformat().startswith("2031-05-01T12:00:00")
    [rule] = simulator.faults.list()
    assert rule["matched"] == 1
    statuses = [simulator.http.get(CALLS).status_code for _ in range(3)]
    assert statuses[:2] == [429, 429] and statuses[2] != 429  # the first three matching calls, counted on
    assert simulator.state()["rate_limits"][0]["capacity"] == 2


def test_a_refused_file_names_the_field(simulator, tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / "broken.json"
    document = simulator.state()
    document["clock"]["now"] = "noon"
    path.write_text(json.dumps(document))
    with pytest.raises(AssertionError, match="body.clock.now"):
        simulator.load_state(path)
"""


def test_a_test_loads_the_world_another_test_saved(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_world=SAVED_THEN_LOADED)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=3)


def test_the_readme_example_passes_as_written(pytester: pytest.Pytester) -> None:
    section = README.split("## Use it in your tests\n", 1)[1].split("\n## ", 1)[0]
    [example] = [block for block in re.findall(r"```python\n(.*?)```", section, re.S) if "load_state" in block]
    pytester.makepyfile(test_saved_world=example)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=2)
