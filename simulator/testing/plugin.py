"""pytest plugin: a simulator for the whole test session, a fresh namespace for every test.

    def test_lists_requests(simulator):
        client = MyPrevailClient(base_url=simulator.base_url("prevail"),
                                 token=simulator.credentials["prevail"][0]["token"])
        ...
        simulator.clock.advance(hours=25)
        simulator.journal.assert_called("listSessionRequests", times=1)

The server starts once per test session (per pytest-xdist worker) on a free loopback port, in a
background thread, with response self-checks on. Each test gets its own namespace in the URL
prefix, so tests, and xdist workers, never see each other's state. Options (ini or command line):
``simulator_url`` uses a simulator that is already running instead; ``simulator_seed``,
``simulator_fixtures``, ``simulator_clock_start``, ``simulator_lenient``, ``simulator_webhook_policy``,
``simulator_token_clock`` (JWTs are judged by the wall clock unless a test calls
``simulator.clock.judge_tokens("namespace")``), ``simulator_admin_token`` (for a simulator started
with one; default ``$SIM_ADMIN_TOKEN``).
Nothing heavy is imported until a test asks for the fixture.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from simulator.testing.handle import SimulatorHandle

_OPTIONS = {
    "simulator_url": "use the simulator running at this URL instead of starting one",
    "simulator_seed": "seed of the generated data (default 1)",
    "simulator_fixtures": "fixtures YAML (default: the bundled one)",
    "simulator_clock_start": "ISO 8601 instant where every namespace clock begins (default: now)",
    "simulator_lenient": "serve requests that break the spec, recording the violation (default false)",
    "simulator_webhook_policy": "'loopback' (default) or 'any': where webhooks may be delivered",
    "simulator_token_clock": "'wall' (default) or 'namespace': the clock that judges JWTs unless a test asks",
    "simulator_admin_token": "admin token of the simulator at --simulator-url (default: $SIM_ADMIN_TOKEN)",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("simulator", "vendor API simulator")
    for name, text in _OPTIONS.items():
        group.addoption(f"--{name.replace('_', '-')}", dest=name, default=None, help=text)
        parser.addini(name, text, default=None)


def _option(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(name) or config.getini(name)
    return str(value) if value else None


@dataclass
class SimulatorServer:
    url: str
    credentials: dict[str, list[dict[str, Any]]]
    client_bases: dict[str, str]
    seed_paths: dict[str, str | None]
    worker: str
    transport: Any = None  # one httpx transport (connection pool) for every test's handle
    admin_token: str | None = None

    def new_namespace(self, counter: itertools.count[int]) -> str:
        # worker and process keep names apart when several sessions share one simulator (--simulator-url)
        return f"{self.worker}-{os.getpid()}-t{next(counter)}"


@pytest.fixture(scope="session")
def simulator_server(pytestconfig: pytest.Config) -> Iterator[SimulatorServer]:
    from simulator.app import VENDORS, create_app, load_fixtures
    from simulator.core.clock import parse_instant
    from simulator.settings import Settings
    from simulator.testing.server import ThreadedServer

    settings = Settings(validate_responses=True, webhook_policy="loopback")
    changes: dict[str, Any] = {}
    if (seed := _option(pytestconfig, "simulator_seed")) is not None:
        changes["seed"] = int(seed)
    if (fixtures := _option(pytestconfig, "simulator_fixtures")) is not None:
        from pathlib import Path

        changes["fixtures"] = Path(fixtures)
    if (start := _option(pytestconfig, "simulator_clock_start")) is not None:
        changes["clock_start"] = parse_instant(start).timestamp()
    if (lenient := _option(pytestconfig, "simulator_lenient")) is not None:
        changes["lenient"] = lenient.lower() in ("1", "true", "yes", "on")
    if (policy := _option(pytestconfig, "simulator_webhook_policy")) is not None:
        changes["webhook_policy"] = policy
    if (token_clock := _option(pytestconfig, "simulator_token_clock")) is not None:
        changes["token_clock"] = token_clock
    settings = settings.with_(**changes)
    loaded = load_fixtures(settings.fixtures)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")

    import httpx

    transport = httpx.HTTPTransport()

    def described(url: str) -> SimulatorServer:
        return SimulatorServer(
            url=url.rstrip("/"),
            credentials={p.name: p.credentials(loaded.get(p.name, {})) for p in VENDORS},
            client_bases={p.name: p.client_base for p in VENDORS},
            seed_paths={p.name: p.seed_path for p in VENDORS},
            worker=worker,
            transport=transport,
            admin_token=_option(pytestconfig, "simulator_admin_token") or os.environ.get("SIM_ADMIN_TOKEN") or None,
        )

    external = _option(pytestconfig, "simulator_url")
    try:
        if external:
            yield described(external)
            return
        with ThreadedServer(create_app(settings)) as server:
            yield described(server.url)
    finally:
        transport.close()


_counter = itertools.count(1)


@pytest.fixture
def simulator(simulator_server: SimulatorServer) -> Iterator[SimulatorHandle]:
    """This test's own namespace of the session's simulator (deleted afterwards)."""
    from simulator.testing.handle import SimulatorHandle

    handle = SimulatorHandle(simulator_server.url, simulator_server.new_namespace(_counter),
                             simulator_server.credentials, simulator_server.client_bases,
                             simulator_server.seed_paths, simulator_server.transport,
                             admin_token=simulator_server.admin_token)
    yield handle
    handle.close()
