from __future__ import annotations

from collections.abc import Iterator

import pytest
from cloudflare import Cloudflare

from simulator.testing.server import ThreadedServer
from tests.support import Sim
from tests.vendors.realtimekit.helpers import client


@pytest.fixture
def cf(server: ThreadedServer, sim: Sim) -> Iterator[Cloudflare]:
    """The official SDK on the test's own namespace (the `sim` fixture checks every response against the spec)."""
    with client(server, sim.namespace) as sdk:
        yield sdk
