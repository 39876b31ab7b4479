"""Request handling as a list of named stages passing one typed context (:class:`Exchange`).

    route → admin guard → body size → namespace → rate limit → faults → read body → validate
    → authenticate → handle → persist → mutate → rate limit headers → replica header, then, however
    that ended: self-check → render → journal

The request stages run in order until one answers (raises a vendor-shaped error or sets the
reply); the reply stages (persist, mutate, rate limit headers, replica header) then work on that reply, whichever it
is, so a write is committed before its answer goes out; the
answer stages always run, so every request is answered in its vendor's shape and journaled in its
namespace. What can be refused from the head alone (unknown route, missing admin token, a declared
body over the limit) is refused before the namespace stage, so such a request never creates or seeds
a namespace. Add a stage by adding it to :attr:`Pipeline.stages` (or ``reply_stages``) where it
belongs.
Raw ASGI throughout: Request/Response objects cost more than the work on the hot path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simulator.core.clock import monotonic
from simulator.core.errors import InvalidRequest, SimulatorError
from simulator.core.guard import AdminGuard
from simulator.core.limits import RequestLimits
from simulator.core.pipeline.answer import Record, render, send, simulator_bug
from simulator.core.pipeline.exchange import Exchange
from simulator.core.pipeline.routing import Router
from simulator.core.pipeline.stages import (
    Authenticate,
    BodySize,
    EnterNamespace,
    Faults,
    GuardAdmin,
    Handle,
    Mutate,
    Persist,
    RateLimit,
    RateLimitHeaders,
    ReadBody,
    ReplicaHeader,
    Route,
    Stage,
    Validate,
)
from simulator.core.store import DEFAULT_NAMESPACE, Registry

if TYPE_CHECKING:
    from simulator.core.dispatch import Binding
    from simulator.core.persist import StateStore

__all__ = ["Exchange", "Pipeline", "Router", "Stage"]

logger = logging.getLogger("simulator")
NAMESPACE_PREFIX = "/_ns/"


class Pipeline:
    def __init__(self, registry: Registry, router: Router, *, lenient: bool, validate_responses: bool,
                 limits: RequestLimits, guard: AdminGuard, other: Any = None, store: StateStore | None = None,
                 replica: str = "simulator", log: Callable[[Exchange, float], None] | None = None):
        self.registry = registry
        self.router = router
        self.lenient = lenient
        self.validate_responses = validate_responses
        self.other = other  # lifespan (and anything not HTTP) goes to Starlette's router
        self.store = store  # --state-dir, or None
        self.stages: list[Stage] = [
            Route(router, limits),
            GuardAdmin(guard),
            BodySize(limits),
            EnterNamespace(registry),
            RateLimit(),
            Faults(),
            ReadBody(limits),
            Validate(registry),
            Authenticate(lenient),
            Handle(),
        ]
        self.reply_stages: list[Stage] = [Persist(registry, store), Mutate(), RateLimitHeaders(),
                                          ReplicaHeader(replica)]
        self._plans: dict[int, tuple[tuple[Stage, ...], tuple[Stage, ...]]] = {}
        self.record = Record(registry)
        self.log = log  # one line per request (--log-format json), or None

    async def __call__(self, scope: Any, receive: Any, send_message: Any) -> None:
        if scope["type"] != "http":
            await self.other(scope, receive, send_message)
            return
        exchange = self._exchange(scope, receive, send_message)
        await self._run(exchange)
        try:
            render(exchange, exchange.reply, validate_responses=self.validate_responses)  # type: ignore[arg-type]
        except Exception as bug:  # a reply that cannot be rendered is a simulator bug: say so in the vendor's shape
            logger.exception("cannot render the answer to %s %s", exchange.method, exchange.path)
            render(exchange, exchange.errors.render(simulator_bug(bug)), validate_responses=False)
        await send(exchange)
        elapsed_ms = (monotonic() - exchange.started) * 1000
        self.record(exchange, elapsed_ms)
        if self.log is not None:
            self.log(exchange, elapsed_ms)

    def _exchange(self, scope: Any, receive: Any, send_message: Any) -> Exchange:
        """The exchange of a request; its namespace from the /_ns/NAME prefix or the X-Sim-Namespace header."""
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        path: str = scope["path"]
        name = DEFAULT_NAMESPACE
        if path.startswith(NAMESPACE_PREFIX):
            name, _, rest = path[len(NAMESPACE_PREFIX):].partition("/")
            path = "/" + rest
        else:
            name = headers.get("x-sim-namespace", "").strip() or DEFAULT_NAMESPACE
        return Exchange(scope=scope, receive=receive, send=send_message, method=scope["method"], path=path,
                        headers=headers, errors=self.router.area(path), namespace_name=name)

    def _plan(self, binding: Binding) -> tuple[tuple[Stage, ...], tuple[Stage, ...]]:
        """The stages after routing that can act on this operation (kept per binding: bindings live as
        long as the app). A stage that could never act, e.g. reading the body of an operation without
        one, costs nothing instead of an await and a check per request."""
        plan = self._plans.get(id(binding))
        if plan is None:
            plan = (tuple(stage for stage in self.stages[1:] if stage.serves(binding)),
                    tuple(stage for stage in self.reply_stages if stage.serves(binding)))
            self._plans[id(binding)] = plan
        return plan

    async def _run(self, exchange: Exchange) -> None:
        reply_stages: tuple[Stage, ...] | list[Stage] = self.reply_stages  # an unrouted request meets them all
        try:
            await self.stages[0](exchange)  # route
            assert exchange.binding is not None
            request_stages, reply_stages = self._plan(exchange.binding)
            for stage in request_stages:
                await stage(exchange)
                if exchange.reply is not None:
                    break
        except SimulatorError as error:
            exchange.reply = exchange.errors.render(error)
        except Exception as bug:
            if exchange.violations:  # lenient mode tried to serve a request it could not: name what is wrong
                exchange.reply = exchange.errors.render(InvalidRequest(exchange.violations))
            else:  # a bug in the simulator: answer in the vendor's shape and say so
                logger.exception("unhandled error serving %s %s", exchange.method, exchange.path)
                exchange.reply = exchange.errors.render(simulator_bug(bug))
        finally:
            if exchange.namespace is not None:
                exchange.namespace.active -= 1
        try:
            for stage in reply_stages:
                await stage(exchange)
        except Exception as bug:
            logger.exception("unhandled error answering %s %s", exchange.method, exchange.path)
            exchange.reply = exchange.errors.render(simulator_bug(bug))
