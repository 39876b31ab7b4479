"""The one typed context a request carries through the pipeline's stages.

Each stage reads what earlier stages settled and fills in its own part; nothing travels in string
keys of the ASGI scope (the server protocol's head verdict is read from the scope once, by the route
stage).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulator.core.clock import monotonic
from simulator.core.errors import Violation
from simulator.core.stream import Stream
from simulator.core.validation import CheckedRequest

if TYPE_CHECKING:
    from simulator.core.dispatch import Binding, Call, ErrorShape, Reply
    from simulator.core.store import Namespace


@dataclass(eq=False)
class Exchange:
    scope: Any
    receive: Any
    send: Any
    method: str
    path: str  # without a /_ns/NAME prefix
    headers: dict[str, str]  # lower-case names; a repeated header keeps its last value
    errors: ErrorShape  # the shape any answer takes: the path's area first, the operation's once routed
    namespace_name: str = "default"
    started: float = field(default_factory=monotonic)
    binding: Binding | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    namespace: Namespace | None = None
    raw_body: bytes = b""
    checked: CheckedRequest | None = None
    call: Call[Any] | None = None
    reply: Reply | None = None  # set by the stage that answers; later request stages are skipped
    warnings: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)  # journaled: what stages did to the request or answer
    send_effect: Any = None  # a fault plan's disconnect or slow body, applied when the answer is sent
    rate_headers: dict[str, str] | None = None  # RateLimit-* of a call the namespace's limit let through
    response_violations: list[Violation] = field(default_factory=list)
    # What was sent: filled by the render stage, read by the journal.
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    media_type: str | None = None
    stream: Stream | None = None  # a streamed body (server-sent events), sent after the head

    @property
    def violations(self) -> list[Violation]:
        return self.checked.violations if self.checked is not None else []

    @property
    def query_string(self) -> bytes:
        raw: bytes = self.scope.get("query_string", b"")
        return raw
