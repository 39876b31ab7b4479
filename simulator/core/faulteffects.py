"""What a fault plan does to a call: the "faults" stage of the request pipeline, and the send path.

:func:`apply_faults` runs after the namespace is known and before the body is read. It counts the
call against the plan, waits the drawn latency (``asyncio.sleep``: other requests go on), and either
answers in place of the handler (a status effect: nothing is stored) or names a send effect for
:func:`send_faulty`. Send effects (disconnects, slow bodies) act on the real answer, after
the handler ran: the request was served and its changes are kept, only the answer is lost or late,
as when a connection drops on the way back.

Cutting a connection needs the server's transport. uvicorn (what ``simulator serve`` and the test
server run) hands its protocol cycle's bound ``send`` to the app; the transport is read from it.
Under a server that does not, a disconnect raises :class:`ConnectionCut` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from simulator.core.errors import SimulatorError
from simulator.core.faultrules import DisconnectEffect, SlowBodyEffect, StatusEffect
from simulator.core.faults import FaultPlan

JSON = "application/json"
# What a proxy in front of the vendor answers when the vendor is down: not the declared media type.
MALFORMED = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n"


class ConnectionCut(Exception):
    """Raised to drop a connection when the server's transport cannot be reached."""


class _Renders(Protocol):
    def render(self, error: SimulatorError) -> Any: ...


class InjectedFault(SimulatorError):
    def __init__(self, rule_id: str, status: int, headers: dict[str, str]):
        super().__init__(f"Injected fault (rule {rule_id}): the simulator answers {status} as its fault plan asks",
                         status, "injected_fault", headers=headers)


@dataclass(frozen=True)
class Applied:
    """What the plan did to a call: an answer in place of the handler's, or an effect for the send path."""

    reply: Any = None
    send_effect: Any = None


NOTHING = Applied()


def _uncounted(_vendor: str, _kind: str) -> None:
    return None


async def apply_faults(plan: FaultPlan, vendor: str | None, operation_id: str, path: str, now: float,
                       notes: list[str], errors: _Renders,
                       fired: Callable[[str, str], None] = _uncounted) -> Applied:
    """Count the call against the plan, wait its latency, and say what else the plan does to it.

    ``notes`` (the request's journal warnings) gets one line per rule that fired, ``fired`` (the
    server's metrics) the vendor and effect kind of each.
    """
    if vendor is None:
        return NOTHING
    decision = plan.decide(vendor, operation_id, path, now)
    if decision is None:
        return NOTHING
    notes.extend(decision.notes)
    for kind in decision.kinds:
        fired(vendor, kind)
    if decision.delay > 0:
        await asyncio.sleep(decision.delay)
    effect = decision.effect
    if isinstance(effect, StatusEffect):
        assert decision.answer is not None
        return Applied(reply=status_reply(effect, decision.answer.id, errors))
    return Applied(send_effect=effect) if effect is not None else NOTHING


def status_reply(effect: StatusEffect, rule_id: str, errors: _Renders) -> Any:
    """The vendor's error answer for the status (its own body shape), or the rule's own body."""
    headers = {name: value for name, value in effect.headers if name.lower() != "content-type"}
    if effect.retry_after is not None:
        headers["Retry-After"] = str(effect.retry_after)
    reply = errors.render(InjectedFault(rule_id, effect.status, headers))
    reply.status = effect.status  # some shapes map statuses (Vonage answers 422 as 401): the plan's wins
    reply.headers = {**reply.headers, **headers}
    media_type = next((value for name, value in effect.headers if name.lower() == "content-type"), JSON)
    if effect.has_body:
        text = isinstance(effect.body, str) and "json" not in media_type.lower()
        reply.body = effect.body.encode() if text else orjson.dumps(effect.body)
        reply.media_type = media_type
    elif effect.undeclared:
        # Raw bytes skip the response self-check: an undeclared status has no schema to meet.
        reply.body = orjson.dumps(reply.body)
    return reply


async def send_faulty(effect: Any, send: Any, status: int, headers: list[tuple[bytes, bytes]],
                      content: bytes) -> None:
    """Send the answer as the effect spoils it (in place of the usual two ASGI messages)."""
    if isinstance(effect, SlowBodyEffect):
        await _dribble(effect, send, status, headers, content)
        return
    assert isinstance(effect, DisconnectEffect)
    if effect.mode == "reset":
        await _cut(send, reset=True)
    elif effect.mode == "empty":
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await _cut(send)
    elif effect.mode == "truncate":
        promised = max(len(content), 2)  # an empty body is promised two bytes, so something is missing
        await send({"type": "http.response.start", "status": status,
                    "headers": _with_length(headers, promised)})
        await send({"type": "http.response.body", "body": content[:promised // 2], "more_body": True})
        await _cut(send)
    else:  # malformed: a whole, well-framed answer whose bytes are not the declared media type
        await send({"type": "http.response.start", "status": status,
                    "headers": _with_length(headers, len(MALFORMED))})
        await send({"type": "http.response.body", "body": MALFORMED})


async def _dribble(effect: SlowBodyEffect, send: Any, status: int, headers: list[tuple[bytes, bytes]],
                   content: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    pieces = max(1, min(effect.chunks, len(content)))
    size = -(-len(content) // pieces)  # ceiling: n pieces cover the body
    pause = effect.ms / 1000 / max(pieces - 1, 1)
    for index in range(pieces):
        if index:
            await asyncio.sleep(pause)
        last = index == pieces - 1
        await send({"type": "http.response.body", "body": content[index * size:(index + 1) * size],
                    "more_body": not last})


def _with_length(headers: list[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    return [(b"content-length", str(length).encode())] + [(k, v) for k, v in headers if k != b"content-length"]


async def _cut(send: Any, reset: bool = False) -> None:
    """Close the connection now; ``reset`` sends a TCP RST (SO_LINGER 0) instead of a clean close."""
    # asyncio's and uvloop's transports share the methods, not a base class: duck-typed.
    transport: Any = getattr(getattr(send, "__self__", None), "transport", None)
    if not (callable(getattr(transport, "close", None)) and callable(getattr(transport, "abort", None))):
        raise ConnectionCut("the server offers no transport to cut")
    if reset:
        sock = transport.get_extra_info("socket")
        with contextlib.suppress(OSError, AttributeError, TypeError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()  # after what was written so far
    # Let the server see the connection is gone before the app returns, so it neither answers 500
    # for a response never started nor logs one left incomplete.
    for _ in range(3):
        await asyncio.sleep(0)
