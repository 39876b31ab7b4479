"""create_app(settings) -> Starlette: every vendor on its real paths, the admin API under /_sim/.

Middleware order is fixed: namespace selection (``/_ns/NAME/`` prefix or ``X-Sim-Namespace``) and
the journal wrap the dispatcher, which validates, authenticates and calls the handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from simulator import faultplan
from simulator import fixtures as fixtures_file
from simulator.admin import handlers as admin_handlers
from simulator.admin.errors import AdminErrors
from simulator.core import heap
from simulator.core.clock import monotonic
from simulator.core.dispatch import Area, Binding, Dispatcher
from simulator.core.faultrules import RuleSpec
from simulator.core.guard import AdminGuard
from simulator.core.journal import Entry
from simulator.core.limits import RequestLimits
from simulator.core.plugin import VendorPlugin
from simulator.core.signing import Signer
from simulator.core.spec import Spec, SpecError, bind, specs_dir
from simulator.core.store import DEFAULT_NAMESPACE, Registry, StoreConfig
from simulator.core.validation import Validator
from simulator.settings import Settings
from simulator.vendors import koreai, prevail, realtimekit, vonage

VENDORS: tuple[VendorPlugin, ...] = (prevail.PLUGIN, koreai.PLUGIN, realtimekit.PLUGIN, vonage.PLUGIN)
ADMIN_PREFIX = "/_sim/"
NAMESPACE_PREFIX = "/_ns/"
JOURNAL_TEXT_BYTES = 2048  # of a path or query kept in the journal: a 64 KB query is kept as its first 2 KB


def load_fixtures(path: Path) -> dict[str, Any]:
    """The checked fixtures; :class:`simulator.fixtures.FixturesError` (one line) when they are unusable."""
    return fixtures_file.load(path, VENDORS)


def load_fault_plan(path: Path) -> tuple[RuleSpec, ...]:
    """The checked rules of a ``--faults`` file; :class:`simulator.faultplan.FaultPlanError` (one line) if unusable."""
    folder = specs_dir()
    return faultplan.load(path, {plugin.name: Spec.load(folder / plugin.spec_file).operations for plugin in VENDORS})


class NamespaceAndJournal:
    """Pure ASGI middleware: picks the namespace, then records the request in its journal."""

    def __init__(self, app: Any, registry: Registry, other: Any):
        self.app = app
        self.registry = registry
        self.other = other  # lifespan (and anything not HTTP) goes to Starlette's router

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.other(scope, receive, send)
            return
        path: str = scope["path"]
        name = DEFAULT_NAMESPACE
        if path.startswith(NAMESPACE_PREFIX):
            name, _, rest = path[len(NAMESPACE_PREFIX):].partition("/")
            scope["path"] = "/" + rest
            scope["raw_path"] = scope["path"].encode()
        else:
            for key, value in scope["headers"]:
                if key == b"x-sim-namespace":
                    name = value.decode("latin-1").strip() or DEFAULT_NAMESPACE
                    break
        scope["sim.namespace"] = name
        started = monotonic()
        await self.app(scope, receive, send)  # the dispatcher notes the status it sent in the scope
        namespace = self.registry.find(name)
        if namespace is None:
            return
        binding: Binding | None = scope.get("sim.operation")
        if binding is not None:
            namespace.coverage.record(binding.operation.operation_id, scope.get("sim.status", 0),
                                      scope.get("sim.violations", ()), scope.get("sim.response_violations", ()))
        journal = namespace.journal
        journal.append(Entry(
            seq=journal.next_seq(), at=namespace.clock.timestamp(), kind="request", method=scope["method"],
            path=scope["path"], status=scope.get("sim.status", 0), latency_ms=(monotonic() - started) * 1000,
            vendor=binding.backend if binding else None,
            operation_id=binding.operation.operation_id if binding else None,
            query=scope.get("query_string", b"")[:JOURNAL_TEXT_BYTES],
            violations=scope.get("sim.violations", []),
            response_violations=scope.get("sim.response_violations", []),
            warnings=scope.get("sim.warnings", []),
        ))


def build_dispatcher(settings: Settings, vendors: tuple[VendorPlugin, ...] = VENDORS) -> Dispatcher:
    fixtures = load_fixtures(settings.fixtures)
    config = StoreConfig(
        seed=settings.seed, fixtures=fixtures,
        options={"pagy_overflow": settings.pagy_overflow},
        clock_start=settings.clock_start, clock_frozen=settings.clock_frozen,
        journal_size=settings.journal_size, max_namespaces=settings.max_namespaces,
        webhook_policy=settings.webhook_policy, webhook_allow=settings.webhook_allow,
        webhook_concurrency=settings.webhook_concurrency, webhook_timeout=settings.webhook_timeout,
        namespace_ttl=settings.namespace_ttl, token_clock=settings.token_clock,
    )
    signer = Signer(hashlib.sha256(f"simulator-signing:{settings.seed}".encode()).digest())
    registry = Registry(config, {plugin.name: plugin.backend for plugin in vendors}, signer)
    admin_errors = AdminErrors()
    areas = [Area(ADMIN_PREFIX, admin_errors)]
    areas += [Area(prefix, plugin.errors) for plugin in vendors for prefix in plugin.prefixes]
    limits = RequestLimits(max_body_bytes=settings.max_body_bytes, max_header_bytes=settings.max_header_bytes,
                           read_timeout=settings.read_timeout)
    dispatcher = Dispatcher(registry, areas, admin_errors, lenient=settings.lenient,
                            validate_responses=settings.validate_responses, limits=limits,
                            guard=AdminGuard(settings.admin_token))
    folder = specs_dir()
    for plugin in vendors:
        spec = Spec.load(folder / plugin.spec_file)
        registry.catalog[plugin.name] = list(spec.operations)
        validator = Validator(spec)
        for op_id, handler in bind(spec, plugin.handlers).items():
            dispatcher.add(Binding(spec.by_id[op_id], handler, plugin.name, plugin.errors, plugin.verifiers,
                                   validator))
    if settings.faults is not None:  # the plan every new namespace starts with, checked against the specs
        registry.config = dataclasses.replace(config, faults=faultplan.load(settings.faults, registry.catalog))
    admin_spec = Spec.load(folder / "admin.yaml")
    admin_validator = Validator(admin_spec)
    owners: dict[str, str | None] = dict.fromkeys(admin_handlers.HANDLERS)
    handlers: dict[str, Any] = dict(admin_handlers.HANDLERS)
    for plugin in vendors:
        for op_id in plugin.admin_handlers:
            if op_id in handlers:
                raise SpecError(f"admin operation {op_id} is bound twice")
            owners[op_id] = plugin.name
        handlers.update(plugin.admin_handlers)
    for op_id, handler in bind(admin_spec, handlers).items():
        operation = admin_spec.by_id[op_id]
        dispatcher.add(Binding(operation, handler, owners[op_id], admin_errors, {}, admin_validator,
                               guarded=not operation.extensions.get("x-sim-open")))
    return dispatcher


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    dispatcher = build_dispatcher(settings)
    registry = dispatcher.registry

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async def tick() -> None:  # fires due side effects of running clocks without a request
            while True:
                await asyncio.sleep(settings.tick_seconds)
                for namespace in registry.all():
                    if not namespace.busy:  # seeding or catching up already: that work fires what is due
                        await namespace.catch_up()
                if registry.evict_idle():
                    await asyncio.to_thread(heap.release)  # malloc_trim releases the GIL: off the loop

        ticker = asyncio.create_task(tick())
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker

    app = Starlette(lifespan=lifespan)
    # Every HTTP request goes through one fixed chain: namespace + journal, then the dispatcher, which
    # routes by the specs and turns every failure into the vendor's error shape itself. Starlette's
    # error middlewares would only add cost, so the chain replaces its middleware stack.
    app.middleware_stack = NamespaceAndJournal(dispatcher, registry, other=app.router)
    app.state.registry = registry
    app.state.settings = settings
    app.state.dispatcher = dispatcher
    return app
