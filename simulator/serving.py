"""The HTTP server under the app: uvicorn, with bounds on what one client can make it hold.

uvicorn's httptools protocol keeps a connection open for as long as a client takes to send a request
head, and buffers a head of any size. A fuzzing client (or a slow one) could hold hundreds of sockets
and any amount of memory that way. :func:`guarded_protocol` makes a protocol class that

- closes a connection whose request head has not arrived within ``read_timeout`` seconds (a 408);
- stops keeping a URL or header block larger than ``max_header_bytes`` (URLs: at most 64 KiB, the most
  httptools can parse): the request still
  reaches the app, marked in its scope (``sim.head_problem``), and is answered 414 or 431 in the
  vendor's shape; a head that grows past twice the limit without ending is cut off with a 431.

The body is bounded by the app itself (``simulator.core.limits``), which knows the vendor's shape.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import orjson
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from simulator.core.limits import HEAD_PROBLEM
from simulator.settings import Settings
from simulator.shutdown import Deadline


def _raw_answer(status: str, message: str) -> bytes:
    """A whole HTTP answer for a connection cut before its request head ended (no vendor is known yet)."""
    code = status.split(" ", 1)[1].lower().replace(" ", "_")
    body = orjson.dumps({"error": {"code": code, "message": message}})
    return (f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
            "connection: close\r\n\r\n").encode() + body


URL_PARSER_LIMIT = 65535  # httptools parses URLs with 16-bit offsets: a longer one cannot be parsed at all


def guarded_protocol(max_header_bytes: int, read_timeout: float) -> type[asyncio.Protocol]:
    """An httptools protocol class with the head limits of this server's settings."""
    max_url_bytes = min(max_header_bytes, URL_PARSER_LIMIT)

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        _head_open = True  # between the start of a request (or of the connection) and the end of its head
        _head_bytes = 0
        _url_bytes = 0
        _header_bytes = 0
        _problem: str | None = None
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_head_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._head_open and not self.transport.is_closing():
                self._head_bytes += len(data)
                if self._head_bytes > 2 * max_header_bytes:  # httptools buffers one header whole: stop it here
                    self._close_with("431 Request Header Fields Too Large",
                                     f"The request head is larger than {max_header_bytes} bytes (--max-header-bytes)")

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head_open, self._head_bytes, self._url_bytes, self._header_bytes = True, 0, 0, 0
            self._problem = None
            self._arm_head_timer()

        def on_url(self, url: bytes) -> None:
            room = max_url_bytes - self._url_bytes
            self._url_bytes += len(url)
            if len(url) > room:  # keep the start of the URL (it still names the vendor) and drop the rest
                self._problem = self._problem or "uri"
                url = url[:max(room, 0)]
            if url:
                super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._header_bytes += len(name) + len(value) + 4
            if self._header_bytes > max_header_bytes:
                self._problem = self._problem or "headers"
                return
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._head_open = False
            self._cancel_head_timer()
            if self._problem is not None:
                self.scope[HEAD_PROBLEM] = self._problem  # type: ignore[literal-required]
            super().on_headers_complete()

        def _arm_head_timer(self) -> None:
            if self._head_timer is None:
                self._head_timer = asyncio.get_running_loop().call_later(read_timeout, self._head_timed_out)

        def _cancel_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self._head_open and not self.transport.is_closing():
                if self._head_bytes == 0:
                    self.transport.close()  # nothing was sent: nothing to answer
                    return
                self._close_with("408 Request Timeout",
                                 f"The request head did not arrive within {read_timeout:g} s (--read-timeout)")

        def _close_with(self, status: str, message: str) -> None:
            self._cancel_head_timer()
            self.transport.write(_raw_answer(status, message))
            self.transport.close()

    return GuardedHttpToolsProtocol


def uvicorn_config(app: Any, settings: Settings, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app, host=host, port=port, access_log=settings.access_log, log_level="warning", lifespan="on",
        http=guarded_protocol(settings.max_header_bytes, settings.read_timeout),
        # requests in flight past it are cancelled; typed int, but uvicorn hands it to asyncio.timeout
        timeout_graceful_shutdown=settings.shutdown_timeout,  # type: ignore[arg-type]
        ws="none",  # no operation is a websocket: importing a websocket library would only slow the start
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on ``host:port``; raises OSError (address in use, bad host) before any banner."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class AnnouncingServer(uvicorn.Server):
    """A uvicorn server that prints its banner once it is accepting connections."""

    def __init__(self, config: uvicorn.Config, banner: str, deadline: Deadline | None = None):
        super().__init__(config)
        self._banner = banner
        self._deadline = deadline  # the app's: its lifespan finishes due webhooks within what is left

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._deadline is not None:
            self._deadline.start()
        await super().shutdown(sockets=sockets)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:
            print(self._banner, flush=True)
