"""The README's contract check: the schemathesis CLI against a running simulator finds no failure."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from simulator.app import create_app
from simulator.core.spec import specs_dir
from simulator.testing.server import ThreadedServer
from tests.support import make_settings, prevail_token


def _schemathesis() -> list[str]:
    found = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    return [found]


def test_schemathesis_cli_finds_no_failure_in_prevail(tmp_path: Path) -> None:
    with ThreadedServer(create_app(make_settings(clock_frozen=False))) as server:
        result = subprocess.run(
            [*_schemathesis(), "run", str(specs_dir() / "prevail.yaml"), "--url", server.url,
             "-H", f"Authorization: Bearer {prevail_token('brightline-reporting')}",
             "--max-examples", "30", "--seed", "1", "--no-color"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,  # its cache stays out of the checkout
        )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout or "passed" in result.stdout
