"""One webhook POST over HTTP/1.1 to addresses already checked, reading no more of the answer than needed.

The delivery needs only the receiver's status. The answer is read up to the end of its head and at
most ``max_answer_bytes`` of it (a receiver that answers with 300 MB costs 64 KB), then the
connection is closed. The caller bounds the whole exchange (connect, send, read) with one timeout.
"""

from __future__ import annotations

import asyncio
import ssl

import h11

from simulator.core.webhook_guard import Target

MAX_ANSWER_BYTES = 64 * 1024
READ_CHUNK = 16 * 1024
USER_AGENT = "vendor-api-simulator webhooks"
_tls: ssl.SSLContext | None = None


class AnswerError(Exception):
    """The receiver's answer could not be read as HTTP (or was too large to look at)."""


def _tls_context() -> ssl.SSLContext:
    global _tls
    if _tls is None:  # loading the CA bundle costs milliseconds: only once, and only if https is used
        _tls = ssl.create_default_context()
    return _tls


async def _connect(addresses: list[str], target: Target) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to the first of ``addresses`` that accepts; never to anything else."""
    tls = _tls_context() if target.scheme == "https" else None
    failure: OSError | None = None
    for address in addresses:
        try:
            return await asyncio.open_connection(address, target.port, ssl=tls,
                                                 server_hostname=target.host if tls else None)
        except OSError as error:
            failure = error
    raise failure or OSError("no address to connect to")


def _request(target: Target, body: bytes, headers: list[tuple[str, str]]) -> tuple[h11.Connection, bytes]:
    connection = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_ANSWER_BYTES)
    head = [("Host", target.host_header), ("User-Agent", USER_AGENT), ("Content-Length", str(len(body))),
            ("Connection", "close"), *headers]
    data = connection.send(h11.Request(method="POST", target=target.path.encode("ascii", "replace"),
                                       headers=head)) or b""
    data += connection.send(h11.Data(data=body)) or b""
    data += connection.send(h11.EndOfMessage()) or b""
    return connection, data


async def post(addresses: list[str], target: Target, body: bytes,
               headers: list[tuple[str, str]]) -> int:
    """POST ``body`` and return the answer's status. Raises ``OSError`` or :class:`AnswerError`."""
    connection, request = _request(target, body, headers)
    reader, writer = await _connect(addresses, target)
    try:
        writer.write(request)
        await writer.drain()
        received = 0
        while True:
            try:
                event = connection.next_event()
            except h11.RemoteProtocolError as error:
                raise AnswerError(f"the answer is not HTTP/1.1 ({error})") from None
            if event is h11.NEED_DATA:
                if received >= MAX_ANSWER_BYTES:
                    raise AnswerError(f"the answer's head is larger than {MAX_ANSWER_BYTES} bytes")
                chunk = await reader.read(min(READ_CHUNK, MAX_ANSWER_BYTES - received))
                received += len(chunk)
                connection.receive_data(chunk)  # b"" tells h11 the receiver closed the connection
            elif isinstance(event, h11.Response):
                return int(event.status_code)
            elif isinstance(event, h11.ConnectionClosed):
                raise AnswerError("the receiver closed the connection without answering")
            # an informational answer (100 Continue): keep reading for the real one
    finally:
        writer.transport.abort()  # nothing more to send or read; unread answer bytes are discarded
