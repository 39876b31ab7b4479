"""Start-up loads only what serving needs: the heavy libraries wait for the feature that uses them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LATER = ("faker", "schemathesis", "hypothesis", "h11", "httpx")


def test_building_the_app_imports_none_of_the_libraries_used_later(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "import simulator.cli, simulator.serving\n"
        "from simulator.app import create_app\n"
        "from simulator.settings import Settings\n"
        "create_app(Settings())\n"
        f"print(' '.join(name for name in {LATER!r} if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={k: v for k, v in os.environ.items() if not k.startswith("SIM_")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
