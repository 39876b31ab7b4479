"""The README's RealtimeKit example runs as written against a simulator started with the default data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from simulator.app import create_app
from simulator.settings import Settings
from simulator.testing.server import ThreadedServer

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _example() -> str:
    section = README.split("## RealtimeKit\n", 1)[1].split("\n## ", 1)[0]
    [code] = re.findall(r"```python\n(.*?)```", section, re.S)
    return str(code)


def test_readme_sdk_example_lists_the_live_sessions_and_their_people() -> None:
    example = _example()
    assert "Cloudflare(api_token=" in example and 'base_url="http://127.0.0.1:8000/client/v4"' in example
    # A running clock from now, like `simulator serve`: the seeded LIVE sessions are live at its start.
    with ThreadedServer(create_app(Settings(webhook_policy="loopback"))) as server:
        script = example.replace("http://127.0.0.1:8000", server.url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                                cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        title, live, joined = line.rsplit(" ", 2)
        assert " - " in title and 0 < int(float(live)) <= int(joined)
