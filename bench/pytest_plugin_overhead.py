"""What the pytest plugin costs: session start-up, and each test's own namespace.

    python3 bench/pytest_plugin_overhead.py [--tests 300]

1. Session start: building the app (specs, validators) and starting the in-thread server, timed
   in-process; the set-up of the session fixture inside a real pytest run (what a user waits for:
   imports, app, server, credentials); and two real pytest runs of a one-test file, with and without
   the fixture (that difference also holds the server's shutdown and the fixture's first request).
2. Per-test namespace: two real pytest runs of N tests each, one where every test takes the
   `simulator` fixture and makes one request, one where every test makes the same request in one
   shared namespace; the difference divided by N is what a fresh namespace costs a test
   (creating the handle, the namespace on first use, deleting it afterwards).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TIMING_CONFTEST = """
import os, time
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    started = time.perf_counter()
    yield
    if fixturedef.argname == "simulator_server":
        with open(os.environ["SESSION_SETUP_FILE"], "w") as out:
            out.write(str(time.perf_counter() - started))
"""
WITH_FIXTURE = """
def test_{i}(simulator):
    assert simulator.http.get("/_sim/clock").status_code == 200
"""
SHARED = """
import httpx, pytest

@pytest.fixture(scope="session")
def shared(simulator_server):
    with httpx.Client(base_url=simulator_server.url + "/_ns/shared") as client:
        yield client
"""
WITHOUT_FIXTURE = """
def test_{i}(shared):
    assert shared.get("/_sim/clock").status_code == 200
"""


def _pytest_seconds(folder: Path, files: dict[str, str]) -> float:
    for name, text in files.items():
        (folder / name).write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:faker", str(folder)],
                   check=True, capture_output=True, env=env, cwd=folder)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=300)
    count = parser.parse_args().tests

    from simulator.app import create_app
    from simulator.settings import Settings
    from simulator.testing.server import ThreadedServer

    started = time.perf_counter()
    app = create_app(Settings(validate_responses=True, webhook_policy="loopback"))
    built = time.perf_counter()
    server = ThreadedServer(app).start()
    ready = time.perf_counter()
    server.stop()
    print(f"session start in-process: app {1000 * (built - started):.0f} ms + server {1000 * (ready - built):.0f} ms "
          f"= {1000 * (ready - started):.0f} ms")

    with tempfile.TemporaryDirectory() as work:
        base = Path(work)
        for sub in ("one_with", "one_without", "many_with", "many_without"):
            (base / sub).mkdir()
        setup_file = base / "session_setup.txt"
        os.environ["SESSION_SETUP_FILE"] = str(setup_file)
        one_with = _pytest_seconds(base / "one_with", {"conftest.py": TIMING_CONFTEST,
                                                       "test_a.py": WITH_FIXTURE.format(i=0)})
        print(f"pytest, session fixture set-up (imports, app, server, credentials): "
              f"{1000 * float(setup_file.read_text()):.0f} ms")
        one_without = _pytest_seconds(base / "one_without", {"test_a.py": "def test_0():\n    pass\n"})
        print(f"pytest, one test: {one_with:.2f} s with the fixture, {one_without:.2f} s without "
              f"-> session start {1000 * (one_with - one_without):.0f} ms")
        many_with = _pytest_seconds(base / "many_with", {
            "test_a.py": "".join(WITH_FIXTURE.format(i=i) for i in range(count))})
        many_without = _pytest_seconds(base / "many_without", {
            "conftest.py": SHARED, "test_a.py": "".join(WITHOUT_FIXTURE.format(i=i) for i in range(count))})
        per_test = (many_with - many_without) / count
        print(f"pytest, {count} tests: {many_with:.2f} s each in its own namespace, {many_without:.2f} s sharing one "
              f"-> {1000 * per_test:.2f} ms per test namespace")


if __name__ == "__main__":
    main()
