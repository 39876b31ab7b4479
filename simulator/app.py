"""create_app(settings) -> Starlette: every vendor on its real paths, the admin API under /_sim/.

Middleware order is fixed: namespace selection (``/_ns/NAME/`` prefix or ``X-Sim-Namespace``) and
the journal wrap the dispatcher, which validates, authenticates and calls the handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette

from simulator import faultplan
from simulator import fixtures as fixtures_file
from simulator.admin import handlers as admin_handlers
from simulator.admin.errors import AdminErrors
from simulator.core import heap, statedoc, stateschema
from simulator.core.dispatch import Area, Binding
from simulator.core.effects import EffectTable
from simulator.core.faultrules import RuleSpec
from simulator.core.fixturerecords import with_records
from simulator.core.guard import AdminGuard
from simulator.core.limits import RequestLimits
from simulator.core.pipeline import Pipeline, Router
from simulator.core.plugin import VendorPlugin
from simulator.core.requestlog import JsonLines
from simulator.core.signing import Signer
from simulator.core.spec import Spec, SpecError, bind, specs_dir
from simulator.core.store import Registry, StoreConfig
from simulator.core.validation import Validator
from simulator.settings import Settings
from simulator.shutdown import Deadline, finish_due_work
from simulator.vendors import koreai, prevail, realtimekit, vonage

if TYPE_CHECKING:
    from simulator.core.persist import StateStore

VENDORS: tuple[VendorPlugin, ...] = (prevail.PLUGIN, koreai.PLUGIN, realtimekit.PLUGIN, vonage.PLUGIN)
ADMIN_PREFIX = "/_sim/"


def load_fixtures(path: Path) -> dict[str, Any]:
    """The checked fixtures; :class:`simulator.fixtures.FixturesError` (one line) when they are unusable."""
    return fixtures_file.load(path, VENDORS)


def load_fault_plan(path: Path) -> tuple[RuleSpec, ...]:
    """The checked rules of a ``--faults`` file; :class:`simulator.faultplan.FaultPlanError` (one line) if unusable."""
    folder = specs_dir()
    return faultplan.load(path, {plugin.name: Spec.load(folder / plugin.spec_file).operations for plugin in VENDORS},
                          declared_webhooks(VENDORS))


def declared_webhooks(vendors: tuple[VendorPlugin, ...]) -> dict[str, tuple[str, ...]]:
    """vendor -> the names of the webhooks it sends, which fault rules may match."""
    return {plugin.name: tuple(plugin.webhooks) for plugin in vendors}


def open_store(settings: Settings, config: StoreConfig, vendors: tuple[VendorPlugin, ...]) -> StateStore | None:
    """The ``--state-dir`` store; :class:`simulator.core.persist_error.StoreError` (one line) when unusable."""
    if settings.state_dir is None:
        return None
    from simulator.core.persist import StateStore  # sqlite3 only for servers that keep state

    return StateStore.open(settings.state_dir, config.codecs, [plugin.name for plugin in vendors])


def replica_name(settings: Settings) -> str:
    """The name in X-Sim-Replica: the configured one, else hostname:port (unique per replica on one host
    and per pod in a cluster)."""
    return settings.replica_name or f"{socket.gethostname()}:{settings.port}"


def build_pipeline(settings: Settings, vendors: tuple[VendorPlugin, ...] = VENDORS) -> Pipeline:
    # Checked against these vendors, and the shipped ones: the default fixtures also serve an app of fewer.
    known = vendors + tuple(plugin for plugin in VENDORS if plugin.name not in {v.name for v in vendors})
    fixtures = fixtures_file.load(settings.fixtures, known)
    config = StoreConfig(
        seed=settings.seed, fixtures=fixtures,
        options={"pagy_overflow": settings.pagy_overflow},
        clock_start=settings.clock_start, clock_frozen=settings.clock_frozen,
        journal_size=settings.journal_size, max_namespaces=settings.max_namespaces,
        webhook_policy=settings.webhook_policy, webhook_allow=settings.webhook_allow,
        webhook_concurrency=settings.webhook_concurrency, webhook_timeout=settings.webhook_timeout,
        namespace_ttl=settings.namespace_ttl, token_clock=settings.token_clock,
        webhook_builders={plugin.name: plugin.webhooks for plugin in vendors},
        effects=EffectTable({plugin.name: plugin.effects for plugin in vendors}),  # checked here, at start-up
        codecs={plugin.name: plugin.records for plugin in vendors if plugin.records is not None},
    )
    signer = Signer(hashlib.sha256(f"simulator-signing:{settings.seed}".encode()).digest())
    # fixtures' hand-made records (checked as the file loaded) merge over what each vendor seeds
    registry = Registry(config, {plugin.name: with_records(plugin.backend, plugin.records) for plugin in vendors},
                        signer)
    registry.rate_profiles = {plugin.name: plugin.rate_limits for plugin in vendors}
    registry.webhooks = declared_webhooks(vendors)
    store = open_store(settings, config, vendors)
    if store is not None:
        store.catalog = statedoc.catalog_of(registry)
    registry.keeper = store
    admin_errors = AdminErrors()
    areas = [Area(ADMIN_PREFIX, admin_errors)]
    areas += [Area(prefix, plugin.errors) for plugin in vendors for prefix in plugin.prefixes]
    limits = RequestLimits(max_body_bytes=settings.max_body_bytes, max_header_bytes=settings.max_header_bytes,
                           read_timeout=settings.read_timeout)
    router = Router(areas, admin_errors)
    pipeline = Pipeline(registry, router, lenient=settings.lenient,
                        validate_responses=settings.validate_responses, limits=limits,
                        guard=AdminGuard(settings.admin_token), store=store, replica=replica_name(settings),
                        log=JsonLines(sys.stdout.buffer) if settings.log_format == "json" else None)
    folder = specs_dir()
    for plugin in vendors:
        spec = Spec.load(folder / plugin.spec_file)
        registry.catalog[plugin.name] = list(spec.operations)
        validator = Validator(spec)
        for op_id, handler in bind(spec, plugin.handlers).items():
            router.add(Binding(spec.by_id[op_id], handler, plugin.name, plugin.errors, plugin.verifiers,
                               validator, rate_limited=True))
    if settings.faults is not None:  # the plan every new namespace starts with, checked against the specs
        registry.config = dataclasses.replace(config, faults=faultplan.load(settings.faults, registry.catalog,
                                                                                 registry.webhooks))
    admin_spec = Spec.load(folder / "admin.yaml")
    # A state document holds what the vendors' codecs describe: the served spec checks exactly that.
    admin_spec.document["components"]["schemas"]["StateDocument"] = stateschema.spec_component(config.codecs)
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
        router.add(Binding(operation, handler, owners[op_id], admin_errors, {}, admin_validator,
                               guarded=not operation.extensions.get("x-sim-open")))
    return pipeline


def create_app(settings: Settings | None = None, vendors: tuple[VendorPlugin, ...] = VENDORS) -> Starlette:
    settings = settings or Settings()
    pipeline = build_pipeline(settings, vendors)
    registry = pipeline.registry
    store = pipeline.store

    deadline = Deadline(settings.shutdown_timeout)  # started by the server when a signal stops it

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async def tick() -> None:  # fires due side effects of running clocks without a request
            while True:
                await asyncio.sleep(settings.tick_seconds)
                for namespace in registry.all():
                    if not namespace.busy:  # seeding or catching up already: that work fires what is due
                        await namespace.catch_up()
                        if store is not None:  # what fired is kept with the records it changed
                            await store.save_if_fired(namespace)
                if registry.evict_idle():
                    await asyncio.to_thread(heap.release)  # malloc_trim releases the GIL: off the loop

        ticker = asyncio.create_task(tick())
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await finish_due_work(registry, deadline)
            if store is not None:
                for namespace in registry.all():
                    await store.save_if_fired(namespace)
                store.close()

    app = Starlette(lifespan=lifespan)
    # Every HTTP request goes through the pipeline's stages, which route by the specs and turn every
    # failure into the vendor's error shape themselves. Starlette's error middlewares would only add
    # cost, so the pipeline replaces its middleware stack.
    pipeline.other = app.router
    app.middleware_stack = pipeline
    app.state.registry = registry
    app.state.settings = settings
    app.state.pipeline = pipeline
    app.state.shutdown_deadline = deadline
    return app
