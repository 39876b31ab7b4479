"""The README's "Save, load and copy a namespace" example runs as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import make_settings, run_readme_block

ROOT = Path(__file__).resolve().parents[2]
SECTION = (ROOT / "README.md").read_text(encoding="utf-8").split("### Save, load and copy a namespace\n", 1)[1] \
    .split("\n## ", 1)[0].split("\n### ", 1)[0]


def test_the_curl_example_saves_loads_and_copies(tmp_path: Path) -> None:
    [block] = re.findall(r"```bash\n(.*?)```", SECTION, re.S)
    with ThreadedServer(create_app(make_settings())) as server:
        httpx.post(f"{server.url}/_sim/clock/advance", json={"seconds": 3600}).raise_for_status()
        result = run_readme_block(block, server.url, cwd=tmp_path, timeout=60)
        assert result.returncode == 0, result.stderr
        decoder = json.JSONDecoder()
        loaded, at = decoder.raw_decode(result.stdout)
        copied, _ = decoder.raw_decode(result.stdout, at)
        assert loaded["namespace"] == "replay" and loaded["loaded"] is True
        assert copied == {"namespace": "scratch", "from": "replay", "vendors": []}
        saved = json.loads((tmp_path / "world.json").read_text())
        for name in ("replay", "scratch"):
            assert httpx.get(f"{server.url}/_ns/{name}/_sim/state").json() == saved
        assert httpx.get(f"{server.url}/_ns/scratch/_sim/clock").json()["now"] == \
            httpx.get(f"{server.url}/_sim/clock").json()["now"]
