"""The README's commands are real: CI runs its test command, and its curl example works."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from simulator.app import create_app
from simulator.testing.server import ThreadedServer
from tests.support import make_settings, run_readme_block

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
        result = run_readme_block(example, server.url, timeout=60)
    assert result.returncode == 0, result.stderr
    body = orjson.loads(result.stdout)
    assert body["pagy"]["items"] == 2 and len(body["requests"]) == 2
