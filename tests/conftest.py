from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest
from httpx._transports import default as httpx_transport
from hypothesis import settings

from simulator.app import create_app
from simulator.core.cachedir import CACHE_ENV
from simulator.testing.server import ThreadedServer
from tests.support import Sim, make_settings

pytest_plugins = ["pytester"]

# httpx maps httpcore's errors to its own through a table it builds on first use. Built inside an
# in-process pytester run, the table would name httpcore classes that pytester unloads afterwards, and
# later connection errors would escape as raw httpcore errors. Build it now, with the session's classes.
with httpx_transport.map_httpcore_exceptions():
    pass

_names = itertools.count(1)

# CI runs property-based and schemathesis tests with a fixed seed so a red run reproduces exactly;
# local runs keep hypothesis's random exploration to find new failures.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session", autouse=True)
def own_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The suite keeps what it caches (parsed specs, seeded baselines) in a folder of its own: the user's
    cache is left alone and no run depends on what an earlier one left there. Servers the tests start
    inherit it."""
    saved = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("cache"))
    yield
    if saved is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = saved


@pytest.fixture(scope="session")
def server() -> Iterator[ThreadedServer]:
    """One simulator for the suite; each test works in its own namespace."""
    with ThreadedServer(create_app(make_settings())) as running:
        yield running


@pytest.fixture
def sim(server: ThreadedServer) -> Iterator[Sim]:
    namespace = f"t{next(_names)}"
    client = Sim(f"{server.url}/_ns/{namespace}", namespace)
    yield client
    # Every response the test provoked must conform to the spec (the server self-checks them).
    broken = [e for e in client.journal() if e["response_violations"]]
    client.close()
    assert not broken, f"responses broke the spec: {broken}"
