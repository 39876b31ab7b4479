"""The namespace journal as server-sent events: each entry once, as it is recorded.

The stream polls the journal by sequence number on the event loop (a journal append costs nothing
extra, and a stream never holds a lock), so it never blocks other requests. At most
``MAX_STREAMS`` are open per server; each ends when its client goes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from weakref import WeakKeyDictionary

import orjson

from simulator.admin.journal_view import entry_view
from simulator.core.dispatch import Call, Reply
from simulator.core.errors import TooManyRequests
from simulator.core.store import Registry
from simulator.core.stream import Stream

MAX_STREAMS = 16
POLL_SECONDS = 0.5
EVENT_STREAM = "text/event-stream"
_open: WeakKeyDictionary[Registry, int] = WeakKeyDictionary()


def _event(view: dict[str, Any]) -> bytes:
    return b"id: %d\nevent: entry\ndata: %s\n\n" % (view["seq"], orjson.dumps(view))


def stream_journal(call: Call[Any]) -> Reply:
    registry, name = call.registry, call.namespace.name
    if _open.get(registry, 0) >= MAX_STREAMS:
        raise TooManyRequests(f"{MAX_STREAMS} journal streams are open on this server; close one first", 5)
    _open[registry] = _open.get(registry, 0) + 1
    after: int = call.params.get("after", 0)

    async def events(gone: asyncio.Event) -> AsyncIterator[bytes]:
        last = after
        yield b"retry: 1000\n\n"
        while not gone.is_set():
            namespace = registry.find(name)  # found again each time: the namespace may be reset or deleted
            if namespace is not None:
                entries = list(namespace.journal)
                if entries and entries[-1].seq < last:  # a new journal (reset): its numbering starts over
                    last = 0
                for entry in entries:
                    if entry.seq > last:
                        last = entry.seq
                        yield _event(entry_view(entry))
            yield b": idle\n\n"  # a comment: proves the connection alive to proxies
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(gone.wait(), POLL_SECONDS)

    def release() -> None:
        _open[registry] = max(0, _open.get(registry, 1) - 1)

    return Reply(Stream(events, release), media_type=EVENT_STREAM)


HANDLERS = {"streamJournal": stream_journal}
