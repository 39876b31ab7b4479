"""Bounds on what one request may cost: its head, its body's size and the time its body takes.

Each refusal is an error value the vendor's shape renders, naming the limit and the setting that
changes it. Refusals of a body that was not read close the connection (``Connection: close``), so the
unread bytes are never waited for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simulator.core.errors import BadRequest, HeadersTooLarge, PayloadTooLarge, RequestTimeout, UriTooLong

HEAD_PROBLEM = "sim.head_problem"  # set in the scope by the server protocol: "uri" or "headers"


@dataclass(frozen=True)
class RequestLimits:
    max_body_bytes: int = 10 * 1024 * 1024
    max_header_bytes: int = 64 * 1024
    read_timeout: float = 30.0

    def check_head(self, scope: Mapping[str, Any]) -> None:
        problem = scope.get(HEAD_PROBLEM)
        if problem == "uri":
            limit = min(self.max_header_bytes, 65535)
            raise UriTooLong(f"The request URL is longer than {limit} bytes (--max-header-bytes; at most 65535)")
        if problem == "headers":
            raise HeadersTooLarge(
                f"The request headers are larger than {self.max_header_bytes} bytes in all (--max-header-bytes)"
            )

    def check_declared_length(self, headers: Mapping[str, str]) -> None:
        """Refuse a body by its Content-Length before reading a byte of it."""
        declared = headers.get("content-length")
        if declared is None:
            return
        if not (declared.isascii() and declared.isdigit()) or len(declared) > 19:
            raise BadRequest(f"Content-Length {declared[:40]!r} is not a number of bytes", "invalid_content_length")
        if int(declared) > self.max_body_bytes:
            raise PayloadTooLarge(self._too_large(f"{declared} bytes"))

    async def read_body(self, receive: Any) -> bytes:
        """The whole body, at most ``max_body_bytes``, received within ``read_timeout`` seconds."""
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.read_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        break
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_body_bytes:
                        raise PayloadTooLarge(self._too_large(f"more than {self.max_body_bytes} bytes"))
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            raise RequestTimeout(
                f"The request body did not arrive within {self.read_timeout:g} s ({size} bytes received; "
                "--read-timeout)"
            ) from None
        return b"".join(chunks)

    def _too_large(self, size: str) -> str:
        return f"The request body is {size}; this server accepts at most {self.max_body_bytes} (--max-body-bytes)"
