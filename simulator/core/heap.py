"""Keeping the cyclic garbage collector away from seeded state.

A seeded namespace is hundreds of thousands of long-lived objects (a Vonage account's conversations
alone are ~13 MB). Left to the collector, every full collection walks all of them, in every
namespace, holding the GIL: with 20 Vonage namespaces alive, single collections took up to 0.8 s
and a third of the seeding time, stalling every other request. So seeding runs with automatic
collection paused, and what it built is then frozen (``gc.freeze``): later collections only walk
objects made since. Reference counting still frees frozen objects; only cycles among them wait for
:func:`release`, which evicting namespaces calls.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Build long-lived state without collections on the way; freeze it once built."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def build_long_lived(build: Callable[[], T]) -> T:
    with long_lived():
        return build()


def release() -> None:
    """Collect the cycles of dropped state and give freed memory back to the system.

    One full collection over everything alive: called when namespaces are evicted, not per request.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: the memory is still reused by this process
        ctypes.CDLL("libc.so.6").malloc_trim(0)
