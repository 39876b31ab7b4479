"""What an operation is bound to and what its handler gets and returns.

The pipeline (:mod:`simulator.core.pipeline`) knows operations, not vendors: each bound operation
brings its handler, its error shape, its security verifiers and the name of the backend whose state
it uses.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from simulator.core.auth import TokenTime
from simulator.core.errors import (
    SimulatorError,
)
from simulator.core.spec import Operation
from simulator.core.store import DEFAULT_NAMESPACE, Namespace, Registry
from simulator.core.validation import Validator

logger = logging.getLogger("simulator")
_PARAM = re.compile(r"\{([^}/]+)\}")
JSON = "application/json"
B = TypeVar("B")  # the backend a vendor's handlers work on


@dataclass
class Reply:
    """What a handler returns: a JSON-able body (or a Blob / raw bytes) with status and headers."""

    body: Any = None
    status: int = 200
    media_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call(Generic[B]):
    """One request as a handler sees it; ``Call[PrevailBackend]`` types ``call.backend``."""

    operation: Operation
    namespace_name: str
    registry: Registry
    backend: B
    params: dict[str, Any]
    body: Any
    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, str]
    path: str
    scope: Any
    warnings: list[str] = field(default_factory=list)  # journaled with the request
    principal: Any = None

    def warn(self, message: str) -> None:
        """Journal a warning with this request: accepted as the vendor would, but likely a client mistake."""
        self.warnings.append(message)

    @property
    def namespace(self) -> Namespace:
        """The caller's namespace, created on first use (server-wide operations never touch it)."""
        return self.registry.get(self.namespace_name)

    def now(self) -> float:
        return self.namespace.clock.timestamp()

    def token_time(self) -> TokenTime:
        """The instant JWTs are judged at: wall time unless the namespace asks for its own clock."""
        return self.namespace.token_time()

    @property
    def base_url(self) -> str:
        """scheme://host plus ``/_ns/NAME`` (but for ``default``), for links back to the simulator.

        Links carry their namespace whichever way the caller chose it (prefix or header), so a plain
        GET of an issued URL, from a browser or ffmpeg, reaches the namespace that issued it.
        """
        server = self.scope.get("server") or ("127.0.0.1", 80)
        host = self.headers.get("host") or f"{server[0]}:{server[1]}"
        prefix = "" if self.namespace_name == DEFAULT_NAMESPACE else f"/_ns/{self.namespace_name}"
        return f"{self.scope.get('scheme', 'http')}://{host}{prefix}"


Handler = Callable[[Call[Any]], Reply | Awaitable[Reply]]
Verifier = Callable[[Call[Any]], Any]


class ErrorShape(Protocol):
    def render(self, error: SimulatorError) -> Reply: ...


@dataclass(frozen=True)
class Binding:
    operation: Operation
    handler: Handler
    backend: str | None
    errors: ErrorShape
    verifiers: Mapping[str, Verifier]
    validator: Validator
    guarded: bool = False  # an admin operation that asks for the admin token when the server has one
    rate_limited: bool = False  # a vendor operation: the namespace's rate limit for its vendor applies


@dataclass(frozen=True)
class Area:
    """A path prefix owned by one vendor (or the admin API), for shaping 404/405 answers."""

    prefix: str
    errors: ErrorShape
