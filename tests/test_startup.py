"""Start-up loads only what serving needs: the heavy libraries wait for the feature that uses them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LATER = ("faker", "schemathesis", "hypothesis", "jwt", "cryptography", "h11", "httpx")


def test_building_the_app_imports_none_of_the_libraries_used_later(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "import simulator.cli, simulator.serving\n"
        "from simulator.app import create_app\n"
        "from simulator.settings import Settings\n"
        "create_app(Settings())\n"
        f"print(' '.join(name for name in {LATER!r} if name in sys.modules))\n"
    )
    env = {**os.environ, "SIMULATOR_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
