"""The README's "Break your client on purpose" examples run as written."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from simulator.app import create_app, load_fault_plan
from simulator.testing.server import ThreadedServer
from tests.support import make_settings, run_readme_block

ROOT = Path(__file__).resolve().parents[1]
SECTION = (ROOT / "README.md").read_text(encoding="utf-8").split("### Fault plans\n", 1)[1] \
    .split("\n## ", 1)[0].split("\n### ", 1)[0]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", SECTION, re.S)


def _documents(text: str) -> list[Any]:
    """The JSON documents curl printed one after another."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(text.rstrip()):
        document, at = decoder.raw_decode(text, at)
        found.append(document)
    return found


def test_the_sdk_retry_examples_pass_as_written(pytester: pytest.Pytester) -> None:
    [example] = _blocks("python")
    assert "max_retries=2" in example and "RateLimitError" in example
    pytester.makepyfile(test_retries=example)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=2)


def test_the_curl_example_adds_lists_and_clears_rules() -> None:
    [block] = _blocks("bash")
    with ThreadedServer(create_app(make_settings())) as server:
        result = run_readme_block(block, server.url, timeout=60)
    assert result.returncode == 0, result.stderr
    added_503, added_latency, listed = _documents(result.stdout)
    assert added_503["id"] == "f1" and added_503["effect"]["status"] == 503
    assert added_latency["id"] == "f2"
    assert [rule["id"] for rule in listed["rules"]] == ["f1", "f2"]


def test_the_plan_file_example_is_a_valid_plan(tmp_path: Path) -> None:
    [plan] = _blocks("yaml")
    path = tmp_path / "plan.yaml"
    path.write_text(plan, encoding="utf-8")
    assert len(load_fault_plan(path)) == 2
