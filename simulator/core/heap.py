"""Keeping the cyclic garbage collector away from seeded state.

A seeded namespace is hundreds of thousands of long-lived objects (a Vonage account's conversations
alone are ~13 MB). Left to the collector, every full collection walks all of them, in every
namespace, holding the GIL: with 20 Vonage namespaces alive, single collections took up to 0.8 s
and a third of the seeding time, stalling every other request. So seeding runs with automatic
collection paused, and what it built is then frozen (``gc.freeze``): later collections only walk
objects made since. Reference counting still frees frozen objects, so a dropped namespace cuts its records loose and
they go at once; only cycles among frozen objects stay until :func:`collect_everything`.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def build_long_lived(build: Callable[[], T]) -> T:
    """Build long-lived state without collections on the way; freeze it once built."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return build()
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def release() -> None:
    """Give the memory of dropped state back to the system.

    Dropped namespaces cut their records loose (``Namespace.close``), so reference counting has
    already freed them; this collects what younger generations hold and returns freed arenas to the
    system (glibc keeps them otherwise). No full collection: that would walk every live namespace.
    """
    gc.collect(1)
    with contextlib.suppress(OSError, AttributeError):  # not glibc: the memory is still reused by this process
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def collect_everything() -> None:
    """One full collection, frozen state included, for cycles among dropped frozen objects.

    Walks every live object holding the GIL: for shutdown, tests and benchmarks, not the request path.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
