"""The README's commands are real: CI runs its test command, and its curl example works."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import orjson

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import make_settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```bash\n(.*?)```", README, re.S)


def test_readme_opens_with_the_serve_and_test_commands() -> None:
    serve, tests = BLOCKS[0].strip(), BLOCKS[1].strip()
    assert "python3 -m simulator serve" in serve
    assert "pytest" in tests and "ruff" in tests and "mypy" in tests
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci_lines[-1] == tests


def test_try_it_example_lists_session_requests() -> None:
    example = BLOCKS[2]
    assert "credentials --json" in example and "/api/v1/session_requests" in example
    with ThreadedServer(create_app(make_settings())) as server:
        script = example.replace("http://127.0.0.1:8000", server.url).replace("python3 ", f"{sys.executable} ")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
        result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    body = orjson.loads(result.stdout)
    assert body["pagy"]["items"] == 2 and len(body["requests"]) == 2
