"""The request stages, in the order a request meets them.

route → admin guard → body size → namespace → rate limit → faults → read body → validate →
authenticate → handle, then the reply stages (persist, mutate, rate limit headers, replica header); then, for every
answer, self-check → render → journal (see :mod:`simulator.core.pipeline`). A stage raises a
:class:`~simulator.core.errors.SimulatorError` to answer in the vendor's shape, or sets
``exchange.reply`` to answer with something else; either way the request stages after it are skipped.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl

from simulator.core.clock import monotonic
from simulator.core.dispatch import Call
from simulator.core.errors import InvalidRequest, SimulatorError, Unauthorized
from simulator.core.faulteffects import apply_faults
from simulator.core.fuzz import fuzzable, mutate_reply
from simulator.core.guard import AdminGuard
from simulator.core.limits import RequestLimits
from simulator.core.pipeline.exchange import Exchange
from simulator.core.pipeline.routing import Router
from simulator.core.store import Registry

if TYPE_CHECKING:
    from simulator.core.dispatch import Binding
    from simulator.core.persist import StateStore

READS = frozenset({"GET", "HEAD", "OPTIONS"})
REPLICA_HEADER = "X-Sim-Replica"


class Stage(Protocol):
    @property
    def name(self) -> str: ...

    def serves(self, binding: Binding) -> bool:
        """Whether the stage can do anything for this operation; the pipeline skips it where it cannot."""
        ...

    async def __call__(self, exchange: Exchange) -> None: ...




@dataclass(frozen=True)
class Route:
    """The operation the method and path name; head limits the server protocol found come first."""

    router: Router
    limits: RequestLimits
    name: str = "route"

    def serves(self, binding: Binding) -> bool:
        return True

    async def __call__(self, exchange: Exchange) -> None:
        self.limits.check_head(exchange.scope)
        exchange.binding, exchange.path_params = self.router.match(exchange.method, exchange.path)
        exchange.errors = exchange.binding.errors


@dataclass(frozen=True)
class EnterNamespace:
    """The caller's namespace, created on first use, seeded and caught up with its clock.

    Server-wide admin operations (health, namespace management) must not create the namespace they
    are called in: deleting "default" and then inspecting it is a 404.
    """

    registry: Registry
    name: str = "namespace"

    def serves(self, binding: Binding) -> bool:
        return not binding.operation.extensions.get("x-sim-server-wide")

    async def __call__(self, exchange: Exchange) -> None:
        assert exchange.binding is not None
        if exchange.binding.operation.extensions.get("x-sim-server-wide"):
            return
        namespace = self.registry.get(exchange.namespace_name)
        exchange.namespace = namespace
        namespace.active += 1  # released by the pipeline once the request stages are done
        namespace.last_used = monotonic()
        await namespace.ready(exchange.binding.backend)
        await namespace.catch_up()


@dataclass(frozen=True)
class GuardAdmin:
    guard: AdminGuard
    name: str = "admin guard"

    def serves(self, binding: Binding) -> bool:
        return binding.guarded

    async def __call__(self, exchange: Exchange) -> None:
        assert exchange.binding is not None
        if exchange.binding.guarded:
            self.guard.check(exchange.headers)


@dataclass(frozen=True)
class BodySize:
    """A declared length over the limit is refused unread."""

    limits: RequestLimits
    name: str = "body size"

    def serves(self, binding: Binding) -> bool:
        return True  # a declared length over the limit is refused whatever the operation

    async def __call__(self, exchange: Exchange) -> None:
        self.limits.check_declared_length(exchange.headers)


@dataclass(frozen=True)
class RateLimit:
    """The vendor's token bucket on the namespace clock (core/ratelimit.py): an empty one raises the
    vendor's 429. Off until ``PUT /_sim/rate-limits``: then one check of an empty dict."""

    name: str = "rate limit"

    def serves(self, binding: Binding) -> bool:
        return binding.rate_limited

    async def __call__(self, exchange: Exchange) -> None:
        binding, namespace = exchange.binding, exchange.namespace
        assert binding is not None
        if binding.rate_limited and namespace is not None and namespace.rate_limits.active:
            exchange.rate_headers = namespace.rate_limits.take(binding.backend, exchange.headers,
                                                               exchange.query_string, namespace.clock)


@dataclass(frozen=True)
class RateLimitHeaders:
    """On the way out, an answer the rate limit let through says what is left."""

    name: str = "rate limit headers"

    def serves(self, binding: Binding) -> bool:
        return binding.rate_limited

    async def __call__(self, exchange: Exchange) -> None:
        if exchange.rate_headers and exchange.reply is not None:
            exchange.reply.headers = {**exchange.reply.headers, **exchange.rate_headers}


@dataclass(frozen=True)
class ReplicaHeader:
    """A server-wide admin answer (health, namespace listing) names the replica that gave it.

    Behind a balancer that routes by namespace, those are the answers that speak for one replica
    rather than for a namespace, so the caller needs to know which one.
    """

    replica: str
    name: str = "replica header"

    def serves(self, binding: Binding) -> bool:
        return bool(binding.operation.extensions.get("x-sim-server-wide"))

    async def __call__(self, exchange: Exchange) -> None:
        binding, reply = exchange.binding, exchange.reply
        if binding is not None and reply is not None and binding.operation.extensions.get("x-sim-server-wide"):
            reply.headers = {**reply.headers, REPLICA_HEADER: self.replica}


@dataclass(frozen=True)
class Faults:
    """The namespace's fault plan (core/faults.py): latency, an answer in place of the handler's, or a
    disconnect or slow body for the send path. A namespace without a plan costs this one check."""

    name: str = "faults"

    def serves(self, binding: Binding) -> bool:
        return binding.backend is not None  # plans match vendor operations only

    async def __call__(self, exchange: Exchange) -> None:
        binding, namespace = exchange.binding, exchange.namespace
        assert binding is not None
        if namespace is None or namespace.faults is None:
            return
        applied = await apply_faults(namespace.faults, binding.backend, binding.operation.operation_id,
                                     exchange.path, namespace.clock.timestamp(), exchange.warnings, exchange.errors,
                                     namespace.config.tally.fault)
        exchange.send_effect = applied.send_effect
        if applied.reply is not None:
            exchange.reply = applied.reply


@dataclass(frozen=True)
class ReadBody:
    """The body, within the size and time limits."""

    limits: RequestLimits
    name: str = "read body"

    def serves(self, binding: Binding) -> bool:
        return binding.operation.body is not None

    async def __call__(self, exchange: Exchange) -> None:
        assert exchange.binding is not None
        if exchange.binding.operation.body is not None:
            exchange.raw_body = await self.limits.read_body(exchange.receive)


@dataclass(frozen=True)
class Validate:
    """Parameters and body against the spec; builds the call the handler gets.

    A lenient server passes what it can still serve; what no server could (a body nested too deep) is
    refused either way.
    """

    registry: Registry
    name: str = "validate"

    def serves(self, binding: Binding) -> bool:
        return True

    async def __call__(self, exchange: Exchange) -> None:
        binding = exchange.binding
        assert binding is not None
        raw_query = exchange.query_string
        query_items = parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True) if raw_query else []
        checked = binding.validator.check_request(
            binding.operation, exchange.path_params, query_items, exchange.headers, exchange.raw_body,
            exchange.headers.get("content-type"),
        )
        exchange.checked = checked
        namespace = exchange.namespace
        exchange.call = Call(
            operation=binding.operation, namespace_name=exchange.namespace_name, registry=self.registry,
            backend=namespace.state(binding.backend) if namespace and binding.backend else None,
            params=checked.params, body=checked.body, headers=exchange.headers,
            query=dict(query_items), path=exchange.path, scope=exchange.scope, warnings=exchange.warnings,
        )


@dataclass(frozen=True)
class Authenticate:
    """The operation's security alternatives, in the spec's order; the first refusal is the answer."""

    lenient: bool
    name: str = "authenticate"

    def serves(self, binding: Binding) -> bool:
        return True

    async def __call__(self, exchange: Exchange) -> None:
        binding, call, checked = exchange.binding, exchange.call, exchange.checked
        assert binding is not None and call is not None and checked is not None
        call.principal = authenticate(binding, call)
        if checked.violations and (checked.unusable or not self.lenient):
            raise InvalidRequest(checked.violations)
        for name in checked.invalid_optional:  # lenient: an unusable optional value is as if absent
            call.params.pop(name, None)


@dataclass(frozen=True)
class Handle:
    name: str = "handle"

    def serves(self, binding: Binding) -> bool:
        return True

    async def __call__(self, exchange: Exchange) -> None:
        binding, call = exchange.binding, exchange.call
        assert binding is not None and call is not None
        reply = binding.handler(call)
        if inspect.isawaitable(reply):  # handlers that wait for the namespace (clock changes) are async
            reply = await reply
        exchange.reply = reply


@dataclass(frozen=True)
class Persist:
    """With ``--state-dir``, commit what a write changed before its answer goes out (core/persist.py).

    A read is written only when the clock fired effects on the way in. A refused write changed nothing.
    A server-wide write (copying a namespace) saves the namespaces it names (path or body).
    Without a state directory: one check.
    """

    registry: Registry
    store: StateStore | None
    name: str = "persist"

    def serves(self, binding: Binding) -> bool:
        return self.store is not None

    async def __call__(self, exchange: Exchange) -> None:
        store, namespace, binding, reply = self.store, exchange.namespace, exchange.binding, exchange.reply
        if store is None or binding is None:
            return
        if exchange.method in READS or reply is None or reply.status >= 400:
            if namespace is not None:
                await store.save_if_fired(namespace)
            return
        if namespace is not None:
            await store.save_soon(namespace, [binding.backend] if binding.backend else None)
            return
        body = exchange.call.body if exchange.call is not None else None
        named = {*exchange.path_params.values(), *(v for v in (body.values() if isinstance(body, dict) else ())
                                                    if isinstance(v, str))}
        for name in named:
            candidate = self.registry.find(name)
            if candidate is not None:
                store.save(candidate)


@dataclass(frozen=True)
class Mutate:
    """Response fuzzing (core/fuzz.py), before the self-check so a mutated body is checked like any other.

    Off unless ``PUT /_sim/fuzz`` turned it on in the namespace: then one attribute check.
    """

    name: str = "mutate"

    def serves(self, binding: Binding) -> bool:
        return fuzzable(binding.operation)

    async def __call__(self, exchange: Exchange) -> None:
        namespace, binding, reply = exchange.namespace, exchange.binding, exchange.reply
        if namespace is not None and namespace.fuzz is not None and binding is not None and reply is not None:
            exchange.reply = mutate_reply(namespace.fuzz, namespace, binding, reply, exchange.detail)


def authenticate(binding: Any, call: Call[Any]) -> Any:
    alternatives = binding.operation.security
    if not alternatives or any(len(schemes) == 0 for schemes in alternatives):
        return None
    first_failure: SimulatorError | None = None
    for schemes in alternatives:
        try:
            principal = None
            for scheme in schemes:
                principal = binding.verifiers[scheme](call)
            return principal
        except Unauthorized as failure:
            first_failure = first_failure or failure
    assert first_failure is not None
    raise first_failure
