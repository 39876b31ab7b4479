"""The answer stages, run for every request however it ended: self-check, render, journal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from simulator.core.blobs import Blob, byte_range
from simulator.core.errors import SimulatorError
from simulator.core.faulteffects import send_faulty
from simulator.core.journal import Entry
from simulator.core.jsonlimits import excerpt
from simulator.core.metrics import ADMIN, NO_VENDOR
from simulator.core.pipeline.exchange import Exchange
from simulator.core.render import plain
from simulator.core.stream import Stream, pump

if TYPE_CHECKING:
    from simulator.core.dispatch import Reply
    from simulator.core.store import Registry

JSON = "application/json"
JOURNAL_TEXT_BYTES = 2048  # of a path or query kept in the journal: a 64 KB query is kept as its first 2 KB


def simulator_bug(bug: Exception) -> SimulatorError:
    return SimulatorError(excerpt(f"Simulator bug: {type(bug).__name__}: {bug}", 300), 500)


def render(exchange: Exchange, reply: Reply, *, validate_responses: bool) -> None:
    """Status, headers and bytes of ``reply``; a JSON answer is first checked against the spec."""
    if isinstance(reply.body, Blob):
        _render_blob(exchange, reply)
        return
    if isinstance(reply.body, Stream):  # sent chunk by chunk by ``send``; nothing to self-check
        _set(exchange, reply.status, reply.headers, b"", reply.media_type)
        exchange.stream = reply.body
        return
    if reply.body is None:
        _set(exchange, reply.status, reply.headers, b"", None)
        return
    if isinstance(reply.body, bytes):
        _set(exchange, reply.status, reply.headers, reply.body, reply.media_type)
        return
    content = orjson.dumps(reply.body)
    binding = exchange.binding
    if validate_responses and binding is not None:  # self-check: the simulator must keep its own spec
        problems = binding.validator.check_response(binding.operation, reply.status, reply.media_type,
                                                    plain(reply.body))
        if problems:
            exchange.response_violations = problems
            failed = binding.errors.render(SimulatorError(
                "The simulator produced a response that breaks its own spec", 500, "self_check_failed", problems))
            _set(exchange, failed.status, failed.headers, orjson.dumps(failed.body), JSON)
            return
    _set(exchange, reply.status, reply.headers, content, reply.media_type)


def _set(exchange: Exchange, status: int, headers: dict[str, str], content: bytes, media_type: str | None) -> None:
    exchange.status, exchange.response_headers = status, headers
    exchange.content, exchange.media_type = content, media_type


def _render_blob(exchange: Exchange, reply: Reply) -> None:
    blob: Blob = reply.body
    headers = {"Accept-Ranges": "bytes", **reply.headers}
    if blob.filename:
        headers["Content-Disposition"] = f'attachment; filename="{blob.filename}"'
    try:
        window = byte_range(exchange.headers.get("range"), blob.size)
    except SimulatorError as error:
        if exchange.binding is None:
            raise
        failed = exchange.binding.errors.render(error)
        _set(exchange, failed.status, failed.headers, orjson.dumps(failed.body), failed.media_type)
        return
    if window is None:
        _set(exchange, reply.status, headers, blob.read(0, blob.size), blob.media_type)
        return
    start, end = window
    headers["Content-Range"] = f"bytes {start}-{end - 1}/{blob.size}"
    _set(exchange, 206, headers, blob.read(start, end), blob.media_type)


async def send(exchange: Exchange) -> None:
    if exchange.stream is not None:
        await _send_stream(exchange, exchange.stream)
        return
    raw_headers = [(b"content-length", str(len(exchange.content)).encode())]
    if exchange.media_type:
        raw_headers.append((b"content-type", exchange.media_type.encode()))
    raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in exchange.response_headers.items()]
    body = b"" if exchange.method == "HEAD" else exchange.content
    if exchange.send_effect is not None:  # a fault plan's disconnect or slow body spoils the answer
        await send_faulty(exchange.send_effect, exchange.send, exchange.status, raw_headers, body)
        return
    await exchange.send({"type": "http.response.start", "status": exchange.status, "headers": raw_headers})
    await exchange.send({"type": "http.response.body", "body": body})


async def _send_stream(exchange: Exchange, stream: Stream) -> None:
    raw_headers = [(b"content-type", exchange.media_type.encode())] if exchange.media_type else []
    raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in exchange.response_headers.items()]
    try:
        await exchange.send({"type": "http.response.start", "status": exchange.status, "headers": raw_headers,
                             "more_body": True})
    except BaseException:
        stream.release()
        raise
    if exchange.method == "HEAD":
        stream.release()
        await exchange.send({"type": "http.response.body", "body": b""})
        return
    await pump(stream, exchange.receive, exchange.send)


@dataclass(frozen=True)
class Record:
    """The journal entry and the coverage count of the request, in its namespace (if it has one)."""

    registry: Registry
    name: str = "journal"

    def __call__(self, exchange: Exchange, elapsed_ms: float) -> None:
        binding = exchange.binding
        # Counted for the server's metrics whether or not the request reached a namespace
        if binding is None:
            self.registry.config.tally.request(NO_VENDOR, NO_VENDOR, exchange.status, elapsed_ms / 1000)
        else:
            self.registry.config.tally.request(binding.backend or ADMIN, binding.operation.operation_id,
                                               exchange.status, elapsed_ms / 1000)
        namespace = self.registry.find(exchange.namespace_name)
        if namespace is None:
            return
        if binding is not None:
            namespace.coverage.record(binding.operation.operation_id, exchange.status, exchange.violations,
                                      exchange.response_violations)
        journal = namespace.journal
        journal.append(Entry(
            seq=journal.next_seq(), at=namespace.clock.timestamp(), kind="request", method=exchange.method,
            path=exchange.path[:JOURNAL_TEXT_BYTES], status=exchange.status, latency_ms=elapsed_ms,
            vendor=binding.backend if binding else None,
            operation_id=binding.operation.operation_id if binding else None,
            query=exchange.query_string[:JOURNAL_TEXT_BYTES],
            violations=exchange.violations, response_violations=exchange.response_violations,
            warnings=exchange.warnings, detail=exchange.detail,
        ))
