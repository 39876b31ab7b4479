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
``@pytest.mark.simulator_fuzz(runs=N, seed=S)`` runs a test once per mutation seed with the answers
fuzzed; a failure reports its seed and mutation ids, and ``--simulator-fuzz-replay=ID`` reruns it so.
Nothing heavy is imported until a test asks for the fixture.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Generator, Iterator
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


FUZZ_MARKER = "simulator_fuzz"
_FUZZ_HELP = (f"{FUZZ_MARKER}(runs=10, seed=1, rate=None, vendors=None, operations=None, mutations=None): run the "
              "test once per mutation seed (seed, seed+1, ...) with the simulator's answers fuzzed within the spec")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("simulator", "vendor API simulator")
    for name, text in _OPTIONS.items():
        group.addoption(f"--{name.replace('_', '-')}", dest=name, default=None, help=text)
        parser.addini(name, text, default=None)
    group.addoption("--simulator-fuzz-replay", dest="simulator_fuzz_replay", default=None, metavar="MUTATION_ID",
                    help=f"run each @{FUZZ_MARKER} test once, fuzzed as when it answered MUTATION_ID")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _FUZZ_HELP)


@dataclass(frozen=True)
class FuzzRun:
    """One run of a fuzzed test: the fuzz settings its namespace gets."""

    seed: int
    rate: float | None = None
    mutations: tuple[str, ...] | None = None
    vendors: tuple[str, ...] | None = None
    operations: tuple[str, ...] | None = None
    replaying: str | None = None

    @property
    def label(self) -> str:
        return f"fuzz-replay-{self.replaying}" if self.replaying else f"fuzz-seed-{self.seed}"


def _fuzz_runs(marker: pytest.Mark, replay: str | None) -> list[FuzzRun]:
    given = dict(marker.kwargs)
    unknown = set(given) - {"runs", "seed", "rate", "vendors", "operations", "mutations"}
    if unknown or marker.args:
        raise pytest.UsageError(f"{_FUZZ_HELP}; got {marker.args or ''}{sorted(unknown) or ''}")
    vendors, operations = _names(given.get("vendors")), _names(given.get("operations"))
    if replay:  # the seed, rate and mutation kinds of the answer: choices follow from them, not from call order
        from simulator.core.fuzz import BadMutationId, replay_plan

        try:
            plan = replay_plan(replay)
        except BadMutationId as error:
            raise pytest.UsageError(f"--simulator-fuzz-replay: {error}") from None
        return [FuzzRun(plan.seed, plan.rate, tuple(sorted(plan.kinds)), vendors, operations, replaying=replay)]
    runs, first = int(given.get("runs", 10)), int(given.get("seed", 1))
    if not 1 <= runs <= 1000:
        raise pytest.UsageError(f"{FUZZ_MARKER}: runs must be from 1 to 1000, not {runs}")
    rate = given.get("rate")
    return [FuzzRun(seed, None if rate is None else float(rate), _names(given.get("mutations")), vendors, operations)
            for seed in range(first, first + runs)]


def _names(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker(FUZZ_MARKER)
    if marker is None:
        return
    if "simulator" not in metafunc.fixturenames:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: @{FUZZ_MARKER} needs the simulator fixture")
    runs = _fuzz_runs(marker, metafunc.config.getoption("simulator_fuzz_replay"))
    metafunc.fixturenames.append("simulator_fuzz_run")
    metafunc.parametrize("simulator_fuzz_run", runs, ids=[run.label for run in runs], indirect=True)


@pytest.fixture
def simulator_fuzz_run(request: pytest.FixtureRequest) -> FuzzRun | None:
    """The fuzz settings of this run of an @simulator_fuzz test (None for other tests)."""
    return getattr(request, "param", None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    run = getattr(item, "funcargs", {}).get("simulator_fuzz_run")
    handle = getattr(item, "funcargs", {}).get("simulator")
    if report.when != "call" or not report.failed or run is None or handle is None:
        return report
    try:
        ids = [mutation["id"] for mutation in handle.fuzz.mutations()]
    except Exception as error:  # the simulator may be what broke: still say which seed it was
        ids, note = [], f" (the mutation ids could not be read: {error})"
    else:
        note = ""
    lines = [f"fuzzed with seed {run.seed}{note}; {len(ids)} mutated answer(s), in order:", *ids]
    if ids:
        lines.append(f"reproduce: pytest '{item.nodeid.split('[')[0]}' --simulator-fuzz-replay={ids[-1]}")
    report.sections.append(("simulator fuzz", "\n".join(lines)))
    return report


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
    seed_singles: frozenset[str] = frozenset()  # vendors whose seed operation takes one record per request
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
            seed_singles=frozenset(p.name for p in VENDORS if not p.seed_takes_list),
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


def _listed(names: tuple[str, ...] | None) -> list[str] | None:
    return None if names is None else list(names)


@pytest.fixture
def simulator(simulator_server: SimulatorServer, simulator_fuzz_run: FuzzRun | None) -> Iterator[SimulatorHandle]:
    """This test's own namespace of the session's simulator (deleted afterwards)."""
    from simulator.testing.handle import SimulatorHandle

    handle = SimulatorHandle(simulator_server.url, simulator_server.new_namespace(_counter),
                             simulator_server.credentials, simulator_server.client_bases,
                             simulator_server.seed_paths, simulator_server.transport,
                             admin_token=simulator_server.admin_token, seed_singles=simulator_server.seed_singles)
    if simulator_fuzz_run is not None:
        run = simulator_fuzz_run
        handle.fuzz(seed=run.seed, rate=run.rate, vendors=_listed(run.vendors), operations=_listed(run.operations),
                    mutations=_listed(run.mutations))
    yield handle
    handle.close()
