"""The README's Vonage example runs: its curl search answers with seeded calls tagged cat."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import orjson

from simulator.app import create_app
from simulator.settings import Settings
from simulator.testing.server import ThreadedServer

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_vonage_curl_example() -> None:
    section = README.split("## Vonage AI Studio Insights", 1)[1].split("\n## ", 1)[0]
    [example] = re.findall(r"```bash\n(.*?)```", section, re.S)
    assert "X-Vgai-Key" in example and "/insights/sessions" in example
    # The example searches the last 30 days of the real calendar: the clock runs from now, as `serve` does.
    with ThreadedServer(create_app(Settings(seed=7, validate_responses=True))) as server:
        script = example.replace("http://127.0.0.1:8000", server.url).replace("python3 ", f"{sys.executable} ")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
        result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    body = orjson.loads(result.stdout)
    assert body["total"] > 0 and len(body["hits"]) == 3 and body["page_size"] == "3"
    for hit in body["hits"]:
        assert set(hit) == {"id", "session_start_time", "agent_information", "tags_list"}
        assert "cat" in {tag["tag"] for tag in hit["tags_list"]}
