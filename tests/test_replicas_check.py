"""scripts/replicas-check.sh passes here: namespaces routed by nginx each live on one replica, and a
killed replica takes only its own namespaces with it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.support import ROOT


@pytest.mark.skipif(shutil.which("nginx") is None,
                    reason="nginx is not on PATH (the script would install it with apt-get; the suite does not)")
def test_three_replicas_behind_nginx_keep_each_namespace_on_one() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
    env.update(PYTHON=sys.executable, PYTHONPATH=str(ROOT), NAMESPACES="12")
    done = subprocess.run(["bash", str(ROOT / "scripts" / "replicas-check.sh")], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env=env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "replicas-check: PASSED" in output and "FAIL:" not in output
    assert "postbacks received for 12" in output
    held = [int(n) for n in re.findall(r"^  r\d \(.*\) holds +(\d+):", output, re.M)]
    assert len(held) == 3 and sum(held) == 12, output
    assert re.search(r"after the kill: \d+ namespaces on the survivors answer as before", output), output
