"""A reply body sent in chunks as they come (server-sent events), until it ends or the client goes.

The pipeline otherwise answers with one buffered body; a stream sends its head at once, then each
chunk its producer yields. The producer gets an event set when the client disconnects, so it can stop
waiting; ``release`` runs however the stream ended (or if it never started), so a bound on open
streams cannot leak.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Stream:
    chunks: Callable[[asyncio.Event], AsyncIterator[bytes]]
    release: Callable[[], None] = lambda: None


async def pump(stream: Stream, receive: Any, send: Any) -> None:
    """Send the stream's chunks as ASGI body messages; stop when the producer ends or the client goes."""
    gone = asyncio.Event()

    async def watch() -> None:  # the request body was read already: the next message is the disconnect
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                gone.set()
                return

    watcher = asyncio.create_task(watch())
    try:
        chunks = stream.chunks(gone)
        try:
            async for chunk in chunks:
                if gone.is_set():
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]
        if not gone.is_set():
            await send({"type": "http.response.body", "body": b""})
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        stream.release()
