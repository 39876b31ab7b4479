"""The README's Vonage example runs: its curl search answers with seeded calls tagged cat."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from simulator.app import create_app
from simulator.settings import Settings
from simulator.testing.server import ThreadedServer
from tests.support import run_readme_block

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_vonage_curl_example() -> None:
    section = README.split("## Vonage AI Studio Insights", 1)[1].split("\n## ", 1)[0]
    [example] = re.findall(r"```bash\n(.*?)```", section, re.S)
    assert "X-Vgai-Key" in example and "/insights/sessions" in example
    # The example searches the last 30 days of the real calendar: the clock runs from now, as `serve` does.
    with ThreadedServer(create_app(Settings(seed=7, validate_responses=True))) as server:
        result = run_readme_block(example, server.url, timeout=120)
    assert result.returncode == 0, result.stderr
    body = orjson.loads(result.stdout)
    assert body["total"] > 0 and len(body["hits"]) == 3 and body["page_size"] == "3"
    for hit in body["hits"]:
        assert set(hit) == {"id", "session_start_time", "agent_information", "tags_list"}
        assert "cat" in {tag["tag"] for tag in hit["tags_list"]}
