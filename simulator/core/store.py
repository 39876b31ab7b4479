"""Namespaces: each owns its clock, seeded state per vendor, due queue, webhooks and journal.

Namespaces are created on first use and seed each vendor lazily, on first touch, so a fresh one
costs almost nothing. Seeding a large vendor takes a while (Vonage: seconds), so a request that needs
it seeds on a worker thread (:meth:`Namespace.ready`): the event loop keeps serving other namespaces,
and requests of the namespace being seeded wait for it. One thread seeds at a time, so seeds never
interleave. Reset drops the vendor state (re-seeded on next touch) and restarts the clock.

Namespaces idle longer than ``namespace_ttl`` (other than ``default``) are dropped by
:meth:`Registry.evict_idle`; they come back, seeded afresh (or as ``--state-dir`` last saved them), on next use.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from simulator.core import footprint, heap
from simulator.core.auth import TokenTime
from simulator.core.clock import Clock, monotonic, wall_time
from simulator.core.coverage import Coverage
from simulator.core.effects import Effect, EffectTable
from simulator.core.errors import BadRequest, NotFound, TooManyRequests
from simulator.core.faultrules import RuleSpec
from simulator.core.faults import FaultPlan
from simulator.core.journal import Journal
from simulator.core.metrics import Gauges, Metrics, Tally
from simulator.core.rand import SeededSource
from simulator.core.ratelimit import RateLimits, RateProfile
from simulator.core.records import RecordCodec
from simulator.core.schedule import DueQueue
from simulator.core.signing import Signer
from simulator.core.spec import Operation
from simulator.core.webhook_faults import Builder
from simulator.core.webhooks import WebhookSender, open_sender

if TYPE_CHECKING:
    from simulator.core.fuzz import FuzzPlan

NAMESPACE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # whole name: matched with fullmatch
DEFAULT_NAMESPACE = "default"
CATCH_UP_SLICE = 64  # due effects fired between two yields to the event loop
T = TypeVar("T")
_SEEDER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simulator-seed")


@dataclass
class VendorContext:
    """Everything a vendor backend may use: it never reaches for globals."""

    vendor: str
    namespace: str
    clock: Clock
    source: SeededSource
    fixtures: Mapping[str, Any]
    options: Mapping[str, Any]
    queue: DueQueue
    webhooks: WebhookSender
    signer: Signer
    empty: bool  # tenants and credentials only, no seeded records
    token_time: Callable[[], TokenTime]  # now for JWTs the vendor signs (wall time unless the namespace asks)

    def now(self) -> float:
        return self.clock.timestamp()

    def later(self, due: float, name: str, args: Mapping[str, Any], label: str) -> None:
        """Have this vendor's effect ``name`` run with ``args`` (ids, not objects) when the clock passes ``due``."""
        self.queue.push(Effect(self.vendor, name, args, due, label))


BackendFactory = Callable[[VendorContext], Any]


@dataclass(frozen=True)
class StoreConfig:
    seed: int
    fixtures: Mapping[str, Any]
    options: Mapping[str, Any]
    clock_start: float | None
    clock_frozen: bool
    journal_size: int
    max_namespaces: int
    webhook_policy: str = "any"
    webhook_allow: tuple[str, ...] = ()
    webhook_concurrency: int = 16
    webhook_timeout: float = 5.0
    namespace_ttl: float = 0.0
    token_clock: str = "wall"
    faults: tuple[RuleSpec, ...] = ()  # the server's fault plan (--faults), put into every new namespace
    # vendor -> webhook -> what builds a signed delivery's body at send time (VendorPlugin.webhooks)
    webhook_builders: Mapping[str, Mapping[str, Builder]] = field(default_factory=dict)
    # vendor -> effect name -> handler (VendorPlugin.effects), checked when the server starts
    effects: EffectTable = field(default_factory=EffectTable)
    # vendor -> how its records become data and back (VendorPlugin.records): state documents, --state-dir
    codecs: Mapping[str, RecordCodec] = field(default_factory=dict)
    # where the server counts what it did (GET /_sim/metrics): one for the server, shared by its namespaces
    tally: Tally = field(default_factory=Tally, compare=False)


@dataclass(frozen=True)
class Snapshot:
    """A namespace's records and the effects waiting on them, to put back with :meth:`Namespace.restore`."""

    states: dict[str, Any]
    effects: tuple[Effect, ...]


class Namespace:
    def __init__(self, name: str, config: StoreConfig, factories: Mapping[str, BackendFactory], signer: Signer):
        self.name = name
        self.seed = config.seed  # a loaded state document may bring its own
        self._config = config
        self._factories = factories
        self._signer = signer
        self.journal = Journal(config.journal_size)
        self.coverage = Coverage()
        self.queue = DueQueue(config.effects.bind(self.state))
        self.clock = Clock(config.clock_start, config.clock_frozen)
        self.token_clock = config.token_clock  # "wall" or "namespace": which clock judges JWTs here
        self.webhooks = self._open_sender()
        self.empty = False
        self.fuzz: FuzzPlan | None = None  # response mutation (PUT /_sim/fuzz); None: answers go out as built
        self.rate_limits = RateLimits()  # off until PUT /_sim/rate-limits; a reset turns them off again
        # None until a rule is added: a namespace without a plan costs the dispatcher one check.
        self.faults: FaultPlan | None = self._server_faults()
        self._states: dict[str, Any] = {}
        self.last_used = monotonic()
        self.active = 0  # requests in progress
        self.fired = 0  # due effects fired so far: --state-dir saves every vendor once it moves
        self._busy: asyncio.Future[Any] | None = None  # seeding or catching up: others wait

    def _open_sender(self) -> WebhookSender:
        # The plan and the token clock are looked up per delivery: a reset or PUT /_sim/clock changes them.
        return open_sender(self.queue, self.clock_now, self.journal, self._config,
                           plan=lambda: self.faults, token_now=lambda: self.token_time().now)

    def clock_now(self) -> float:
        return self.clock.timestamp()

    def _server_faults(self) -> FaultPlan | None:
        return FaultPlan(self._config.seed, self._config.faults) if self._config.faults else None

    def fault_plan(self) -> FaultPlan:
        """This namespace's plan, created empty on first use."""
        if self.faults is None:
            self.faults = FaultPlan(self._config.seed)
        return self.faults

    def token_time(self) -> TokenTime:
        """Now for JWTs (judged, or minted for webhooks): the wall clock unless this namespace asks for its own."""
        if self.token_clock == "namespace":
            return TokenTime(self.clock.timestamp(), "namespace")
        return TokenTime(wall_time(), "wall")

    @property
    def config(self) -> StoreConfig:
        return self._config

    @property
    def busy(self) -> bool:
        """Seeding or firing a backlog of due effects: requests here wait, the ticker and eviction pass."""
        return self._busy is not None

    def memory(self) -> dict[str, int]:
        """Bytes this namespace holds on its own, estimated with bounded work (see :mod:`footprint`)."""
        records = sum(footprint.backend_bytes(backend) for backend in self._states.values())
        journal = footprint.sampled_bytes(self.journal.sample(footprint.SAMPLE), len(self.journal))
        pending = (footprint.sampled_bytes(self.queue.sample(footprint.SAMPLE), len(self.queue))
                   + footprint.sampled_bytes(self.webhooks.sample(footprint.SAMPLE), self.webhooks.pending_count))
        return {"records": records, "journal": journal, "pending": pending, "total": records + journal + pending}

    def is_seeded(self, vendor: str) -> bool:
        return vendor in self._states

    async def ready(self, vendor: str | None) -> None:
        """Return once no seeding runs here and ``vendor`` (if any) is seeded, seeding it off the loop."""
        while True:
            if self._busy is not None:
                await asyncio.shield(self._busy)
                continue
            if vendor is None or vendor in self._states:
                return
            seed = partial(heap.build_long_lived, partial(self.state, vendor))
            work = asyncio.get_running_loop().run_in_executor(_SEEDER, seed)
            self._busy = work
            work.add_done_callback(self._idle)
            await asyncio.shield(work)  # a client that gives up does not stop the seeding others wait for

    async def exclusive(self, work: Callable[[], T], executor: ThreadPoolExecutor = _SEEDER) -> T:
        """Run ``work`` off the event loop (on the seeding thread unless told), while this namespace's
        requests wait, as they do for seeding.

        Dumping or loading a large namespace must not stall every other namespace, nor let this one's
        requests see it half done (PUT/GET /_sim/state, copies, --state-dir saves).
        """
        await self.ready(None)
        future = asyncio.get_running_loop().run_in_executor(executor, work)
        self._busy = future
        future.add_done_callback(self._idle)
        return await asyncio.shield(future)

    def _idle(self, _work: asyncio.Future[Any]) -> None:
        self._busy = None

    def context(self, vendor: str) -> VendorContext:
        """What ``vendor``'s backend in this namespace is built with (seeded, or loaded from records)."""
        return VendorContext(
            vendor=vendor,
            namespace=self.name,
            clock=self.clock,
            source=SeededSource(self.seed, vendor),
            fixtures=self._config.fixtures.get(vendor, {}),
            options=self._config.options,
            queue=self.queue,
            webhooks=self.webhooks,
            signer=self._signer,
            empty=self.empty,
            token_time=self.token_time,
        )

    def state(self, vendor: str) -> Any:
        backend = self._states.get(vendor)
        if backend is None:
            backend = self._factories[vendor](self.context(vendor))
            self._states[vendor] = backend
        return backend

    def install(self, states: Mapping[str, Any], effects: tuple[Effect, ...]) -> None:
        """Hold exactly these backends (built with :meth:`context`) and wait for exactly these effects;
        vendors not in ``states`` seed on next touch."""
        self._states = dict(states)
        self.queue.replace(effects)

    def seeded_vendors(self) -> list[str]:
        return sorted(self._states)

    def tick(self, limit: int | None = None) -> int:
        fired = self.queue.drain(self.clock.timestamp, limit)
        self.fired += fired
        return fired

    async def catch_up(self) -> int:
        """Fire what is due, a slice at a time, yielding to the event loop between slices.

        A clock advance can make thousands of effects due at once (2,000 Prevail schedulings cost
        ~0.6 s): run in one go they would stall every namespace. Meanwhile this namespace is busy, so
        its own requests wait and see the effects all fired, never half.
        """
        while self._busy is not None:
            await asyncio.shield(self._busy)
        fired = self.tick(CATCH_UP_SLICE)
        if not self.queue.has_due(self.clock.timestamp()):
            return fired
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._busy = done
        try:
            while self.queue.has_due(self.clock.timestamp()):
                await asyncio.sleep(0)
                fired += self.tick(CATCH_UP_SLICE)
        finally:
            self._busy = None
            done.set_result(None)
        return fired

    def reset(self, empty: bool = False) -> None:
        self._states.clear()
        self.queue.clear()
        self.seed = self._config.seed
        self.empty = empty
        self.fuzz = None
        self.rate_limits.clear()
        self.clock = Clock(self._config.clock_start, self._config.clock_frozen)
        self.token_clock = self._config.token_clock
        self.faults = self._server_faults()  # rules added since are dropped; the server's plan starts over
        self.webhooks.close()
        self.webhooks = self._open_sender()

    def close(self) -> None:
        """Forget this namespace for good (deleted or evicted): nothing more is sent, nothing kept.

        The records are cut loose here, so reference counting frees them at once even though seeded
        state is frozen out of the garbage collector's walks (see core/heap.py).
        """
        self.webhooks.close()
        self.queue.clear()
        for backend in self._states.values():
            with contextlib.suppress(TypeError):  # a backend with __slots__ has no __dict__ to empty
                vars(backend).clear()
        self._states.clear()

    def _live(self) -> dict[int, Any]:
        """Objects a copy of the state must share with the namespace, not duplicate."""
        # The namespace itself too: vendor contexts hold its bound token_time.
        return {id(obj): obj for obj in (self, self.clock, self.queue, self.webhooks, self.journal, self._signer)}

    def snapshot(self) -> Snapshot:
        """A copy of every vendor's records and of the timed effects waiting on them (webhook
        deliveries under way are not part of it)."""
        return Snapshot(copy.deepcopy(self._states, memo=self._live()), self.queue.effects())

    def restore(self, snapshot: Snapshot) -> None:
        """Put records from :meth:`snapshot` back, and their effects, due at the same instants; they
        keep using this namespace's clock and queue, and the effects fire on the restored records."""
        self._states = copy.deepcopy(snapshot.states, memo=self._live())
        self.queue.replace(snapshot.effects)


class Keeper(Protocol):
    """Where namespaces outlive the process (``--state-dir``, core/persist.py)."""

    def names(self) -> list[str]: ...

    def has(self, name: str) -> bool: ...

    def load_into(self, namespace: Namespace) -> None: ...

    def delete(self, name: str) -> None: ...

    def clear(self) -> None: ...


class Registry:
    """All namespaces of one server; with a :class:`Keeper`, also those it keeps, loaded on first use."""

    def __init__(self, config: StoreConfig, factories: Mapping[str, BackendFactory], signer: Signer):
        self.config = config
        self.factories = factories
        self.signer = signer
        self._namespaces: dict[str, Namespace] = {}
        # vendor -> its spec's operations, for coverage reports (filled in by the app)
        self.catalog: dict[str, list[Operation]] = {}
        # vendor -> how its rate limits find tenants and its published limit (filled in by the app)
        self.rate_profiles: dict[str, RateProfile] = {}
        # vendor -> the webhooks it declares, which fault rules may match (filled in by the app)
        self.webhooks: dict[str, tuple[str, ...]] = {}
        self.keeper: Keeper | None = None  # --state-dir (set by the app)
        self.metrics = Metrics(config.tally, Gauges(lambda: len(self._namespaces), self._journal_entries))

    def get(self, name: str) -> Namespace:
        namespace = self._namespaces.get(name)
        if namespace is not None:
            return namespace
        if not NAMESPACE_NAME.fullmatch(name):
            raise BadRequest(
                f"Invalid namespace {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a "
                "letter or digit",
                "invalid_namespace",
            )
        if len(self._namespaces) >= self.config.max_namespaces:
            raise TooManyRequests(
                f"Namespace limit reached ({self.config.max_namespaces}); delete unused namespaces first"
            )
        namespace = Namespace(name, self.config, self.factories, self.signer)
        if self.keeper is not None and self.keeper.has(name):
            self.keeper.load_into(namespace)
        self._namespaces[name] = namespace
        return namespace

    def find(self, name: str) -> Namespace | None:
        return self._namespaces.get(name)

    def existing(self, name: str) -> Namespace:
        namespace = self._namespaces.get(name)
        if namespace is None and self.keeper is not None and self.keeper.has(name):
            return self.get(name)
        if namespace is None:
            raise NotFound(f"Namespace {name!r} does not exist")
        return namespace

    def delete(self, name: str) -> None:
        kept = self.keeper is not None and self.keeper.has(name)
        namespace = self._namespaces.pop(name, None)
        if namespace is None and not kept:
            raise NotFound(f"Namespace {name!r} does not exist")
        if namespace is not None:
            namespace.close()
        if self.keeper is not None:
            self.keeper.delete(name)

    def clear(self) -> None:
        """Forget every namespace, kept ones too (they are created again, seeded, on next use)."""
        for namespace in self._namespaces.values():
            namespace.close()
        self._namespaces.clear()
        if self.keeper is not None:
            self.keeper.clear()

    def names(self) -> list[str]:
        kept = self.keeper.names() if self.keeper is not None else []
        return sorted({*self._namespaces, *kept})

    def evict_idle(self, now: float | None = None) -> list[str]:
        """Drop namespaces (but ``default``) unused for ``namespace_ttl`` seconds, none busy or seeding."""
        ttl = self.config.namespace_ttl
        if ttl <= 0:
            return []
        now = monotonic() if now is None else now
        idle = [name for name, ns in self._namespaces.items()
                if name != DEFAULT_NAMESPACE and not ns.active and not ns.busy and now - ns.last_used >= ttl]
        for name in idle:
            self._namespaces.pop(name).close()
        return idle

    def _journal_entries(self) -> int:
        return sum(len(namespace.journal) for namespace in self._namespaces.values())

    def all(self) -> list[Namespace]:
        return list(self._namespaces.values())
